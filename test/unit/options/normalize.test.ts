import { describe, expect, it } from 'vitest';
import { createGuard, DEFAULTS } from '../../../src/index.js';
import { normalizeOptions } from '../../../src/options/normalize.js';

const base = { issuer: 'https://auth.example.com', audience: 'https://api.example.com' };

describe('options', () => {
  it('fills every default and freezes the config', () => {
    const config = normalizeOptions(base);
    expect(Object.isFrozen(config)).toBe(true);
    expect(config).toMatchObject({
      issuers: ['https://auth.example.com'],
      audiences: ['https://api.example.com'],
      resource: 'https://api.example.com',
      clockTolerance: DEFAULTS.clockTolerance,
      timeout: 5,
      jwksMaxAge: 600,
      cooldown: 30,
      maxStale: 86_400,
      introspection: undefined,
    });
    expect([...config.algorithms]).not.toContain('none');
    expect([...config.algorithms].some((a) => a.startsWith('HS'))).toBe(false);
    expect([...config.tokenLocations]).toEqual(['header']);
  });

  it('never mutates the caller\'s (frozen) options', () => {
    const options = Object.freeze({ ...base, introspection: Object.freeze({ clientId: 'a', clientSecret: 'b' }) });
    expect(() => createGuard(options)).not.toThrow();
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no issuer', { audience: 'a' }, /"issuer" is required/],
    ['no audience', { issuer: base.issuer }, /"audience" is required/],
    ['empty audience list', { ...base, audience: [] }, /"audience" is required/],
    ['issuer not a URL', { ...base, issuer: 'auth.example.com' }, /absolute URL/],
    ['plain http issuer', { ...base, issuer: 'http://auth.example.com' }, /allowInsecureHttp/],
    ['NaN timeout', { ...base, timeout: Number.NaN }, /"timeout"/],
    ['negative cooldown', { ...base, cooldown: -1 }, /"cooldown"/],
    ['jwksMaxAge below cooldown', { ...base, jwksMaxAge: 10, cooldown: 30 }, /"jwksMaxAge"/],
    ['unknown algorithm', { ...base, algorithms: ['none'] }, /"algorithms"/],
    ['unknown token location', { ...base, tokenLocations: ['cookie'] }, /"tokenLocations"/],
    ['basic auth without secret', { ...base, introspection: { auth: 'client_secret_basic', clientId: 'a' } }, /clientSecret/],
    ['bearer auth without token', { ...base, introspection: { auth: 'bearer' } }, /bearerToken/],
    ['unknown introspection auth', { ...base, introspection: { auth: 'magic', clientId: 'a' } }, /"introspection.auth"/],
    ['bad maxConcurrency', { ...base, introspection: { clientId: 'a', clientSecret: 'b', maxConcurrency: 0 } }, /maxConcurrency/],
    ['metadataUrl with several issuers', { ...base, issuer: [base.issuer, 'https://b.example.com'], metadataUrl: 'https://a.example.com/m' }, /several issuers/],
  ];
  it.each(invalid)('%s throws a TypeError naming the option', (_name, options, message) => {
    expect(() => createGuard(options as unknown as Parameters<typeof createGuard>[0])).toThrow(TypeError);
    expect(() => createGuard(options as unknown as Parameters<typeof createGuard>[0])).toThrow(message);
  });

  it('introspection stays off without client authentication, on with auth: none said explicitly', () => {
    expect(normalizeOptions({ ...base, introspection: { endpoint: 'https://auth.example.com/i' } }).introspection).toBeUndefined();
    expect(normalizeOptions({ ...base, introspection: { auth: 'none' } }).introspection?.auth).toBe('none');
    expect(normalizeOptions({ ...base, introspection: { bearerToken: 'k' } }).introspection?.auth).toBe('bearer');
  });
});
