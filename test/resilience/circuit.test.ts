/**
 * The circuit breaker in front of each upstream (metadata, JWKS, introspection) against a
 * fault-injecting AS: a 429 or 503 with `Retry-After` opens it for exactly that long (no
 * call reaches the server, the guard answers 503 with `Retry-After`), then it half-opens
 * (one probe call), and a good answer closes it. Repeated failures without `Retry-After`
 * back off exponentially up to the cooldown. Every call is counted on the server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { AUDIENCE, failure, opaque, sleep, tally, whiteBoxVerifier } from '../support/resilience.js';
import type { TokenVerifier } from '../../src/verify/verifier.js';
import type { CircuitState } from '../../src/remote/backoff.js';

let as: FaultServer;
beforeEach(async () => {
  as = await startFaultServer();
});
afterEach(() => as.close());

const client = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };

/** Polls `read` until it differs from `value` (or `limitMs` passes); returns how long it took. */
async function waitWhile<T>(read: () => T, value: T, limitMs = 10_000): Promise<number> {
  const start = Date.now();
  while (read() === value && Date.now() - start < limitMs) await sleep(25);
  return Date.now() - start;
}

const jwksCircuit = (v: TokenVerifier): CircuitState => v.issuers.get(as.issuer)!.jwks.remote.state.circuit;
const metadataCircuit = (v: TokenVerifier): CircuitState => v.issuers.get(as.issuer)!.metadata.state.circuit;
const introspectionCircuit = (v: TokenVerifier): CircuitState => v.introspector!.state.circuit;

describe.each([429, 503])('JWKS answers %i with Retry-After', (status) => {
  it('opens for that long, half-opens for one probe, closes on success', async () => {
    as.setBehavior('jwks', fault.status(status, { 'retry-after': '2' }), fault.ok);
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, tokenCache: false });
    const first = await failure(v.verify(as.mintJwt()));
    const openedAt = Date.now();
    expect(first?.status).toBe(503);
    expect(first?.headers['Retry-After']).toBe('2');
    expect(as.count('jwks')).toBe(1);
    expect(jwksCircuit(v)).toBe('open');

    // Open: 50 requests, no call; each 503 says how long is left.
    const during = await Promise.all(Array.from({ length: 50 }, () => failure(v.verify(as.mintJwt()))));
    expect(tally(during.map((e) => e?.status ?? 200))).toEqual({ 503: 50 });
    for (const e of during) expect(['1', '2']).toContain(e?.headers['Retry-After']);
    expect(as.count('jwks')).toBe(1);

    await waitWhile(() => jwksCircuit(v), 'open');
    // Held for the 2 s asked (the lower bound only: a loaded machine may poll late).
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(1_500);
    expect(jwksCircuit(v)).toBe('half-open');
    expect(as.count('jwks')).toBe(1);

    // Half-open: 50 concurrent requests share one probe; it succeeds and closes the circuit.
    const after = await Promise.all(Array.from({ length: 50 }, () => v.verify(as.mintJwt())));
    expect(after.every((a) => a.tokenType === 'jwt')).toBe(true);
    expect(as.count('jwks')).toBe(2);
    expect(jwksCircuit(v)).toBe('closed');
  });

  it('a failing probe opens it again for the new Retry-After', async () => {
    as.setBehavior('jwks', fault.status(status, { 'retry-after': '1' }), fault.status(status, { 'retry-after': '2' }), fault.ok);
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, tokenCache: false });
    expect((await failure(v.verify(as.mintJwt())))?.status).toBe(503);
    await waitWhile(() => jwksCircuit(v), 'open');
    const probe = await failure(v.verify(as.mintJwt()));
    expect(probe?.status).toBe(503);
    expect(probe?.headers['Retry-After']).toBe('2');
    expect(jwksCircuit(v)).toBe('open');
    expect(as.count('jwks')).toBe(2);
    await waitWhile(() => jwksCircuit(v), 'open');
    await expect(v.verify(as.mintJwt())).resolves.toMatchObject({ tokenType: 'jwt' });
    expect(as.count('jwks')).toBe(3);
    expect(jwksCircuit(v)).toBe('closed');
  });
});

describe('JWKS 429 while warm', () => {
  it('known kids keep verifying from cache; an unknown kid is 503 with Retry-After and no call until it passes', async () => {
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, tokenCache: false, cooldown: 0 });
    await v.verify(as.mintJwt());
    as.setBehavior('jwks', fault.status(429, { 'retry-after': '2' }), fault.ok);
    await as.rotateKeys();
    const rotated = as.mintJwt();
    const first = await failure(v.verify(rotated));
    expect(first?.status).toBe(503);
    expect(first?.headers['Retry-After']).toBe('2');
    expect(as.count('jwks')).toBe(2);
    const old = as.mintJwt({ key: as.keys.keys.find((k) => k.alg === 'RS256' && k.kid !== as.keys.current('RS256').kid) });
    await expect(v.verify(old)).resolves.toMatchObject({ tokenType: 'jwt' });
    for (let i = 0; i < 20; i++) expect((await failure(v.verify(rotated)))?.status).toBe(503);
    expect(as.count('jwks')).toBe(2);
    await waitWhile(() => jwksCircuit(v), 'open');
    await expect(v.verify(rotated)).resolves.toMatchObject({ tokenType: 'jwt' });
    expect(as.count('jwks')).toBe(3);
  });
});

describe('metadata answers 429 with Retry-After', () => {
  it('opens, then one probe, then closed', async () => {
    as.setBehavior('metadata', fault.status(429, { 'retry-after': '2' }), fault.ok);
    as.setBehavior('openid-configuration', fault.status(429, { 'retry-after': '2' }), fault.ok);
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, tokenCache: false });
    const first = await failure(v.verify(as.mintJwt()));
    expect(first?.status).toBe(503);
    expect(first?.headers['Retry-After']).toBe('2');
    const calls = as.count('metadata') + as.count('openid-configuration');
    expect(calls).toBe(2); // both candidate locations tried once
    expect(metadataCircuit(v)).toBe('open');
    const during = await Promise.all(Array.from({ length: 30 }, () => failure(v.verify(as.mintJwt()))));
    expect(tally(during.map((e) => e?.status ?? 200))).toEqual({ 503: 30 });
    expect(as.count('metadata') + as.count('openid-configuration')).toBe(calls);
    expect(as.count('jwks')).toBe(0);
    await waitWhile(() => metadataCircuit(v), 'open');
    const after = await Promise.all(Array.from({ length: 30 }, () => v.verify(as.mintJwt())));
    expect(after).toHaveLength(30);
    expect(as.count('metadata')).toBe(2);
    expect(as.count('jwks')).toBe(1);
    expect(metadataCircuit(v)).toBe('closed');
  });
});

describe.each([429, 503])('introspection answers %i with Retry-After', (status) => {
  it('opens for that long, half-opens for one probe while others wait, closes on success', async () => {
    as.setBehavior('introspection', fault.status(status, { 'retry-after': '2' }), fault.slow(200));
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, introspection: client });
    const first = await failure(v.verify(as.mintOpaque()));
    expect(first?.status).toBe(503);
    expect(first?.headers['Retry-After']).toBe('2');
    expect(as.count('introspection')).toBe(1);
    expect(introspectionCircuit(v)).toBe('open');

    const during = await Promise.all(Array.from({ length: 50 }, () => failure(v.verify(as.mintOpaque()))));
    expect(tally(during.map((e) => e?.status ?? 200))).toEqual({ 503: 50 });
    for (const e of during) expect(['1', '2']).toContain(e?.headers['Retry-After']);
    expect(as.count('introspection')).toBe(1);

    await waitWhile(() => introspectionCircuit(v), 'open');
    expect(introspectionCircuit(v)).toBe('half-open');

    // Half-open: 20 distinct tokens at once; one probe reaches the server, the rest are 503.
    const probe = await Promise.all(Array.from({ length: 20 }, () => failure(v.verify(as.mintOpaque()))));
    expect(tally(probe.map((e) => e?.status ?? 200))).toEqual({ 200: 1, 503: 19 });
    expect(as.count('introspection')).toBe(2);
    expect(introspectionCircuit(v)).toBe('closed');

    // Closed: every distinct token gets its call again.
    const closed = await Promise.all(Array.from({ length: 20 }, () => failure(v.verify(as.mintOpaque()))));
    expect(tally(closed.map((e) => e?.status ?? 200))).toEqual({ 200: 20 });
    expect(as.count('introspection')).toBe(22);
  });
});

describe('repeated failures without Retry-After', () => {
  it('the second failure opens the circuit; waits grow 1 s, 2 s, … and stop at the cooldown', async () => {
    as.setBehavior('introspection', fault.status(500));
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, cooldown: 2, introspection: client });
    // One failure: the next call still reaches the server.
    expect((await failure(v.verify(opaque())))?.status).toBe(503);
    expect(introspectionCircuit(v)).toBe('closed');
    expect((await failure(v.verify(opaque())))?.status).toBe(503);
    expect(as.count('introspection')).toBe(2);
    expect(introspectionCircuit(v)).toBe('open');
    const held = await failure(v.verify(opaque()));
    expect(held?.headers['Retry-After']).toBe('1');
    expect(as.count('introspection')).toBe(2);

    await waitWhile(() => introspectionCircuit(v), 'open');
    expect((await failure(v.verify(opaque())))?.status).toBe(503);
    expect(as.count('introspection')).toBe(3);
    expect((await failure(v.verify(opaque())))?.headers['Retry-After']).toBe('2');

    await waitWhile(() => introspectionCircuit(v), 'open');
    expect((await failure(v.verify(opaque())))?.status).toBe(503);
    expect(as.count('introspection')).toBe(4);
    // 2^2 = 4 s would be next, but the cooldown (2 s) caps it.
    expect((await failure(v.verify(opaque())))?.headers['Retry-After']).toBe('2');

    as.setBehavior('introspection', fault.ok);
    await waitWhile(() => introspectionCircuit(v), 'open');
    expect((await failure(v.verify(as.mintOpaque())))).toBeUndefined();
    expect(as.count('introspection')).toBe(5);
    expect(introspectionCircuit(v)).toBe('closed');
  });

  it('JWKS: after two failures no call until the back-off passes; the recovery is one fetch', async () => {
    as.setBehavior('jwks', fault.status(500));
    const v = whiteBoxVerifier({ issuer: as.issuer, audience: AUDIENCE, tokenCache: false, cooldown: 1 });
    for (let i = 0; i < 2; i++) expect((await failure(v.verify(as.mintJwt())))?.status).toBe(503);
    expect(as.count('jwks')).toBe(2);
    for (let i = 0; i < 20; i++) expect((await failure(v.verify(as.mintJwt())))?.status).toBe(503);
    expect(as.count('jwks')).toBe(2);
    as.setBehavior('jwks', fault.ok);
    await waitWhile(() => jwksCircuit(v), 'open');
    const all = await Promise.all(Array.from({ length: 20 }, () => v.verify(as.mintJwt())));
    expect(all).toHaveLength(20);
    expect(as.count('jwks')).toBe(3);
    expect(jwksCircuit(v)).toBe('closed');
  });
});
