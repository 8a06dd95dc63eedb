/**
 * An authorization server that takes 10 s to answer (metadata, JWKS or introspection), with
 * the guard's `timeout` at 3 s. Over real HTTP, every request is answered 503 with
 * `Retry-After` because the guard cut the call off ("timed out"), never by the AS's late
 * answer; calls are counted; and while the AS hangs the process stays responsive: a route the
 * guard does not touch answers before any guarded request does, a timer scheduled meanwhile
 * fires on time, and the event-loop delay stays far below the hang.
 *
 * No tight wall-clock assertion: the only time bound checked is "before the AS would have
 * answered" (10 s), with the guard's timeout at 3 s.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGuard, type Guard } from '../../src/index.js';
import { fault, startFaultServer, type FaultEndpoint, type FaultServer } from '../support/fault-server.js';
import { AUDIENCE, opaque, startGuardedApp, type RunningApp } from '../support/resilience.js';

const HANG_MS = 10_000;
const TIMEOUT_S = 3;

let as: FaultServer;
let app: RunningApp | undefined;
beforeEach(async () => {
  as = await startFaultServer();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await as.close();
});

const client = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };

interface Answer {
  status: number;
  retryAfter: string | null;
  description: string | undefined;
  /** ms after the requests were sent. */
  at: number;
}

/**
 * Sends one guarded request per token at once; meanwhile asks `/health` and schedules a
 * timer. Resolves when every guarded request is answered.
 */
async function duringHang(guard: Guard, tokens: string[]) {
  app = await startGuardedApp(guard);
  const url = app.url;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const start = Date.now();
  let settled = 0;
  const answers = tokens.map(async (token): Promise<Answer> => {
    const res = await fetch(`${url}/api/data`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { description?: string };
    settled++;
    return { status: res.status, retryAfter: res.headers.get('retry-after'), description: body.description, at: Date.now() - start };
  });
  let timerFiredAt: number | undefined;
  setTimeout(() => (timerFiredAt = Date.now() - start), 100);
  const health = await fetch(`${url}/health`);
  const settledWhenHealthAnswered = settled;
  const all = await Promise.all(answers);
  loop.disable();
  return {
    answers: all,
    health: health.status,
    settledWhenHealthAnswered,
    timerFiredAt,
    firstAnswerAt: Math.min(...all.map((a) => a.at)),
    maxLoopDelayMs: loop.max / 1e6,
  };
}

function expectResponsive(run: Awaited<ReturnType<typeof duringHang>>, { cutOff }: { cutOff: boolean }) {
  // The unrelated route answered while every guarded request that waits on the AS still hung.
  expect(run.health).toBe(200);
  if (cutOff) expect(run.settledWhenHealthAnswered).toBe(0);
  // A 100 ms timer fired, before the guard's own timeout cut the calls off.
  expect(run.timerFiredAt).toBeDefined();
  if (cutOff) expect(run.timerFiredAt!).toBeLessThan(run.firstAnswerAt);
  // Never blocked for anything near the hang (or the timeout): generous for a loaded machine.
  expect(run.maxLoopDelayMs).toBeLessThan(1_500);
  // Everyone was answered before the AS would have answered.
  for (const a of run.answers) expect(a.at).toBeLessThan(HANG_MS);
}

describe.each<[string, FaultEndpoint[]]>([
  ['metadata', ['metadata', 'openid-configuration']],
  ['JWKS', ['jwks']],
])('%s takes 10 s', (_name, endpoints) => {
  it('JWT requests: 503 + Retry-After at the timeout, one call shared by all, the process stays responsive', async () => {
    for (const e of endpoints) as.setBehavior(e, fault.slow(HANG_MS));
    const guard = createGuard({ issuer: as.issuer, audience: AUDIENCE, timeout: TIMEOUT_S });
    const run = await duringHang(guard, Array.from({ length: 50 }, () => as.mintJwt()));
    for (const a of run.answers) {
      expect(a.status).toBe(503);
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(a.description).toMatch(/timed out/);
    }
    expectResponsive(run, { cutOff: true });
    // Single-flight: one call for 50 requests; a hanging first location ends discovery (no second wait).
    expect(as.count('metadata')).toBe(1);
    expect(as.count('openid-configuration')).toBe(0);
    expect(as.count('jwks')).toBe(endpoints.includes('jwks') ? 1 : 0);
  });
});

describe('introspection takes 10 s', () => {
  it('opaque requests: 503 at the timeout or at once beyond maxConcurrency; calls capped; responsive', async () => {
    as.setBehavior('introspection', fault.slow(HANG_MS));
    const guard = createGuard({
      issuer: as.issuer,
      audience: AUDIENCE,
      timeout: TIMEOUT_S,
      introspection: { ...client, maxConcurrency: 16 },
    });
    const run = await duringHang(guard, Array.from({ length: 60 }, opaque));
    for (const a of run.answers) {
      expect(a.status).toBe(503);
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(a.description).toMatch(/timed out|too many introspection calls|introspection unavailable/);
    }
    const timedOut = run.answers.filter((a) => /timed out/.test(a.description ?? '')).length;
    expect(timedOut).toBeGreaterThanOrEqual(1);
    expect(timedOut).toBeLessThanOrEqual(16);
    expect(as.count('introspection')).toBe(timedOut);
    expectResponsive(run, { cutOff: false });

    // Afterwards the circuit is open: another wave is 503 at once, without a call.
    const calls = as.count('introspection');
    const again = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${app!.url}/api/data`, { headers: { authorization: `Bearer ${opaque()}` } })),
    );
    expect(again.map((r) => r.status)).toEqual(Array(20).fill(503));
    expect(as.count('introspection')).toBe(calls);
  });

  it('a JWT whose kid the JWKS lacks waits for the JWKS refetch and the introspection call: each cut off', async () => {
    as.setBehavior('introspection', fault.slow(HANG_MS));
    const guard = createGuard({ issuer: as.issuer, audience: AUDIENCE, timeout: TIMEOUT_S, introspection: client });
    await guard.verify(as.mintJwt());
    const run = await duringHang(guard, [as.mintJwt({ kid: 'not-published' })]);
    expect(run.answers[0]).toMatchObject({ status: 503 });
    expect(run.answers[0]!.description).toMatch(/timed out/);
    expectResponsive(run, { cutOff: true });
    expect(as.count('introspection')).toBe(1);
  });
});

describe('a body that trickles for 10 s', () => {
  it('is cut off by the same timeout: the timeout covers the body, not only the headers', async () => {
    as.setBehavior('jwks', fault.trickle(HANG_MS));
    const guard = createGuard({ issuer: as.issuer, audience: AUDIENCE, timeout: TIMEOUT_S });
    const run = await duringHang(guard, Array.from({ length: 10 }, () => as.mintJwt()));
    for (const a of run.answers) expect(a).toMatchObject({ status: 503 });
    expectResponsive(run, { cutOff: true });
    expect(as.count('jwks')).toBe(1);
  });
});
