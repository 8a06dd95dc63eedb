/**
 * HTTP caching of the JWKS and the metadata against a local authorization server that sends
 * `ETag` and `Cache-Control`: requests counted on the server, 200s told from 304s by whether
 * the guard sent a validator, the refresh cadence measured from the fetch events, and the
 * clamp of `max-age` to [cooldown, jwksMaxAge].
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGuard, type Guard, type GuardOptions } from '../../src/index.js';
import { freshnessOf } from '../../src/remote/http.js';
import { recordEvents, type EventRecorder } from '../support/events.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';

const audience = 'https://api.example.com';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let as: FaultServer;
let events: EventRecorder;
beforeEach(async () => {
  as = await startFaultServer();
  events = recordEvents();
});
afterEach(async () => {
  events.stop();
  await as.close();
});

const guardFor = (options: Partial<GuardOptions> = {}): Guard =>
  createGuard({ issuer: as.issuer, audience, tokenCache: false, ...options });

/** JWKS requests that reached the server: unconditional (a 200) and with If-None-Match (a 304 here). */
function jwksRequests(): { full: number; conditional: number } {
  const all = as.counts.requests(new URL(as.endpoints.jwks).pathname);
  const conditional = all.filter((r) => r.headers['if-none-match'] !== undefined).length;
  return { full: all.length - conditional, conditional };
}

/** Verifies a token every `everyMs` for `forMs`, like steady traffic; returns the slowest verify in ms. */
async function traffic(guard: Guard, token: string, forMs: number, everyMs = 25): Promise<number> {
  const end = Date.now() + forMs;
  let slowest = 0;
  while (Date.now() < end) {
    const start = performance.now();
    await guard.verify(token);
    slowest = Math.max(slowest, performance.now() - start);
    await sleep(everyMs);
  }
  return slowest;
}

function fetchTimes(channel: 'resource-guard:jwks:fetch' | 'resource-guard:metadata:fetch'): number[] {
  return events.all.filter((e) => e.channel === channel).map((e) => e.at);
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => (t - times[i]!) / 1000);
}

describe('freshness: Cache-Control max-age within [floor, ceiling]', () => {
  const cases: Array<[Record<string, string>, number]> = [
    [{}, 600],
    [{ 'cache-control': 'public, max-age=120' }, 120],
    [{ 'cache-control': 'max-age="120"' }, 120],
    [{ 'cache-control': 'max-age=120', age: '100' }, 30],
    [{ 'cache-control': 'max-age=120', age: '20' }, 100],
    [{ 'cache-control': 'max-age=5' }, 30],
    [{ 'cache-control': 'max-age=86400' }, 600],
    [{ 'cache-control': 'no-store' }, 30],
    [{ 'cache-control': 'private, no-cache' }, 30],
    [{ 'cache-control': 'public' }, 600],
  ];
  it.each(cases)('%j → %d s (floor 30, ceiling 600)', (headers, expected) => {
    expect(freshnessOf(new Headers(headers), 30, 600)).toBe(expected);
  });

  it('the clamps are the cooldown and jwksMaxAge, as health() reports', async () => {
    as.setCache('jwks', { cacheControl: 'max-age=86400' });
    const token = as.mintJwt();
    const ceiling = guardFor({ cooldown: 1, jwksMaxAge: 7 });
    await ceiling.verify(token);
    expect(ceiling.health().issuers[0]!.jwks.maxAge).toBe(7);

    as.setCache('jwks', { cacheControl: 'no-store' });
    const floor = guardFor({ cooldown: 1, jwksMaxAge: 7 });
    await floor.verify(token);
    expect(floor.health().issuers[0]!.jwks.maxAge).toBe(1);

    as.setCache('jwks', { cacheControl: 'max-age=3' });
    const within = guardFor({ cooldown: 1, jwksMaxAge: 7 });
    await within.verify(token);
    expect(within.health().issuers[0]!.jwks.maxAge).toBe(3);
  });
});

describe('revalidation with ETag / If-None-Match', () => {
  it('steady traffic: one 200, then a 304 per max-age, at the cadence max-age sets', async () => {
    as.setCache('jwks', { etag: true, cacheControl: 'max-age=1' });
    const guard = guardFor({ cooldown: 0.5, jwksMaxAge: 10 });
    const token = as.mintJwt();
    await traffic(guard, token, 3_300);

    const { full, conditional } = jwksRequests();
    expect(full).toBe(1);
    expect(conditional).toBeGreaterThanOrEqual(2);
    expect(conditional).toBeLessThanOrEqual(4);
    expect(events.of('resource-guard:jwks:fetch').map((e) => e.outcome)).toEqual(['ok', ...Array(conditional).fill('not-modified')]);
    // Refreshed ahead of expiry (in the last tenth of max-age), never earlier, never much later.
    for (const gap of gaps(fetchTimes('resource-guard:jwks:fetch'))) {
      expect(gap).toBeGreaterThanOrEqual(0.85);
      expect(gap).toBeLessThanOrEqual(1.5);
    }
    const health = guard.health().issuers[0]!.jwks;
    expect(health).toMatchObject({ maxAge: 1, notModified: conditional, fetches: 1 + conditional });
  });

  it('a max-age above jwksMaxAge is cut to it: the cadence follows the ceiling', async () => {
    as.setCache('jwks', { etag: true, cacheControl: 'max-age=3600' });
    const guard = guardFor({ cooldown: 0.2, jwksMaxAge: 0.6 });
    await traffic(guard, as.mintJwt(), 2_000);
    const intervals = gaps(fetchTimes('resource-guard:jwks:fetch'));
    expect(intervals.length).toBeGreaterThanOrEqual(2);
    for (const gap of intervals) {
      expect(gap).toBeGreaterThanOrEqual(0.5);
      expect(gap).toBeLessThanOrEqual(1);
    }
    expect(jwksRequests().full).toBe(1);
  });

  it('no-store is raised to the cooldown floor: no refetch storm', async () => {
    as.setCache('jwks', { etag: true, cacheControl: 'no-store' });
    const guard = guardFor({ cooldown: 0.5, jwksMaxAge: 10 });
    await traffic(guard, as.mintJwt(), 1_600, 10);
    const { full, conditional } = jwksRequests();
    expect(full + conditional).toBeGreaterThanOrEqual(3);
    expect(full + conditional).toBeLessThanOrEqual(5);
  });

  it('a changed JWKS answers 200 with a new ETag and its keys are used', async () => {
    as.setCache('jwks', { etag: true, cacheControl: 'max-age=0' });
    const guard = guardFor({ cooldown: 0.2, jwksMaxAge: 10 });
    await guard.verify(as.mintJwt());
    await sleep(250);
    await guard.verify(as.mintJwt());
    const [rotated] = await as.rotateKeys({ algs: ['ES256'] });
    await sleep(250);
    await expect(guard.verify(as.mintJwt({ alg: 'ES256' }))).resolves.toMatchObject({ tokenType: 'jwt' });
    expect(events.of('resource-guard:jwks:fetch').map((e) => e.outcome)).toEqual(['ok', 'not-modified', 'ok']);
    expect(guard.health().issuers[0]!.jwks.kids).toContain(rotated!.kid);
  });

  it('an unknown kid within max-age still refetches (after the cooldown); a 304 then means "not there"', async () => {
    as.setCache('jwks', { etag: true, cacheControl: 'max-age=60' });
    const guard = guardFor({ cooldown: 0.1, jwksMaxAge: 60 });
    await guard.verify(as.mintJwt());
    await sleep(150);
    const err = await guard.verify(as.mintJwt({ kid: 'nope' })).catch((e: unknown) => e as { status: number; description: string });
    expect(err).toMatchObject({ status: 401, description: "key 'nope' not found in the JWKS" });
    expect(jwksRequests()).toEqual({ full: 1, conditional: 1 });
  });

  it('the metadata is revalidated at the URL that answered, never walking the other candidates again', async () => {
    const tenant = await startFaultServer({ issuerPath: '/tenant' });
    try {
      tenant.setCache('openid-configuration', { etag: true, cacheControl: 'max-age=0' });
      tenant.setBehavior('metadata', fault.status(404));
      const guard = createGuard({ issuer: tenant.issuer, audience, tokenCache: false, cooldown: 0.2, jwksMaxAge: 10 });
      await guard.verify(tenant.mintJwt());
      await sleep(250);
      // The JWKS is still fresh; a refresh of the metadata happens when it is read (kid miss, ready()).
      await guard.ready();
      const oidc = tenant.counts.requests(new URL(tenant.endpoints['openid-configuration']).pathname);
      expect(oidc.map((r) => r.headers['if-none-match'] !== undefined)).toEqual([false, true]);
      expect(tenant.count('metadata')).toBe(1);
      expect(guard.health().issuers[0]!.metadata).toMatchObject({ notModified: 1, fetches: 2, url: tenant.endpoints['openid-configuration'] });
    } finally {
      await tenant.close();
    }
  });
});

describe('revalidation with Last-Modified / If-Modified-Since', () => {
  let server: Server;
  let seen: Array<string | undefined>;
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('a server that only sends Last-Modified is asked If-Modified-Since and answers 304', async () => {
    seen = [];
    const lastModified = new Date(Date.now() - 60_000).toUTCString();
    server = createServer((req, res) => {
      seen.push(req.headers['if-modified-since']);
      if (req.headers['if-modified-since'] === lastModified) {
        res.writeHead(304, { 'cache-control': 'max-age=0', 'last-modified': lastModified });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=0', 'last-modified': lastModified });
      res.end(JSON.stringify(as.keys.jwks()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    const guard = guardFor({ jwksUri, cooldown: 0.1, jwksMaxAge: 10 });
    await guard.verify(as.mintJwt());
    await sleep(150);
    await guard.verify(as.mintJwt());
    expect(seen).toEqual([undefined, lastModified]);
    expect(events.of('resource-guard:jwks:fetch').map((e) => e.outcome)).toEqual(['ok', 'not-modified']);
  });
});

describe('refresh ahead of expiry', () => {
  it('no request waits on a routine refresh: a slow JWKS is refreshed in the background, once', async () => {
    as.setCache('jwks', { etag: true, cacheControl: 'max-age=1' });
    const guard = guardFor({ cooldown: 0.2, jwksMaxAge: 10 });
    const token = as.mintJwt();
    await guard.verify(token);
    as.setBehavior('jwks', fault.slow(1000));
    await sleep(920); // inside the last tenth of max-age
    const burst = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const start = performance.now();
        await guard.verify(token);
        return performance.now() - start;
      }),
    );
    // Far below the 1 s the refresh takes: nobody waited for it.
    expect(Math.max(...burst)).toBeLessThan(500);
    await sleep(1100);
    expect(as.count('jwks')).toBe(2); // one background refresh for 50 reads
    const [first, background] = events.of('resource-guard:jwks:fetch');
    expect(first).toMatchObject({ outcome: 'ok', background: false });
    expect(background).toMatchObject({ outcome: 'not-modified', background: true });
    expect(guard.health().issuers[0]!.jwks.freshFor).toBeGreaterThan(0.3);
  });

  it('a failed background refresh keeps the fresh keys and is not "stale"; the next read past expiry retries', async () => {
    as.setCache('jwks', { cacheControl: 'max-age=1' });
    const guard = guardFor({ cooldown: 0.2, jwksMaxAge: 10 });
    const token = as.mintJwt();
    await guard.verify(token);
    as.setBehavior('jwks', fault.status(503), fault.ok);
    await sleep(920);
    await guard.verify(token);
    await sleep(50);
    const health = guard.health().issuers[0]!.jwks;
    expect(health).toMatchObject({ servingStale: false, lastError: expect.stringMatching(/answered 503/) });
    expect(guard.health().status).toBe('degraded');
    await sleep(150);
    await guard.verify(token);
    await sleep(50);
    expect(guard.health()).toMatchObject({ status: 'ok' });
    expect(as.count('jwks')).toBe(3);
  });
});
