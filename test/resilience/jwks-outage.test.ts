/**
 * JWKS outages, key rotation and a changed discovery document, each step asserting the
 * statuses and the number of calls the fault-injecting AS saw. (test/jwks.test.ts covers the
 * single behaviours; these follow one guard through a whole outage and its recovery, with
 * the token cache on, as an API runs it.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { AUDIENCE, failure, sleep, statusOf, tally, whiteBoxVerifier } from '../support/resilience.js';
import type { TokenVerifier } from '../../src/verify/verifier.js';

let as: FaultServer;
beforeEach(async () => {
  as = await startFaultServer();
});
afterEach(() => as.close());

const remoteOf = (v: TokenVerifier) => v.issuers.get(as.issuer)!.jwks.remote;

/** Waits until `read()` is true, polling; fails the test after `limitMs`. */
async function until(read: () => boolean, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!read()) {
    if (Date.now() - start > limitMs) throw new Error('condition not reached in time');
    await sleep(25);
  }
}

describe('JWKS down from the start', () => {
  it('503 + Retry-After (never 401); one call per attempt, back-off after two, recovery picked up by one fetch', async () => {
    as.setBehavior('jwks', fault.down);
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, cooldown: 1 });

    const first = await Promise.all(Array.from({ length: 20 }, () => failure(v.verify(as.mintJwt()))));
    for (const e of first) {
      expect(e?.status).toBe(503);
      expect(Number(e?.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
      expect(e?.headers['WWW-Authenticate']).toBeUndefined();
    }
    expect(as.count('jwks')).toBe(1); // 20 concurrent requests, one call

    // A single failure does not open the circuit: the next request reaches the server.
    expect(await statusOf(v.verify(as.mintJwt()))).toBe(503);
    expect(as.count('jwks')).toBe(2);

    // Two failures in a row: back-off; nothing reaches the server meanwhile.
    const held = await Promise.all(Array.from({ length: 20 }, () => statusOf(v.verify(as.mintJwt()))));
    expect(tally(held)).toEqual({ 503: 20 });
    expect(as.count('jwks')).toBe(2);

    // Recovery without restart: once the back-off (≤ cooldown) passes, one fetch serves everyone.
    as.setBehavior('jwks', fault.ok);
    await until(() => remoteOf(v).state.circuit !== 'open');
    const after = await Promise.all(Array.from({ length: 20 }, () => statusOf(v.verify(as.mintJwt()))));
    expect(tally(after)).toEqual({ 200: 20 });
    expect(as.count('jwks')).toBe(3);
    expect(remoteOf(v).state).toMatchObject({ circuit: 'closed', servingStale: false, lastError: undefined });
  });
});

describe('JWKS down after warm-up', () => {
  it('cached keys verify until maxStale (token cache included), then 503; recovery is one fetch', async () => {
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, jwksMaxAge: 1, cooldown: 0.5, maxStale: 3 });
    const token = as.mintJwt();
    await v.verify(token);
    const warmedAt = remoteOf(v).state.fetchedAt!;
    expect(as.count('jwks')).toBe(1);
    expect(v.tokenCache!.size).toBe(1);

    as.setBehavior('jwks', fault.status(500));
    await until(() => remoteOf(v).fresh === undefined); // the key set is due for a refresh

    // Stale-if-error: the refresh fails, the cached keys keep verifying, old and new tokens alike.
    let calls = 0;
    while (Date.now() - warmedAt < 2_000) {
      expect(await statusOf(v.verify(token))).toBe(200);
      expect(await statusOf(v.verify(as.mintJwt()))).toBe(200);
      calls++;
      await sleep(100);
    }
    expect(remoteOf(v).state.servingStale).toBe(true);
    expect(calls).toBeGreaterThan(3);
    // Refresh attempts are spaced by the back-off, not one per request.
    const failedRefreshes = as.count('jwks') - 1;
    expect(failedRefreshes).toBeGreaterThanOrEqual(1);
    expect(failedRefreshes).toBeLessThan(2 * calls);

    // Past maxStale: 503 with Retry-After, even for the token the token cache holds.
    await until(() => Date.now() - warmedAt > 3_100);
    const cached = await failure(v.verify(token));
    expect(cached?.status).toBe(503);
    expect(Number(cached?.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(await statusOf(v.verify(as.mintJwt()))).toBe(503);

    // Recovery: picked up without restart, by one fetch for 20 concurrent requests.
    as.setBehavior('jwks', fault.ok);
    await until(() => remoteOf(v).state.circuit !== 'open');
    const before = as.count('jwks');
    const after = await Promise.all(Array.from({ length: 20 }, () => statusOf(v.verify(as.mintJwt()))));
    expect(tally(after)).toEqual({ 200: 20 });
    expect(await statusOf(v.verify(token))).toBe(200);
    expect(as.count('jwks')).toBe(before + 1);
    expect(remoteOf(v).state).toMatchObject({ circuit: 'closed', servingStale: false });
  });
});

describe('key rotation', () => {
  it('a new kid costs one fetch for 50 concurrent tokens; a removed kid is refused after the refresh, cached tokens too', async () => {
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, jwksMaxAge: 2, cooldown: 0.5 });
    const old = as.keys.current('RS256');
    const oldToken = as.mintJwt();
    expect(await statusOf(v.verify(oldToken))).toBe(200);
    expect(as.count('jwks')).toBe(1);

    await as.rotateKeys(); // old keys stay published
    await sleep(600); // past the cooldown of the warm-up fetch
    const rotated = as.mintJwt();
    expect(as.keys.current('RS256').kid).not.toBe(old.kid);
    const fresh = await Promise.all(Array.from({ length: 50 }, () => statusOf(v.verify(rotated))));
    expect(tally(fresh)).toEqual({ 200: 50 });
    expect(as.count('jwks')).toBe(2);
    // Both kids verify now.
    expect(await statusOf(v.verify(as.mintJwt({ key: old })))).toBe(200);
    expect(as.count('jwks')).toBe(2);

    // The old kid leaves the JWKS: until the key set is refreshed it still verifies...
    as.removeKey(old.kid);
    expect(await statusOf(v.verify(oldToken))).toBe(200);
    // ...and after the refresh it is refused, the token cache's entry included.
    await until(() => remoteOf(v).fresh === undefined);
    const refused = await failure(v.verify(oldToken));
    expect(refused?.status).toBe(401);
    expect(refused?.description).toMatch(/not found/);
    expect(as.count('jwks')).toBe(3);
    expect((await failure(v.verify(as.mintJwt({ key: old }))))?.status).toBe(401);
    expect(await statusOf(v.verify(rotated))).toBe(200);
    expect(as.count('jwks')).toBe(3); // refusals inside the cooldown cost no fetch
  });
});

describe("the discovery document's issuer changes", () => {
  let attacker: FaultServer;
  beforeEach(async () => {
    attacker = await startFaultServer();
  });
  afterEach(() => attacker.close());

  /** The real AS starts claiming to be `attacker`, pointing at its keys and introspection. */
  const hijack = () =>
    as.setMetadata({
      issuer: attacker.issuer,
      jwks_uri: attacker.endpoints.jwks,
      introspection_endpoint: attacker.endpoints.introspection,
    });
  const attackerCalls = () => attacker.counts.total();
  const client = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };

  it('cold: 500 naming both issuers; the named JWKS and introspection endpoint are never called', async () => {
    hijack();
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, introspection: client });
    const err = await failure(v.verify(as.mintJwt()));
    expect(err?.status).toBe(500);
    expect(err?.description).toMatch(/issuer mismatch/);
    expect(err?.description).toContain(as.issuer);
    expect(err?.description).toContain(attacker.issuer);
    expect((await failure(v.verify(as.mintOpaque())))?.status).toBe(500);
    expect((await failure(v.verify(attacker.mintJwt())))?.status).toBe(401); // its iss is not trusted
    expect(as.count('jwks')).toBe(0);
    expect(as.count('introspection')).toBe(0);
    expect(attackerCalls()).toBe(0);
  });

  it('warm: the refresh is refused and the known-good document stays; the new locations are never called', async () => {
    const v = whiteBoxVerifier({
      issuer: as.issuer,
      audience: AUDIENCE,
      jwksMaxAge: 1,
      cooldown: 0.5,
      tokenCache: false,
      introspection: client,
    });
    await v.verify(as.mintJwt());
    expect(as.count('metadata')).toBe(1);
    hijack();
    await until(() => remoteOf(v).fresh === undefined && v.issuers.get(as.issuer)!.metadata.fresh === undefined);

    // The JWKS refresh needs the metadata again: refused, the old jwks_uri is used.
    expect(await statusOf(v.verify(as.mintJwt()))).toBe(200);
    expect(as.count('metadata')).toBeGreaterThanOrEqual(2);
    expect(as.count('jwks')).toBe(2);
    // Tokens of the claimed issuer, or signed by its keys under ours, are refused.
    expect((await failure(v.verify(attacker.mintJwt())))?.status).toBe(401);
    const forged = attacker.mintJwt({ claims: { iss: as.issuer } });
    expect(await statusOf(v.verify(forged))).toBe(401);
    // Introspection still goes to the known-good endpoint.
    expect(await statusOf(v.verify(as.mintOpaque()))).toBe(200);
    expect(attackerCalls()).toBe(0);
  });

  it('warm with maxStale 0: 500 once the cached document expires, never followed', async () => {
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, jwksMaxAge: 1, cooldown: 0.5, maxStale: 0, tokenCache: false });
    await v.verify(as.mintJwt());
    hijack();
    await until(() => remoteOf(v).fresh === undefined);
    const err = await failure(v.verify(as.mintJwt()));
    expect(err?.status).toBe(500);
    expect(err?.description).toMatch(/issuer mismatch/);
    expect(as.count('jwks')).toBe(1);
    expect(attackerCalls()).toBe(0);
  });
});
