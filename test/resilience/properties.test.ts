/**
 * Property-based tests (fast-check) against a real fault-injecting AS:
 * - any single-byte mutation of a valid token is refused (every algorithm, with and without
 *   introspection), including the spare bits of the last base64url character;
 * - any `Authorization` header never crashes the parser: 400 or 401 only, with a challenge
 *   that parses back (in-process for any string, over HTTP for every legal header value);
 * - random JSON served as the JWKS or as the introspection response never crashes the guard
 *   and never authorizes what it should not;
 * - `WWW-Authenticate` output always parses back with an independent RFC 7235 parser.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, OAuthError, renderChallenge, type Guard } from '../../src/index.js';
import { insufficientScope, invalidRequest, invalidToken } from '../../src/errors/factories.js';
import { extractToken } from '../../src/auth/extract.js';
import { parseChallenges } from '../support/challenge.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { AUDIENCE, failure, opaque, startGuardedApp, statusOf, whiteBoxVerifier, type RunningApp } from '../support/resilience.js';

// Started at import: the arbitraries below are built from its keys and issuer.
const as: FaultServer = await startFaultServer({ keyAlgs: ['RS256', 'ES256', 'EdDSA'] });
afterAll(() => as.close());

const client = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A challenge header value as Node will send it: visible ASCII and spaces only. */
const isHeaderSafe = (value: string) => /^[\x20-\x7e]*$/.test(value);

/** The one `Bearer` challenge of a header (a DPoP challenge may follow it). */
function bearerChallenge(header: string | null | undefined) {
  const bearer = parseChallenges(header ?? '').filter((c) => c.scheme === 'Bearer');
  expect(bearer).toHaveLength(1);
  return bearer[0]!;
}

/** What `renderChallenge` promises to keep of a value: printable ASCII. */
const printable = (value: string) => value.replace(/[^\x20-\x7e]/g, '');

describe('any single-byte mutation of a valid token is refused', () => {
  let plain: Guard;
  let introspecting: Guard;
  beforeAll(() => {
    const hmacSecret = Buffer.from(as.keys.hmacSecret);
    plain = createGuard({ issuer: as.issuer, audience: AUDIENCE, hmacSecret });
    introspecting = createGuard({ issuer: as.issuer, audience: AUDIENCE, hmacSecret, introspection: client });
  });

  const algs = ['RS256', 'ES256', 'EdDSA', 'HS256'] as const;

  it.each(algs)('%s', async (alg) => {
    const token = as.mintJwt({ alg });
    await expect(plain.verify(token)).resolves.toMatchObject({ tokenType: 'jwt' });
    await expect(introspecting.verify(token)).resolves.toMatchObject({ tokenType: 'jwt' });
    const mutation = fc
      .tuple(fc.nat({ max: token.length - 1 }), fc.integer({ min: 0, max: 255 }))
      .filter(([at, byte]) => token.charCodeAt(at) !== byte)
      .map(([at, byte]) => token.slice(0, at) + String.fromCharCode(byte) + token.slice(at + 1));
    await fc.assert(
      fc.asyncProperty(mutation, async (mutated) => {
        expect(await statusOf(plain.verify(mutated))).toBe(401);
        expect(await statusOf(introspecting.verify(mutated))).toBe(401);
      }),
      { numRuns: 300 },
    );
  });

  it.each(algs)('%s: every other value of each character of the signature, the last one included', async (alg) => {
    const token = as.mintJwt({ alg });
    const signatureStart = token.lastIndexOf('.') + 1;
    // The last character carries spare bits (a 256-byte RSA signature is 342 characters, 2,052
    // bits): a decoder that ignores them would accept 15 other tokens for the same signature.
    const positions = [signatureStart, token.length - 2, token.length - 1];
    for (const at of positions) {
      for (const c of BASE64URL) {
        if (c === token[at]) continue;
        const mutated = token.slice(0, at) + c + token.slice(at + 1);
        expect({ at, c, status: await statusOf(plain.verify(mutated)) }).toEqual({ at, c, status: 401 });
      }
    }
  });
});

describe('any Authorization header: 400 or 401, never a crash', () => {
  /** JWT-shaped strings: random JSON objects as header and payload, a random signature. */
  const jwtShaped = fc
    .tuple(
      fc.record(
        {
          alg: fc.oneof(fc.constantFrom('RS256', 'ES256', 'EdDSA', 'HS256', 'none', 'NONE', 'PS512'), fc.string()),
          kid: fc.oneof(fc.constant(as.keys.current('RS256').kid), fc.string()),
          typ: fc.oneof(fc.constantFrom('at+jwt', 'JWT', 'dpop+jwt'), fc.jsonValue()),
          crit: fc.array(fc.string()),
          jku: fc.webUrl(),
          jwk: fc.dictionary(fc.string(), fc.string()),
        },
        { requiredKeys: ['alg'] },
      ),
      fc.record(
        {
          iss: fc.oneof(fc.constant(as.issuer), fc.jsonValue()),
          aud: fc.oneof(fc.constant(AUDIENCE), fc.jsonValue()),
          exp: fc.oneof(fc.constant(Math.floor(Date.now() / 1000) + 600), fc.jsonValue()),
          nbf: fc.jsonValue(),
          iat: fc.jsonValue(),
          scope: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
      fc.string({ unit: fc.constantFrom(...BASE64URL) }),
    )
    .map(([h, p, s]) => `${Buffer.from(JSON.stringify(h)).toString('base64url')}.${Buffer.from(JSON.stringify(p)).toString('base64url')}.${s}`);
  const b64token = fc.string({ unit: fc.constantFrom(...BASE64URL, '.', '~', '+', '/', '='), minLength: 1 });
  const scheme = fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'DPoP', 'Bearer:', '');
  const separator = fc.constantFrom(' ', '  ', '\t', '', ' \t ');

  const headerValues = (unit: fc.Arbitrary<string> | 'binary') =>
    fc.oneof(
      fc.string({ unit }),
      fc.tuple(scheme, separator, fc.string({ unit })).map((parts) => parts.join('')),
      fc.tuple(scheme, separator, b64token).map((parts) => parts.join('')),
      fc.tuple(scheme, separator, jwtShaped).map((parts) => parts.join('')),
      fc.tuple(b64token, fc.string({ unit })).map(([t, junk]) => `Bearer ${t}${junk}`),
    );

  it('in-process, any string (full Unicode): extract then verify', async () => {
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, introspection: client });
    await fc.assert(
      fc.asyncProperty(headerValues('binary'), async (authorization) => {
        let status: number;
        let challenge: string | undefined;
        try {
          const token = extractToken({ headers: { authorization } }, v.config.tokenLocations);
          if (token === undefined) return; // no bearer credentials: the adapter answers 401 without error
          await v.verify(token);
          status = 200;
        } catch (err) {
          if (!(err instanceof OAuthError)) throw err;
          status = err.status;
          challenge = err.withContext(v.challenge).headers['WWW-Authenticate'];
        }
        expect([400, 401]).toContain(status);
        expect(isHeaderSafe(challenge!)).toBe(true);
        expect(bearerChallenge(challenge).params.error).toBe(status === 400 ? 'invalid_request' : 'invalid_token');
      }),
      { numRuns: 1_000 },
    );
  });

  describe('over HTTP, every legal header value (tab, visible ASCII, obs-text)', () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await startGuardedApp(createGuard({ issuer: as.issuer, audience: AUDIENCE, introspection: client }));
    });
    afterAll(() => app.close());

    const legal = fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c));

    it('answers 400 or 401 with a parsable Bearer challenge', async () => {
      await fc.assert(
        fc.asyncProperty(headerValues(legal), async (authorization) => {
          const res = await fetch(`${app.url}/api/data`, { headers: { authorization } });
          await res.arrayBuffer();
          expect([400, 401]).toContain(res.status);
          const challenge = bearerChallenge(res.headers.get('www-authenticate'));
          expect(challenge.scheme).toBe('Bearer');
          expect([undefined, 'invalid_request', 'invalid_token']).toContain(challenge.params.error);
        }),
        { numRuns: 300 },
      );
    });
  });
});

describe('random JSON as the JWKS never crashes and never authorizes', () => {
  const b64 = fc.string({ unit: fc.constantFrom(...BASE64URL), maxLength: 400 });
  const jwk = fc.record(
    {
      kty: fc.oneof(fc.constantFrom('RSA', 'EC', 'OKP', 'oct'), fc.jsonValue()),
      kid: fc.oneof(fc.constantFrom(...as.keys.keys.map((k) => k.kid)), fc.jsonValue()),
      alg: fc.oneof(fc.constantFrom('RS256', 'ES256', 'EdDSA', 'HS256', 'none'), fc.jsonValue()),
      use: fc.oneof(fc.constantFrom('sig', 'enc'), fc.jsonValue()),
      key_ops: fc.oneof(fc.constant(['verify']), fc.jsonValue()),
      crv: fc.oneof(fc.constantFrom('P-256', 'P-384', 'Ed25519', 'X25519'), fc.jsonValue()),
      n: fc.oneof(b64, fc.jsonValue()),
      e: fc.oneof(fc.constantFrom('AQAB', 'Aw'), fc.jsonValue()),
      x: b64,
      y: b64,
      d: b64,
      k: b64,
    },
    { requiredKeys: ['kty'] },
  );
  /** A published key with one of its key members replaced: the right kid, the wrong key. */
  const keyMembers: Record<string, string[]> = { RSA: ['n', 'e'], EC: ['x', 'y', 'crv'], OKP: ['x', 'crv'] };
  const tampered = fc
    .tuple(fc.constantFrom(...as.keys.keys.map((k) => k.publicJwk as Record<string, unknown>)), fc.nat(), b64)
    .map(([key, pick, value]) => {
      const members = keyMembers[key.kty as string]!;
      const member = members[pick % members.length]!;
      return { ...key, [member]: value === key[member] ? `${value}A` : value };
    });
  const documents = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.record({ keys: fc.array(fc.oneof(jwk, tampered, fc.jsonValue()), { maxLength: 8 }) }).map((v) => JSON.stringify(v)),
    fc.string(),
  );

  it('a valid token against it: 401 or 503 only', async () => {
    await fc.assert(
      fc.asyncProperty(documents, fc.constantFrom('RS256', 'ES256', 'EdDSA') as fc.Arbitrary<'RS256' | 'ES256' | 'EdDSA'>, async (body, alg) => {
        as.setBehavior('jwks', fault.status(200, {}, body));
        const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, jwksUri: as.endpoints.jwks, tokenCache: false });
        const status = await statusOf(v.verify(as.mintJwt({ alg })));
        expect([401, 503]).toContain(status);
      }),
      { numRuns: 150 },
    );
    as.resetBehaviors();
  });
});

describe('random JSON as the introspection response never crashes and never authorizes wrongly', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const response = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        active: fc.oneof(fc.constant(true), fc.constant(false), fc.jsonValue()),
        aud: fc.oneof(fc.constant(AUDIENCE), fc.constant([AUDIENCE, 'x']), fc.constant('https://other.example'), fc.jsonValue()),
        iss: fc.oneof(fc.constant(as.issuer), fc.constant('https://evil.example'), fc.jsonValue()),
        exp: fc.oneof(fc.constant(now() + 600), fc.constant(now() - 600), fc.jsonValue()),
        nbf: fc.oneof(fc.constant(now() + 600), fc.constant(now() - 600), fc.jsonValue()),
        token_type: fc.oneof(fc.constantFrom('Bearer', 'refresh_token', 'access_token'), fc.jsonValue()),
        scope: fc.jsonValue(),
        scp: fc.jsonValue(),
        sub: fc.jsonValue(),
        client_id: fc.jsonValue(),
        __proto__: fc.jsonValue(),
        constructor: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
  );

  /** RFC 7662 §4 as the guard is configured (requireAudience): may this answer authorize? */
  function mayAuthorize(body: unknown): boolean {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
    const r = body as Record<string, unknown>;
    if (r.active !== true) return false;
    const auds = Array.isArray(r.aud) ? r.aud : [r.aud];
    if (!auds.includes(AUDIENCE)) return false;
    if (r.iss !== undefined && r.iss !== as.issuer) return false;
    if (r.exp !== undefined && (typeof r.exp !== 'number' || r.exp <= now())) return false;
    if (typeof r.token_type === 'string' && /refresh/i.test(r.token_type)) return false;
    return true;
  }

  it('authorizes only active answers for this audience from a trusted issuer, unexpired', async () => {
    await fc.assert(
      fc.asyncProperty(response, async (body) => {
        as.setBehavior('introspection', fault.status(200, {}, JSON.stringify(body)));
        const v = whiteBoxVerifier({
          issuer: as.issuer,
          audience: AUDIENCE,
          introspection: { ...client, endpoint: as.endpoints.introspection, requireAudience: true },
        });
        const status = await statusOf(v.verify(opaque()));
        expect([200, 401, 503]).toContain(status);
        if (status === 200) expect(mayAuthorize(body)).toBe(true);
      }),
      { numRuns: 200 },
    );
    as.resetBehaviors();
  });

  it.each([
    ['arrays', (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`],
    ['objects', (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`],
  ])('deeply nested %s in an active answer: refused or accepted, never a crash', async (_name, nest) => {
    for (const depth of [1_000, 10_000, 100_000]) {
      const body = `{"active":true,"aud":"${AUDIENCE}","iss":"${as.issuer}","x":${nest(depth)}}`;
      as.setBehavior('introspection', fault.status(200, {}, body));
      const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, introspection: { ...client, endpoint: as.endpoints.introspection } });
      const err = await failure(v.verify(opaque()));
      expect([undefined, 401, 503]).toContain(err?.status);
    }
    as.resetBehaviors();
  });

  it('the same answers with a well-formed body authorize (the property is not vacuous)', async () => {
    as.setBehavior('introspection', fault.json({ active: true, aud: AUDIENCE, iss: as.issuer, exp: now() + 60 }));
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, introspection: { ...client, endpoint: as.endpoints.introspection, requireAudience: true } });
    await expect(v.verify(opaque())).resolves.toMatchObject({ tokenType: 'opaque' });
    as.resetBehaviors();
  });
});

describe('WWW-Authenticate always parses back', () => {
  const anyString = fc.string({ unit: 'binary' });
  const tokenName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);

  it('renderChallenge: every non-empty parameter comes back as its printable characters', () => {
    fc.assert(
      fc.property(fc.dictionary(tokenName, fc.oneof(anyString, fc.constant(undefined), fc.nat())), (params) => {
        const header = renderChallenge('Bearer', params);
        expect(isHeaderSafe(header)).toBe(true);
        const parsed = bearerChallenge(header);
        expect(parsed.scheme).toBe('Bearer');
        const expected: Record<string, string> = {};
        for (const [name, value] of Object.entries(params)) {
          if (value === undefined || value === '') continue;
          expected[name] = typeof value === 'number' ? String(value) : printable(value);
        }
        expect(parsed.params).toEqual(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('OAuthError: description, realm, resource_metadata and scope survive the round trip', () => {
    fc.assert(
      fc.property(
        anyString,
        anyString,
        anyString,
        fc.array(fc.stringMatching(/^[\x21\x23-\x5b\x5d-\x7e]{1,20}$/), { maxLength: 5 }),
        (description, realm, resourceMetadata, scopes) => {
          const context = { realm, resourceMetadata };
          for (const err of [
            invalidToken(description).withContext(context),
            invalidRequest(description).withContext(context),
            insufficientScope(scopes, description).withContext(context),
          ]) {
            const header = err.headers['WWW-Authenticate']!;
            expect(isHeaderSafe(header)).toBe(true);
            const { params } = bearerChallenge(header);
            expect(params.error).toBe(err.code);
            expect(err.description).not.toMatch(/["\\]|[^\x20-\x7e]/);
            expect(params.error_description).toBe(err.description === '' ? undefined : err.description);
            expect(params.realm).toBe(printable(realm) === '' && realm === '' ? undefined : printable(realm));
            expect(params.resource_metadata).toBe(resourceMetadata === '' ? undefined : printable(resourceMetadata));
            if (err.code === 'insufficient_scope') expect(params.scope).toBe(scopes.length > 0 ? scopes.join(' ') : undefined);
          }
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
