/**
 * The RFC 9728 document and the `resource_metadata` URL every challenge points at.
 */
import { describe, expect, it } from 'vitest';
import { createGuard } from '../src/index.js';
import { parseChallenges } from './support/challenge.js';
import { flavours, get } from './support/guard-app.js';

describe.each(flavours)('$name', (flavour) => {
  it('with app.use(), answers on the path-aware well-known URL of a resource with a path (RFC 9728 §3.1)', async () => {
    const guard = createGuard({
      issuer: 'https://auth.example.com',
      audience: 'https://api.example.com/v1',
      tokenLocations: ['header', 'body'],
      scopesSupported: ['extra:scope'],
      resourceDocumentation: 'https://docs.example.com/api',
    });
    const app = flavour.create();
    app.use(guard.metadata());
    app.get('/v1/things', guard.requireScopes('things:read'), (_req, res) => {
      res.json({});
    });

    const doc = await get(app, '/.well-known/oauth-protected-resource/v1');
    expect(doc.status).toBe(200);
    expect(doc.headers['content-type']).toMatch(/^application\/json/);
    expect(doc.body).toEqual({
      resource: 'https://api.example.com/v1',
      authorization_servers: ['https://auth.example.com'],
      bearer_methods_supported: ['header', 'body'],
      scopes_supported: ['extra:scope', 'things:read'],
      resource_documentation: 'https://docs.example.com/api',
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'Ed25519', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'],
      dpop_bound_access_tokens_required: false,
    });
    expect(doc.body).not.toHaveProperty('resource_signing_alg_values_supported');

    // Other paths and methods pass through to the app.
    expect((await get(app, '/.well-known/oauth-protected-resource/other')).status).toBe(404);

    // Bearer, then DPoP (RFC 9449 §7.1): both name the resource's own document.
    const challenges = parseChallenges((await get(app, '/v1/things')).headers['www-authenticate'] as string);
    expect(challenges.map((c) => [c.scheme, c.params.resource_metadata])).toEqual([
      ['Bearer', 'https://api.example.com/.well-known/oauth-protected-resource/v1'],
      ['DPoP', 'https://api.example.com/.well-known/oauth-protected-resource/v1'],
    ]);
  });

  it('the challenge names the configured resource, never the request Host', async () => {
    const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com', realm: 'messages' });
    const app = flavour.create();
    app.use(guard.authenticate());
    const res = await get(app, '/anything').set('Host', 'evil.example.com');
    const [challenge, dpop] = parseChallenges(res.headers['www-authenticate'] as string);
    expect(challenge!.params).toEqual({
      realm: 'messages',
      resource_metadata: 'https://api.example.com/.well-known/oauth-protected-resource',
    });
    expect(dpop!.params).toMatchObject({ realm: 'messages', resource_metadata: 'https://api.example.com/.well-known/oauth-protected-resource' });
  });
});
