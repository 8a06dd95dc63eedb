/**
 * The key cache against a fault-injecting authorization server: kid-miss refetch under a
 * cooldown, rotation, stale-if-error, and refusal of bad JWKS documents. Every JWKS request
 * is counted on the server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGuard, OAuthError, type Guard } from '../src/index.js';
import { fault, startFaultServer, type FaultServer } from './support/fault-server.js';

let as: FaultServer;
beforeEach(async () => {
  as = await startFaultServer();
});
afterEach(() => as.close());

const audience = 'https://api.example.com';
const guardFor = (options: Partial<Parameters<typeof createGuard>[0]> = {}): Guard =>
  createGuard({ issuer: as.issuer, audience, tokenCache: false, ...options });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as OAuthError);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('kid-miss refetch and cooldown', () => {
  it('1,000 tokens with unknown kids cause at most one JWKS fetch per cooldown', async () => {
    const guard = guardFor();
    await guard.verify(as.mintJwt());
    expect(as.count('jwks')).toBe(1);
    const tokens = Array.from({ length: 1000 }, (_, i) => as.mintJwt({ kid: `unknown-${i}` }));
    const results = await Promise.all(tokens.map((t) => failure(guard.verify(t))));
    expect(results.every((e) => e instanceof OAuthError && e.status === 401)).toBe(true);
    // The warm-up fetch started the cooldown: not one more fetch for the flood.
    expect(as.count('jwks')).toBe(1);
  });

  it('a cold guard flooded with unknown kids fetches the JWKS once', async () => {
    const guard = guardFor();
    const tokens = Array.from({ length: 1000 }, (_, i) => as.mintJwt({ kid: `unknown-${i}` }));
    await Promise.all(tokens.map((t) => failure(guard.verify(t))));
    expect(as.count('jwks')).toBe(1);
  });

  it('a rotated-in key is picked up by one refetch once the cooldown has passed', async () => {
    const guard = guardFor({ cooldown: 0.2 });
    await guard.verify(as.mintJwt());
    await as.rotateKeys();
    await sleep(250);
    const fresh = as.mintJwt();
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => guard.verify(fresh)));
    expect(concurrent).toHaveLength(20);
    expect(as.count('jwks')).toBe(2);
  });

  it('within the cooldown an unknown kid is refused without a fetch, then accepted after it', async () => {
    // EC keys: generating one is quick even on a loaded machine, unlike RSA.
    const guard = guardFor({ cooldown: 1 });
    await guard.verify(as.mintJwt({ alg: 'ES256' }));
    await as.rotateKeys({ algs: ['ES256'] });
    const rotated = as.mintJwt({ alg: 'ES256' });
    expect((await failure(guard.verify(rotated)))?.status).toBe(401);
    expect(as.count('jwks')).toBe(1);
    await sleep(1050);
    await expect(guard.verify(rotated)).resolves.toMatchObject({ tokenType: 'jwt' });
    expect(as.count('jwks')).toBe(2);
  });

  it('a removed key stops verifying after the JWKS is refreshed', async () => {
    const guard = createGuard({ issuer: as.issuer, audience, cooldown: 0.1, jwksMaxAge: 0.2 });
    const old = as.keys.current('RS256');
    const token = as.mintJwt();
    await guard.verify(token);
    await as.rotateKeys({ keepOld: false });
    expect(as.removeKey(old.kid)).toBeUndefined();
    await sleep(250);
    const err = await failure(guard.verify(token));
    expect(err?.status).toBe(401);
    expect(err?.description).toMatch(/not found/);
  });
});

describe('JWKS outages', () => {
  it('JWKS down from the start: 503 with Retry-After, never 401', async () => {
    as.setBehavior('jwks', fault.down);
    const err = await failure(guardFor().verify(as.mintJwt()));
    expect(err?.status).toBe(503);
    expect(Number(err?.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(err?.headers['WWW-Authenticate']).toBeUndefined();
  });

  it('JWKS down after warm-up: cached keys keep verifying; an unknown kid is 503', async () => {
    const guard = guardFor({ jwksMaxAge: 30, cooldown: 0 });
    await guard.verify(as.mintJwt());
    await as.stopListening();
    await expect(guard.verify(as.mintJwt())).resolves.toMatchObject({ tokenType: 'jwt' });
    const err = await failure(guard.verify(as.mintJwt({ kid: 'new-kid' })));
    expect(err?.status).toBe(503);
    await as.resume();
  });

  it('expired cache and a failing endpoint: stale keys serve until maxStale, then 503', async () => {
    const guard = guardFor({ jwksMaxAge: 0.1, cooldown: 0, maxStale: 0.6 });
    await guard.verify(as.mintJwt());
    as.setBehavior('jwks', fault.status(500));
    await sleep(150);
    await expect(guard.verify(as.mintJwt())).resolves.toMatchObject({ tokenType: 'jwt' });
    await sleep(600);
    expect((await failure(guard.verify(as.mintJwt())))?.status).toBe(503);
    as.setBehavior('jwks', fault.ok);
    // Recovery without restart; a back-off may hold the first retry for at most the cooldown (0 here).
    await sleep(50);
    await expect(guard.verify(as.mintJwt())).resolves.toMatchObject({ tokenType: 'jwt' });
  });

  it('the next call after a single failure reaches the server again', async () => {
    as.setBehavior('jwks', fault.status(500), fault.ok);
    const guard = guardFor();
    expect((await failure(guard.verify(as.mintJwt())))?.status).toBe(503);
    await expect(guard.verify(as.mintJwt())).resolves.toBeTruthy();
    expect(as.count('jwks')).toBe(2);
  });

  it('a 429 with Retry-After is honoured: no call until it has passed', async () => {
    as.setBehavior('jwks', fault.status(429, { 'retry-after': '1' }), fault.ok);
    const guard = guardFor();
    expect((await failure(guard.verify(as.mintJwt())))?.status).toBe(503);
    const during = await failure(guard.verify(as.mintJwt()));
    expect(during?.status).toBe(503);
    expect(during?.headers['Retry-After']).toBe('1');
    expect(as.count('jwks')).toBe(1);
    await sleep(1050);
    await expect(guard.verify(as.mintJwt())).resolves.toBeTruthy();
    expect(as.count('jwks')).toBe(2);
  });

  it('a slow JWKS is cut off by the timeout: 503', async () => {
    as.setBehavior('jwks', fault.hang);
    const err = await failure(guardFor({ timeout: 0.3 }).verify(as.mintJwt()));
    expect(err?.status).toBe(503);
    expect(err?.description).toMatch(/timed out/);
  });

  it('a JWKS whose body trickles past the timeout is cut off too', async () => {
    as.setBehavior('jwks', fault.trickle(1000));
    const err = await failure(guardFor({ timeout: 0.3 }).verify(as.mintJwt()));
    expect(err?.status).toBe(503);
  });
});

describe('bad JWKS documents are refused and the good cached set stays', () => {
  const bad: Array<[string, Parameters<FaultServer['setBehavior']>[1]]> = [
    ['garbage', fault.garbage],
    ['no keys array', fault.json({ keys: 'nope' })],
    ['no usable keys', fault.json({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }, { kty: 'RSA', use: 'enc', n: 'x', e: 'AQAB' }] })],
    ['a private key only', fault.json({ keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] })],
    ['oversized', fault.oversized(2 * 1024 * 1024)],
    ['oversized with Content-Length', fault.oversized(2 * 1024 * 1024, { declareLength: true })],
    ['a redirect to another origin', fault.redirect('http://localhost:1/jwks')],
  ];
  it.each(bad)('%s: 503 when cold', async (_name, behavior) => {
    as.setBehavior('jwks', behavior);
    const err = await failure(guardFor().verify(as.mintJwt()));
    expect(err?.status).toBe(503);
  });
  it.each(bad)('%s: cached keys keep working when warm', async (_name, behavior) => {
    const guard = guardFor({ jwksMaxAge: 0.1, cooldown: 0 });
    await guard.verify(as.mintJwt());
    as.setBehavior('jwks', behavior);
    await sleep(150);
    await expect(guard.verify(as.mintJwt())).resolves.toMatchObject({ tokenType: 'jwt' });
  });
});

describe('discovery outages', () => {
  it('metadata down: 503 with Retry-After', async () => {
    as.setBehavior('metadata', fault.status(503));
    as.setBehavior('openid-configuration', fault.status(503));
    const err = await failure(guardFor().verify(as.mintJwt()));
    expect(err?.status).toBe(503);
  });

  it('the issuer in the metadata changes: refused, not followed', async () => {
    const guard = guardFor({ jwksMaxAge: 0.1, cooldown: 0, maxStale: 0 });
    await guard.verify(as.mintJwt());
    as.setIssuer('https://attacker.example.com');
    await sleep(150);
    const err = await failure(guard.verify(as.mintJwt({ claims: { iss: `${as.url}` } })));
    expect(err?.status).toBe(500);
    expect(err?.description).toMatch(/issuer mismatch/);
  });
});
