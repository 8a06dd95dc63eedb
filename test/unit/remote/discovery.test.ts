import { describe, expect, it } from 'vitest';
import { metadataCandidates } from '../../../src/remote/discovery.js';
import { metadataUrlOf } from '../../../src/express/metadata.js';

describe('metadataCandidates', () => {
  const table: Array<[string, string[]]> = [
    [
      'https://auth.example.com',
      ['https://auth.example.com/.well-known/oauth-authorization-server', 'https://auth.example.com/.well-known/openid-configuration'],
    ],
    [
      'https://auth.example.com/',
      ['https://auth.example.com/.well-known/oauth-authorization-server', 'https://auth.example.com/.well-known/openid-configuration'],
    ],
    [
      // Telnyx: RFC 8414 inserted first, then its under-path location, then OIDC.
      'https://api.telnyx.com/v2',
      [
        'https://api.telnyx.com/.well-known/oauth-authorization-server/v2',
        'https://api.telnyx.com/v2/.well-known/oauth-authorization-server',
        'https://api.telnyx.com/v2/.well-known/openid-configuration',
      ],
    ],
    [
      'https://login.example.com/realms/main/',
      [
        'https://login.example.com/.well-known/oauth-authorization-server/realms/main',
        'https://login.example.com/realms/main/.well-known/oauth-authorization-server',
        'https://login.example.com/realms/main/.well-known/openid-configuration',
      ],
    ],
  ];
  it.each(table)('%s', (issuer, expected) => {
    expect(metadataCandidates(issuer)).toEqual(expected);
  });
});

describe('metadataUrlOf (RFC 9728 §3.1)', () => {
  const table: Array<[string, string | undefined]> = [
    ['https://api.example.com', 'https://api.example.com/.well-known/oauth-protected-resource'],
    ['https://api.example.com/', 'https://api.example.com/.well-known/oauth-protected-resource'],
    ['https://api.example.com/v1', 'https://api.example.com/.well-known/oauth-protected-resource/v1'],
    ['https://api.example.com:8443/a/b/', 'https://api.example.com:8443/.well-known/oauth-protected-resource/a/b'],
    ['urn:example:api', undefined],
  ];
  it.each(table)('%s', (resource, expected) => {
    expect(metadataUrlOf(resource)?.href).toBe(expected);
  });
});
