/**
 * Floods of hostile tokens against a fault-injecting AS that counts every call:
 * - 10,000 JWTs with random `kid`s cost at most one JWKS fetch per cooldown;
 * - 10,000 distinct garbage opaque tokens cost at most `introspection.maxConcurrency`
 *   calls at once; the rest are 503 with `Retry-After` at once (no queue), and the
 *   answers (`active: false`) are cached, so the same garbage again costs nothing;
 * - over HTTP, a mixed flood is answered with 400/401/503 only.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import {
  AUDIENCE,
  failure,
  opaque,
  sleep,
  startGuardedApp,
  statusOf,
  tally,
  whiteBoxVerifier,
  withHeader,
} from '../support/resilience.js';

let as: FaultServer;
beforeEach(async () => {
  as = await startFaultServer();
});
afterEach(() => as.close());

const client = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };
const FLOOD = 10_000;

/** `count` tokens like a real one of this server, each with a random kid the JWKS lacks. */
function randomKidTokens(count: number): string[] {
  const template = as.mintJwt();
  return Array.from({ length: count }, () => withHeader(template, { alg: 'RS256', typ: 'at+jwt', kid: randomUUID() }));
}

describe('10,000 tokens with random kids', () => {
  it('a warm guard: the flood right after warm-up costs no fetch', async () => {
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE });
    await v.verify(as.mintJwt());
    expect(as.count('jwks')).toBe(1);
    const statuses = await Promise.all(randomKidTokens(FLOOD).map((t) => statusOf(v.verify(t))));
    expect(tally(statuses)).toEqual({ 401: FLOOD });
    expect(as.count('jwks')).toBe(1); // the warm-up fetch started the 30 s cooldown
    expect(as.count('introspection')).toBe(0);
  });

  it('a flood spread over several cooldowns: at most one fetch per cooldown', async () => {
    const cooldown = 1;
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, cooldown });
    await v.verify(as.mintJwt());
    const start = Date.now();
    const tokens = randomKidTokens(FLOOD);
    const statuses: number[] = [];
    // 20 bursts of 500, 150 ms apart: the flood lasts several cooldowns however loaded the machine.
    for (let i = 0; i < FLOOD; i += 500) {
      statuses.push(...(await Promise.all(tokens.slice(i, i + 500).map((t) => statusOf(v.verify(t))))));
      await sleep(150);
    }
    const elapsed = (Date.now() - start) / 1000;
    expect(tally(statuses)).toEqual({ 401: FLOOD });
    const refetches = as.count('jwks') - 1;
    // Fetches are at least `cooldown` apart, so a flood of `elapsed` seconds allows 1 + elapsed / cooldown.
    expect(refetches).toBeGreaterThanOrEqual(1);
    expect(refetches).toBeLessThanOrEqual(1 + Math.floor(elapsed / cooldown));
  });

  it('a cold guard: one fetch (metadata once, JWKS once) for the whole flood', async () => {
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE });
    const statuses = await Promise.all(randomKidTokens(FLOOD).map((t) => statusOf(v.verify(t))));
    expect(tally(statuses)).toEqual({ 401: FLOOD });
    expect(as.count('jwks')).toBe(1);
    expect(as.count('metadata')).toBe(1);
    // The real key still verifies with no further fetch.
    await expect(v.verify(as.mintJwt())).resolves.toMatchObject({ tokenType: 'jwt' });
    expect(as.count('jwks')).toBe(1);
  });

  it('with introspection on: still one JWKS fetch, and introspection calls capped at maxConcurrency', async () => {
    as.setBehavior('introspection', fault.slow(200));
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, introspection: { ...client, maxConcurrency: 16 } });
    await v.verify(as.mintJwt());
    const statuses = await Promise.all(randomKidTokens(FLOOD).map((t) => statusOf(v.verify(t))));
    // The kid is not in the JWKS, so introspection decides: 16 calls say "not active", the rest wait for no one.
    expect(tally(statuses)).toEqual({ 401: 16, 503: FLOOD - 16 });
    expect(as.count('jwks')).toBe(1);
    expect(as.count('introspection')).toBe(16);
  });
});

describe('10,000 distinct garbage opaque tokens', () => {
  it.each([64, 8])('concurrently: exactly maxConcurrency (%i) calls, the rest 503 with Retry-After at once', async (limit) => {
    as.setBehavior('introspection', fault.slow(200));
    const introspection = limit === 64 ? client : { ...client, maxConcurrency: limit }; // 64 is the default
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, introspection });
    const tokens = Array.from({ length: FLOOD }, opaque);
    const errors = await Promise.all(tokens.map((t) => failure(v.verify(t))));
    expect(tally(errors.map((e) => e?.status ?? 200))).toEqual({ 401: limit, 503: FLOOD - limit });
    for (const e of errors) if (e?.status === 503) expect(Number(e.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(as.count('introspection')).toBe(limit);
    expect(v.introspector!.state).toMatchObject({ inFlight: 0, calls: limit, cacheSize: limit, circuit: 'closed' });

    // The answered ones are cached as inactive: replaying the flood calls only for the others.
    const again = await Promise.all(tokens.map((t) => statusOf(v.verify(t))));
    expect(tally(again)).toEqual({ 401: 2 * limit, 503: FLOOD - 2 * limit });
    expect(as.count('introspection')).toBe(2 * limit);
  });

  it('in waves under the limit: one call per token, then the same flood again costs no call', async () => {
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, introspection: client });
    const tokens = Array.from({ length: 1_000 }, opaque);
    for (let i = 0; i < tokens.length; i += 64) {
      const wave = await Promise.all(tokens.slice(i, i + 64).map((t) => statusOf(v.verify(t))));
      expect(wave.every((s) => s === 401)).toBe(true);
    }
    expect(as.count('introspection')).toBe(1_000);
    expect(v.introspector!.state.cacheSize).toBe(1_000);

    // Ten times the same garbage, all at once: every answer comes from the negative cache.
    const replay = await Promise.all(Array.from({ length: FLOOD }, (_, i) => statusOf(v.verify(tokens[i % 1_000]!))));
    expect(tally(replay)).toEqual({ 401: FLOOD });
    expect(as.count('introspection')).toBe(1_000);
  });

  it('a small negative cache evicts but never grows past its limit', async () => {
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, introspection: { ...client, cacheMaxEntries: 200 } });
    for (let i = 0; i < 1_000; i += 64) {
      await Promise.all(Array.from({ length: Math.min(64, 1_000 - i) }, () => statusOf(v.verify(opaque()))));
      expect(v.introspector!.state.cacheSize).toBeLessThanOrEqual(200);
    }
    expect(v.introspector!.state.cacheSize).toBe(200);
    expect(as.count('introspection')).toBe(1_000);
  });

  it('the same garbage token 10,000 times at once: one call', async () => {
    as.setBehavior('introspection', fault.slow(100));
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, introspection: client });
    const token = opaque();
    const statuses = await Promise.all(Array.from({ length: FLOOD }, () => statusOf(v.verify(token))));
    expect(tally(statuses)).toEqual({ 401: FLOOD });
    expect(as.count('introspection')).toBe(1);
  });
});

describe('over HTTP', () => {
  it('a mixed flood of 600 requests against a hanging AS: 400/401/503 only, calls capped', async () => {
    as.setBehavior('introspection', fault.hang);
    const guard = createGuard({
      issuer: as.issuer,
      audience: AUDIENCE,
      timeout: 3,
      introspection: { ...client, maxConcurrency: 16 },
    });
    const app = await startGuardedApp(guard);
    try {
      await fetch(`${app.url}/api/data`, { headers: { authorization: `Bearer ${as.mintJwt()}` } }); // warm keys
      const kids = randomKidTokens(200);
      const headers = [
        ...kids.map((t) => `Bearer ${t}`), // unknown kid → introspection (hangs) → 503 or cap
        ...Array.from({ length: 200 }, () => `Bearer ${opaque()}`), // garbage opaque → introspection
        ...Array.from({ length: 100 }, (_, i) => `Bearer ${opaque()} ${i}`), // two tokens → 400
        ...Array.from({ length: 100 }, () => `Bearer ${withHeader(as.mintJwt(), { alg: 'none' })}`), // → 401
      ];
      const statuses = await Promise.all(
        headers.map(async (authorization) => {
          const res = await fetch(`${app.url}/api/data`, { headers: { authorization } });
          await res.arrayBuffer();
          if (res.status === 503) expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
          return res.status;
        }),
      );
      const counts = tally(statuses);
      expect(Object.keys(counts).sort()).toEqual(['400', '401', '503']);
      expect(counts[400]).toBe(100);
      expect(counts[401]).toBe(100);
      expect(counts[503]).toBe(400);
      expect(as.count('introspection')).toBeLessThanOrEqual(16);
      expect(as.count('jwks')).toBe(1);
    } finally {
      await app.close();
    }
  });
});
