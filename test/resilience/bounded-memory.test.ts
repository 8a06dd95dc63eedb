/**
 * Nothing grows without bound: 200,000 distinct tokens, valid and invalid, JWT and opaque,
 * go through one verifier whose caches have small limits, and after every batch each cache
 * is within its configured entry limit (white-box: `tokenCache.size`,
 * `introspector.state.cacheSize` and `.inFlight`). A second test shows the byte limits bind
 * before the entry limits when tokens and answers are large. No RSS assertion: sizes only.
 *
 * Kept fast: most tokens take the cheap local path (HMAC-signed, or refused before any
 * signature check); a few thousand go to introspection over HTTP, in waves under its
 * concurrency limit so each one is really answered and cached.
 */
import { ENTRY_OVERHEAD } from '../../src/verify/token-cache.js';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { AUDIENCE, hmacJwt, opaque, statusOf, tally, whiteBoxVerifier, withHeader } from '../support/resilience.js';

const as: FaultServer = await startFaultServer({ keyAlgs: ['EdDSA'], alg: 'EdDSA' });
afterAll(() => as.close());

const client = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };
const secret = Buffer.from(as.keys.hmacSecret);
const otherSecret = Buffer.alloc(32, 7);
const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: as.issuer,
  aud: AUDIENCE,
  sub: 'user',
  scope: 'messages:read',
  iat: now(),
  exp: now() + 600,
  jti: randomUUID(),
  ...extra,
});

const PAD = 'a'.repeat(17 * 1024);
let serial = 0;
const header = (h: Record<string, unknown>) => withHeader(hmacJwt(secret, claims()), h);

/**
 * Local kinds, decided without any call; each call makes a distinct token. Per batch of 400:
 * enough valid ones to overflow the token cache many times, the rest refused by the
 * checks an attacker reaches first (most of them cheap, as a flood's would be).
 */
const local: Array<[string, number, () => string, number]> = [
  ['valid HS256', 5, () => hmacJwt(secret, claims()), 200],
  ['valid EdDSA (JWKS key)', 1, () => as.mintJwt(), 200],
  ['HS256 signed with another secret', 2, () => hmacJwt(otherSecret, claims()), 401],
  ['HS256 expired', 1, () => hmacJwt(secret, claims({ exp: now() - 600 })), 401],
  ['untrusted issuer', 20, () => hmacJwt(secret, claims({ iss: 'https://evil.example' })), 401],
  ['not an access token type', 20, () => header({ alg: 'HS256', typ: 'secevent+jwt' }), 401],
  ['algorithm not allowed', 10, () => header({ alg: 'XS256' }), 401],
  ['alg none', 10, () => header({ alg: 'none' }), 401],
  ['larger than 16 KiB', 329, () => `${++serial}.${PAD}`, 401],
];
/** Kinds decided by introspection (over HTTP), per wave of 25 calls (under maxConcurrency). */
const remote: Array<[string, number, () => string, number]> = [
  ['garbage opaque', 10, opaque, 401],
  ['valid opaque', 8, () => as.mintOpaque(), 200],
  ['unknown kid', 7, () => withHeader(as.mintJwt(), { alg: 'EdDSA', typ: 'at+jwt', kid: randomUUID() }), 401],
];
const BATCHES = 500;
const WAVES = 40;
const localPerBatch = local.reduce((n, [, k]) => n + k, 0); // 398
const remotePerWave = remote.reduce((n, [, k]) => n + k, 0); // 25
const TOTAL = BATCHES * localPerBatch + WAVES * remotePerWave;

describe('200,000 distinct tokens', () => {
  it('every cache stays within its entry limit', async () => {
    expect(TOTAL).toBe(200_000);
    const limits = { tokenCache: 1_000, introspectionCache: 250, maxConcurrency: 32 };
    const v = whiteBoxVerifier({
      issuer: as.issuer,
      audience: AUDIENCE,
      hmacSecret: secret,
      tokenCache: { maxEntries: limits.tokenCache },
      introspection: { ...client, cacheMaxEntries: limits.introspectionCache, maxConcurrency: limits.maxConcurrency },
    });
    const seen = { tokenCache: 0, introspectionCache: 0, inFlight: 0 };
    const sample = () => {
      const state = v.introspector!.state;
      seen.tokenCache = Math.max(seen.tokenCache, v.tokenCache!.size);
      seen.introspectionCache = Math.max(seen.introspectionCache, state.cacheSize);
      seen.inFlight = Math.max(seen.inFlight, state.inFlight);
    };
    const sampler = setInterval(sample, 5);
    const outcomes: Record<string, number[]> = {};
    const run = async (kinds: typeof local, repeat: number) => {
      const jobs: Array<Promise<void>> = [];
      for (const [name, perBatch, make] of kinds) {
        for (let i = 0; i < perBatch * repeat; i++) {
          jobs.push(statusOf(v.verify(make())).then((s) => void (outcomes[name] ??= []).push(s)));
        }
      }
      await Promise.all(jobs);
      sample();
    };

    const check = () => {
      expect(v.tokenCache!.size).toBeLessThanOrEqual(limits.tokenCache);
      expect(v.introspector!.state.cacheSize).toBeLessThanOrEqual(limits.introspectionCache);
    };
    // Two lanes at once: introspection waves over HTTP, and the local batches.
    const remoteLane = (async () => {
      for (let w = 0; w < WAVES; w++) {
        await run(remote, 1);
        check();
      }
    })();
    for (let b = 0; b < BATCHES; b++) {
      await run(local, 1);
      check();
    }
    await remoteLane;
    clearInterval(sampler);

    // Every token got the answer its kind deserves: none lost to a full cache or a 503.
    for (const [kinds, times] of [[local, BATCHES], [remote, WAVES]] as const) {
      for (const [name, each, , status] of kinds) {
        expect({ name, outcomes: tally(outcomes[name]!) }).toEqual({ name, outcomes: { [status]: each * times } });
      }
    }
    // Bounded, and the bounds were reached: eviction was exercised.
    expect(seen.tokenCache).toBe(limits.tokenCache);
    expect(seen.introspectionCache).toBe(limits.introspectionCache);
    expect(seen.inFlight).toBeLessThanOrEqual(limits.maxConcurrency);
    expect(v.introspector!.state).toMatchObject({ inFlight: 0, calls: remotePerWave * WAVES });
    expect(as.count('introspection')).toBe(remotePerWave * WAVES);
    // One JWKS fetch for the warm-up kid, and at most one per 30 s cooldown for the unknown ones.
    expect(as.count('jwks')).toBeLessThanOrEqual(3);
  }, 120_000);
});

describe('byte limits', () => {
  it('the token cache holds no more large tokens than maxBytes allows', async () => {
    const maxBytes = 256 * 1024;
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, hmacSecret: secret, tokenCache: { maxEntries: 10_000, maxBytes } });
    const pad = 'p'.repeat(3_000);
    let smallest = Infinity;
    for (let i = 0; i < 2_000; i += 100) {
      const tokens = Array.from({ length: 100 }, () => hmacJwt(secret, claims({ pad })));
      for (const t of tokens) smallest = Math.min(smallest, t.length);
      expect(tally(await Promise.all(tokens.map((t) => statusOf(v.verify(t)))))).toEqual({ 200: 100 });
      // Each entry counts at least its token plus its claims JSON (which holds the pad), plus ENTRY_OVERHEAD.
      expect(v.tokenCache!.size).toBeLessThanOrEqual(Math.floor(maxBytes / (smallest + pad.length + ENTRY_OVERHEAD)));
    }
    expect(v.tokenCache!.size).toBeGreaterThan(0);
  });

  it('the introspection cache holds no more large answers than cacheMaxBytes allows', async () => {
    const cacheMaxBytes = 64 * 1024;
    const v = whiteBoxVerifier({
      issuer: as.issuer,
      audience: AUDIENCE,
      introspection: { ...client, cacheMaxEntries: 10_000, cacheMaxBytes },
    });
    const pad = 'p'.repeat(4_000);
    for (let i = 0; i < 200; i += 20) {
      const tokens = Array.from({ length: 20 }, () => as.mintOpaque({ claims: { pad } }));
      expect(tally(await Promise.all(tokens.map((t) => statusOf(v.verify(t)))))).toEqual({ 200: 20 });
      // Each answer counts at least its JSON length × 2 bytes.
      expect(v.introspector!.state.cacheSize).toBeLessThanOrEqual(Math.floor(cacheMaxBytes / (2 * pad.length)));
    }
    expect(v.introspector!.state.cacheSize).toBeGreaterThan(0);
  });
});
