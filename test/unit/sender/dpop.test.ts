/**
 * The framework-free parts of DPoP as tables: `htu` normalisation, server nonces, the
 * challenges a guard accepting both schemes renders (parsed back by the independent parser),
 * token extraction with the DPoP scheme, and option validation.
 */
import { createSecretKey, KeyObject, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DpopNonces } from '../../../src/sender/dpop-nonce.js';
import { accessTokenHash, DpopProofs, normalizeHtu } from '../../../src/sender/dpop.js';
import { OAuthError, type ChallengeContext } from '../../../src/errors/oauth-error.js';
import { invalidRequest, insufficientScope, invalidToken, missingToken, temporarilyUnavailable } from '../../../src/errors/factories.js';
import { createGuard, type GuardOptions } from '../../../src/index.js';
import { normalizeSenderOptions } from '../../../src/options/sender.js';
import { senderChallenge } from '../../../src/sender/challenge.js';
import { extractCredentials } from '../../../src/auth/extract.js';
import { parseChallenges } from '../../support/challenge.js';
import { ath, dpopKey, proof } from '../../dpop/support.js';

describe('normalizeHtu (RFC 9449 §4.3 step 9, RFC 3986 §6)', () => {
  const same: Array<[string, string]> = [
    ['https://api.example.com/a/b', 'https://api.example.com/a/b'],
    ['HTTPS://API.Example.COM/a', 'https://api.example.com/a'],
    ['https://api.example.com:443/a', 'https://api.example.com/a'],
    ['http://api.example.com:80/a', 'http://api.example.com/a'],
    ['https://api.example.com/a?x=1#frag', 'https://api.example.com/a'],
    ['https://api.example.com/%7euser/%2fx', 'https://api.example.com/~user/%2Fx'],
    ['https://api.example.com', 'https://api.example.com/'],
    ['https://user:pw@api.example.com/a', 'https://api.example.com/a'],
  ];
  it.each(same)('%s and %s are the same htu', (a, b) => {
    expect(normalizeHtu(a)).toBe(normalizeHtu(b));
    expect(normalizeHtu(a)).toBeDefined();
  });

  const different: Array<[string, string]> = [
    ['https://api.example.com/a', 'http://api.example.com/a'],
    ['https://api.example.com/a', 'https://api.example.com:8443/a'],
    ['https://api.example.com/a', 'https://api.example.com/a/'],
    ['https://api.example.com/a', 'https://api.example.com/A'],
    ['https://api.example.com/a%2Fb', 'https://api.example.com/a/b'],
  ];
  it.each(different)('%s and %s differ', (a, b) => {
    expect(normalizeHtu(a)).not.toBe(normalizeHtu(b));
  });

  it.each([
    '/relative',
    'ftp://example.com/a',
    'not a url',
    '',
    // Never resolved: the router routes the path as sent (issue 17, finding 12).
    'https://api.example.com/a/./b/../c',
    'https://api.example.com/a/%2e%2E/c',
    'https://api.example.com/a\\..\\c',
    'https://api.example.com/a/b\tc',
    'https:api.example.com/a',
  ])('%j is no htu', (value) => {
    expect(normalizeHtu(value)).toBeUndefined();
  });
});

describe('DpopNonces', () => {
  const nonces = new DpopNonces(createSecretKey(Buffer.alloc(32, 7)), 300);
  const t = 1_700_000_000_000;

  it('accepts the current nonce and the previous one, nothing older or forged', () => {
    const now = nonces.current(t);
    expect(nonces.check(now, t)).toBe('current');
    expect(nonces.check(now, t + 300_000)).toBe('previous');
    expect(nonces.check(now, t + 600_000)).toBe('invalid');
    expect(nonces.check(nonces.current(t + 300_000), t)).toBe('invalid');
    expect(nonces.check(`${now.slice(0, -2)}xx`, t)).toBe('invalid');
    expect(nonces.check(42, t)).toBe('invalid');
    expect(nonces.check('', t)).toBe('invalid');
  });

  it('is the same on every instance with the same secret, different with another', () => {
    const twin = new DpopNonces(createSecretKey(Buffer.alloc(32, 7)), 300);
    const other = new DpopNonces(createSecretKey(Buffer.alloc(32, 8)), 300);
    expect(twin.check(nonces.current(t), t)).toBe('current');
    expect(other.check(nonces.current(t), t)).toBe('invalid');
  });
});

/** An ES256 JWS signed with node:crypto, for headers jose will not sign (an unknown `crit`). */
function rawSigned(key: Awaited<ReturnType<typeof dpopKey>>, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part(header)}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key: KeyObject.from(key.privateKey), dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

describe('DpopProofs.verify without a server', () => {
  const config = normalizeSenderOptions({});
  const proofs = new DpopProofs(config, { timeout: 1 });
  const url = 'https://api.example.com/things';
  const token = 'token-value';

  it('returns the key thumbprint; ath is base64url(SHA-256(token))', async () => {
    expect(accessTokenHash(token)).toBe(ath(token));
    const key = await dpopKey('Ed25519');
    const verified = await proofs.verify({ method: 'GET', url, token, proofs: [await proof(key, { htm: 'GET', htu: url, token })] });
    expect(verified.jkt).toBe(key.jkt);
  });

  const refused: Array<[string, (key: Awaited<ReturnType<typeof dpopKey>>) => Promise<string[]>, RegExp]> = [
    ['a comma-joined header', async (k) => [`${await proof(k, { htm: 'GET', htu: url, token })}, ${await proof(k, { htm: 'GET', htu: url, token })}`], /more than one DPoP proof/],
    ['no jwk', async (k) => [await proof(k, { htm: 'GET', htu: url, token, header: { jwk: undefined } })], /no jwk/],
    ['no jti', async (k) => [await proof(k, { htm: 'GET', htu: url, token, claims: { jti: undefined } })], /no jti/],
    ['no htm', async (k) => [await proof(k, { htm: 'GET', htu: url, token, claims: { htm: undefined } })], /no htm/],
    ['no htu', async (k) => [await proof(k, { htm: 'GET', htu: url, token, claims: { htu: undefined } })], /no htu/],
    ['no iat', async (k) => [await proof(k, { htm: 'GET', htu: url, token, claims: { iat: undefined } })], /no numeric iat/],
    ['htm in lower case', async (k) => [await proof(k, { htm: 'get', htu: url, token })], /htm/],
    ['a jti over 256 characters', async (k) => [await proof(k, { htm: 'GET', htu: url, token, jti: 'j'.repeat(257) })], /jti too long/],
    ['an unknown crit header', async (k) => [rawSigned(k, { alg: 'ES256', typ: 'dpop+jwt', jwk: k.publicJwk, crit: ['x-custom'], 'x-custom': 1 }, { jti: 'c', htm: 'GET', htu: url, iat: Math.floor(Date.now() / 1000), ath: ath(token) })], /critical/],
  ];
  it.each(refused)('%s', async (_name, make, description) => {
    const key = await dpopKey('ES256');
    const err = await proofs.verify({ method: 'GET', url, token, proofs: await make(key) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ status: 401, code: 'invalid_dpop_proof', scheme: 'DPoP', description: expect.stringMatching(description) });
  });
});

describe('challenges of a guard that accepts both schemes (RFC 9449 §7.1)', () => {
  const base: ChallengeContext = { realm: 'https://api.example.com', resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource' };
  const both = { ...base, ...senderChallenge(normalizeSenderOptions({ dpopAlgorithms: ['ES256', 'EdDSA', 'Ed25519'] })) };
  const render = (err: OAuthError, context: ChallengeContext) =>
    parseChallenges(err.withContext(context).headers['WWW-Authenticate']!).map((c) => [c.scheme, c.params]);
  const common = { realm: base.realm, resource_metadata: base.resourceMetadata };
  const algs = 'ES256 EdDSA Ed25519';

  it('no credentials: Bearer first, then DPoP with algs, neither with an error', () => {
    expect(render(missingToken(), both)).toEqual([
      ['Bearer', common],
      ['DPoP', { algs, ...common }],
    ]);
  });

  it('a bad bearer token: the error on Bearer, DPoP still offered', () => {
    expect(render(invalidToken('expired'), { ...both, scheme: 'Bearer' })).toEqual([
      ['Bearer', { error: 'invalid_token', error_description: 'expired', ...common }],
      ['DPoP', { algs, ...common }],
    ]);
  });

  it('a refused proof: DPoP error="invalid_dpop_proof", algs="…", after a plain Bearer challenge', () => {
    const err = new OAuthError({ status: 401, code: 'invalid_dpop_proof', description: 'htm mismatch', scheme: 'DPoP' });
    expect(render(err, both)).toEqual([
      ['Bearer', common],
      ['DPoP', { error: 'invalid_dpop_proof', error_description: 'htm mismatch', algs, ...common }],
    ]);
  });

  it('DPoP only: one DPoP challenge', () => {
    expect(render(missingToken(), { ...base, ...senderChallenge(normalizeSenderOptions({ dpop: 'required', dpopAlgorithms: ['ES256'] })) })).toEqual([
      ['DPoP', { algs: 'ES256', ...common }],
    ]);
  });

  it('400 and 403 answer only the scheme the request used', () => {
    expect(render(invalidRequest('two tokens'), { ...both, scheme: 'DPoP' })).toEqual([
      ['DPoP', { error: 'invalid_request', error_description: 'two tokens', algs, ...common }],
    ]);
    expect(render(insufficientScope(['a'], 'lacks a'), { ...both, scheme: 'Bearer' })).toEqual([
      ['Bearer', { error: 'insufficient_scope', error_description: 'lacks a', scope: 'a', ...common }],
    ]);
  });

  it('503 stays a 503 with Retry-After and no challenge; use_dpop_nonce carries DPoP-Nonce', () => {
    expect(temporarilyUnavailable('down', 3).withContext(both).headers).toEqual({ 'Retry-After': '3' });
    const nonce = new OAuthError({ status: 401, code: 'use_dpop_nonce', description: 'nonce', scheme: 'DPoP', headers: { 'DPoP-Nonce': 'n-1' } });
    expect(nonce.withContext(both).headers['DPoP-Nonce']).toBe('n-1');
    expect(nonce.withContext(both).withContext(both).headers['DPoP-Nonce']).toBe('n-1');
  });
});

describe('extractCredentials', () => {
  const header = new Set(['header'] as const);
  const cases: Array<[string, string | string[], boolean, unknown]> = [
    ['DPoP scheme, DPoP accepted', 'DPoP abc.def', true, { token: 'abc.def', scheme: 'DPoP' }],
    ['dpop scheme in lower case', 'dpop abc', true, { token: 'abc', scheme: 'DPoP' }],
    ['DPoP scheme, DPoP not accepted: no credentials', 'DPoP abc', false, undefined],
    ['Bearer stays Bearer', 'Bearer abc', true, { token: 'abc', scheme: 'Bearer' }],
    ['DPoP with nothing after it', 'DPoP', true, '400:invalid_request'],
    ['DPoP with two tokens', 'DPoP a b', true, '400:invalid_request'],
    ['DPoP and Bearer headers together', ['DPoP a', 'Bearer b'], true, '400:invalid_request'],
  ];
  it.each(cases)('%s', (_name, authorization, acceptDpop, expected) => {
    let outcome: unknown;
    try {
      outcome = extractCredentials({ headers: { authorization } }, header, acceptDpop);
    } catch (err) {
      outcome = err instanceof OAuthError ? `${err.status}:${err.code}` : err;
    }
    expect(outcome).toEqual(expected);
  });

  it('a form-body token is Bearer', () => {
    const credentials = extractCredentials(
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, method: 'POST', body: { access_token: 'abc' } },
      new Set(['header', 'body'] as const),
      true,
    );
    expect(credentials).toEqual({ token: 'abc', scheme: 'Bearer', location: 'body' });
  });
});

describe('option validation', () => {
  const base: GuardOptions = { issuer: 'https://auth.example.com', audience: 'https://api.example.com' };
  const bad: Array<[string, Partial<GuardOptions> | Record<string, unknown>, RegExp]> = [
    ['dpop', { dpop: 'sometimes' }, /"dpop" must be "allowed", "required" or "disabled"/],
    ['dpopAlgorithms with HS256', { dpopAlgorithms: ['HS256'] }, /"dpopAlgorithms" has "HS256"/],
    ['dpopAlgorithms with none', { dpopAlgorithms: ['none'] }, /"dpopAlgorithms" has "none"/],
    ['empty dpopAlgorithms', { dpopAlgorithms: [] }, /"dpopAlgorithms" must be a non-empty array/],
    ['negative dpopProofWindow', { dpopProofWindow: -1 }, /"dpopProofWindow"/],
    ['NaN dpopProofWindow', { dpopProofWindow: Number.NaN }, /"dpopProofWindow"/],
    ['short dpopNonce secret', { dpopNonce: { secret: 'short' } }, /at least 32 bytes/],
    ['dpopNonce lifetime 0', { dpopNonce: { lifetime: 0 } }, /"dpopNonce.lifetime"/],
    ['publicBaseUrl with a query', { publicBaseUrl: 'https://api.example.com/?x=1' }, /"publicBaseUrl"/],
    ['relative publicBaseUrl', { publicBaseUrl: '/api' }, /"publicBaseUrl"/],
    ['clientCertificateHeader with a space', { clientCertificateHeader: 'x client cert' }, /"clientCertificateHeader"/],
  ];
  it.each(bad)('%s', (_name, options, message) => {
    expect(() => createGuard({ ...base, ...(options as Partial<GuardOptions>) })).toThrow(message);
  });

  it("authenticate({ dpop }) is checked when the route is declared", () => {
    const guard = createGuard(base);
    expect(() => guard.authenticate({ dpop: 'always' as never })).toThrow(/authenticate\(\): "dpop"/);
  });

  it('defaults: allowed, ES256/EdDSA/Ed25519 among the algorithms, 60 s, no nonces', () => {
    const config = normalizeSenderOptions({});
    expect(config).toMatchObject({ dpop: 'allowed', dpopProofWindow: 60, dpopNonce: undefined, publicBaseUrl: undefined });
    expect(config.dpopAlgorithms.slice(0, 3)).toEqual(['ES256', 'EdDSA', 'Ed25519']);
  });
});
