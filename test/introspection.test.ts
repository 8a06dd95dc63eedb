/**
 * RFC 7662 introspection: client authentication and encodings, the decision rules, the
 * cache and single-flight (calls counted on the server), and every failure as a 503.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGuard, OAuthError, type Guard, type IntrospectionOptions } from '../src/index.js';
import { fault, startFaultServer, type FaultServer } from './support/fault-server.js';
import { startTelnyxServer } from './support/telnyx-server.js';

const audience = 'https://api.example.com';
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as OAuthError);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let as: FaultServer;
beforeEach(async () => {
  as = await startFaultServer();
});
afterEach(() => as.close());

const client = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };
const guardFor = (introspection: IntrospectionOptions = {}, options: Partial<Parameters<typeof createGuard>[0]> = {}): Guard =>
  createGuard({ issuer: as.issuer, audience, introspection: { ...client, ...introspection }, ...options });

describe('decisions', () => {
  it('an active opaque token passes and maps onto AuthInfo', async () => {
    const token = as.mintOpaque({ scope: 'messages:read admin', client_id: 'svc', sub: 'user-1' });
    const auth = await guardFor().verify(token);
    expect(auth).toMatchObject({
      token,
      tokenType: 'opaque',
      issuer: as.issuer,
      subject: 'user-1',
      clientId: 'svc',
      audience: [audience],
      scopes: ['messages:read', 'admin'],
    });
    expect(auth.claims.active).toBe(true);
    expect(JSON.parse(JSON.stringify(auth))).toEqual(auth);
  });

  it('active:false is 401 invalid_token', async () => {
    const err = await failure(guardFor().verify('unknown-opaque-token'));
    expect(err?.status).toBe(401);
    expect(err?.description).toBe('token is not active');
  });

  const refusals: Array<[string, Parameters<FaultServer['mintOpaque']>[0], RegExp]> = [
    ['expired per exp', { exp: Math.floor(Date.now() / 1000) - 60 }, /expired|not active/],
    ['wrong issuer', { claims: { iss: 'https://evil.example.com' } }, /issuer not trusted/],
    ['wrong audience', { aud: 'https://other.example.com' }, /audience mismatch/],
    ['a refresh token', { claims: { token_type: 'refresh_token' } }, /refresh tokens/],
    ['nbf in the future', { claims: { nbf: Math.floor(Date.now() / 1000) + 600 } }, /not valid yet/],
  ];
  it.each(refusals)('%s is 401', async (_name, mint, description) => {
    const err = await failure(guardFor().verify(as.mintOpaque(mint)));
    expect(err?.status).toBe(401);
    expect(err?.description).toMatch(description);
  });

  it('requireAudience refuses active tokens whose response has no aud', async () => {
    const token = as.mintOpaque({ claims: { aud: undefined } });
    await expect(guardFor().verify(token)).resolves.toBeTruthy();
    expect((await failure(guardFor({ requireAudience: true }).verify(token)))?.description).toMatch(/no audience/);
  });

  it('without client authentication configured, introspection stays off: opaque tokens are 401', async () => {
    const guard = createGuard({ issuer: as.issuer, audience, introspection: { endpoint: as.endpoints.introspection } });
    const err = await failure(guard.verify(as.mintOpaque()));
    expect(err?.description).toMatch(/opaque tokens need introspection/);
    expect(as.count('introspection')).toBe(0);
  });

  it('a JWT is verified locally: introspection is never called for it', async () => {
    const guard = guardFor();
    await guard.verify(as.mintJwt());
    expect(as.count('introspection')).toBe(0);
  });

  it('a JWT local checks cannot decide (HMAC, no secret) goes to introspection', async () => {
    const token = as.mintJwt({ alg: 'HS256', kid: null });
    await expect(guardFor().verify(token)).resolves.toMatchObject({ tokenType: 'opaque' });
    expect(as.count('introspection')).toBe(1);
  });

  it('a JWT with a kid the JWKS lacks goes to introspection', async () => {
    const token = as.mintJwt({ kid: 'not-published' });
    const err = await failure(guardFor().verify(token));
    // The server does not know it either (signed with its key but under a foreign kid is still registered).
    expect(as.count('introspection')).toBe(1);
    expect(err === undefined || err.status === 401).toBe(true);
  });

  it('a JWT failing for a decisive reason is 401 without a call', async () => {
    const err = await failure(guardFor().verify(as.mintJwt({ expiresIn: -60 })));
    expect(err?.status).toBe(401);
    expect(as.count('introspection')).toBe(0);
  });

  it('introspectJwt: a revoked JWT is refused after local verification passes', async () => {
    const token = as.mintJwt();
    const guard = guardFor({ introspectJwt: true, maxAge: 0.2 });
    await expect(guard.verify(token)).resolves.toMatchObject({ tokenType: 'jwt' });
    as.revoke(token);
    await sleep(250);
    expect((await failure(guard.verify(token)))?.status).toBe(401);
  });
});

describe('client authentication and encodings', () => {
  it('client_secret_basic with form encoding (default), per RFC 7662 §2.1', async () => {
    await guardFor().verify(as.mintOpaque());
    const [request] = as.counts.requests(new URL(as.endpoints.introspection).pathname);
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('resource-server:resource-server-secret').toString('base64')}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('client_secret_post', async () => {
    await expect(guardFor({ auth: 'client_secret_post' }).verify(as.mintOpaque())).resolves.toBeTruthy();
    const [request] = as.counts.requests(new URL(as.endpoints.introspection).pathname);
    expect(request?.headers.authorization).toBeUndefined();
  });

  it('Telnyx: JSON body with a Bearer API key, endpoint from the /v2 metadata', async () => {
    const telnyx = await startTelnyxServer();
    const guard = createGuard({
      issuer: telnyx.apiBase,
      audience,
      introspection: { auth: 'bearer', bearerToken: telnyx.apiKey, encoding: 'json' },
    });
    const token = telnyx.mintOpaque({ scope: 'messages:read' });
    await expect(guard.verify(token)).resolves.toMatchObject({ tokenType: 'opaque', scopes: ['messages:read'], issuer: telnyx.apiBase });
    const [request] = telnyx.counts.requests('/v2/oauth/introspect');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.authorization).toBe(`Bearer ${telnyx.apiKey}`);
    await telnyx.close();
  });

  it('wrong credentials: 503 (the token may be fine) and one warning that names no secret', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const guard = guardFor({ clientSecret: 'wrong-secret-value' });
    const first = await failure(guard.verify(as.mintOpaque()));
    await failure(guard.verify(as.mintOpaque()));
    expect(first?.status).toBe(503);
    expect(first?.description).toMatch(/refused the guard's credentials/);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).not.toContain('wrong-secret-value');
    expect(JSON.stringify(first)).not.toContain('wrong-secret-value');
    warn.mockRestore();
  });
});

describe('cache and single-flight', () => {
  it('200 concurrent requests with one new token make exactly 1 call', async () => {
    const guard = guardFor();
    const token = as.mintOpaque();
    as.setBehavior('introspection', fault.slow(100));
    const results = await Promise.all(Array.from({ length: 200 }, () => guard.verify(token)));
    expect(results.every((r) => r.tokenType === 'opaque')).toBe(true);
    expect(as.count('introspection')).toBe(1);
  });

  it('500 sequential requests with the same invalid token within 10 s make 1 call', async () => {
    const guard = guardFor();
    for (let i = 0; i < 500; i++) {
      expect((await failure(guard.verify('the-same-bad-token')))?.status).toBe(401);
    }
    expect(as.count('introspection')).toBe(1);
  });

  it('a revoked token stops working within maxAge', async () => {
    const guard = guardFor({ maxAge: 0.3 });
    const token = as.mintOpaque();
    await guard.verify(token);
    as.revoke(token);
    await expect(guard.verify(token)).resolves.toBeTruthy();
    await sleep(350);
    expect((await failure(guard.verify(token)))?.status).toBe(401);
    expect(as.count('introspection')).toBe(2);
  });

  it('a positive result never outlives the token exp', async () => {
    const guard = guardFor({ maxAge: 300 });
    const token = as.mintOpaque({ exp: Math.floor(Date.now() / 1000) + 1 });
    await guard.verify(token);
    await sleep(1100 + 5000);
    expect((await failure(guard.verify(token)))?.status).toBe(401);
  }, 15_000);

  it('beyond maxConcurrency distinct calls: 503, never a queue', async () => {
    as.setBehavior('introspection', fault.slow(300));
    const guard = guardFor({ maxConcurrency: 5 });
    const results = await Promise.all(Array.from({ length: 20 }, () => failure(guard.verify(as.mintOpaque()))));
    const refused = results.filter((e) => e?.status === 503);
    expect(refused).toHaveLength(15);
    expect(as.count('introspection')).toBe(5);
  });
});

describe('failures are 503 with Retry-After, and nothing is cached', () => {
  const cases: Array<[string, Parameters<FaultServer['setBehavior']>[1]]> = [
    ['connection reset', fault.down],
    ['500', fault.status(500)],
    ['non-JSON body', fault.garbage],
    ['oversized body', fault.oversized(2 * 1024 * 1024)],
    ['JSON without boolean active', fault.json({ active: 'yes' })],
    ['a redirect', fault.redirect('/elsewhere')],
  ];
  it.each(cases)('%s', async (_name, behavior) => {
    as.setBehavior('introspection', behavior, fault.ok);
    const guard = guardFor();
    const token = as.mintOpaque();
    const err = await failure(guard.verify(token));
    expect(err?.status).toBe(503);
    expect(Number(err?.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    await expect(guard.verify(token)).resolves.toBeTruthy();
    expect(as.count('introspection')).toBe(2);
  });

  it('a hanging endpoint is cut off by the timeout', async () => {
    as.setBehavior('introspection', fault.hang);
    const err = await failure(guardFor({}, { timeout: 0.3 }).verify(as.mintOpaque()));
    expect(err?.status).toBe(503);
    expect(err?.description).toMatch(/timed out/);
  });

  it('429 with Retry-After: the guard backs off and says so', async () => {
    as.setBehavior('introspection', fault.status(429, { 'retry-after': '3' }));
    const guard = guardFor();
    const first = await failure(guard.verify(as.mintOpaque()));
    expect(first?.headers['Retry-After']).toBe('3');
    const second = await failure(guard.verify(as.mintOpaque()));
    expect(second?.status).toBe(503);
    expect(Number(second?.headers['Retry-After'])).toBeGreaterThanOrEqual(2);
    expect(as.count('introspection')).toBe(1);
  });
});
