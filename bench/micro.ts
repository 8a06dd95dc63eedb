/**
 * In-process micro-benchmark: `guard.verify()` beside raw `jose.jwtVerify` with a local key,
 * so the guard's own overhead shows without HTTP in the way. µs per call, after a warm-up.
 *
 * Cases, per algorithm:
 *   jose      `jwtVerify(token, localKeyObject, { issuer, audience, algorithms })`: the floor
 *   hot       `guard.verify(sameToken)`: a verified-token cache hit
 *   cold      `guard.verify(newToken)`: every token distinct (miss, verify, insert, evict)
 *   no cache  `guard.verify(sameToken)` with `tokenCache: false`: the full path every time
 * each measured sequentially (one call in flight: latency) and with 16 calls in flight
 * (throughput: jose v6 verifies with WebCrypto, whose jobs run on the libuv thread pool),
 * plus the CPU time per call of the 16-in-flight run (all threads), which noise from other
 * processes barely moves.
 *
 *   node --import tsx bench/micro.ts [--json <file>]
 */
import { createPublicKey, createHash, hash, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jwtVerify, type JWK } from 'jose';
import { createGuard, type Guard } from 'resource-guard';
import { ALGS, AUDIENCE, AuthorizationServer, type BenchAlg } from './as.js';

export interface MicroRow {
  alg: BenchAlg | '-';
  case: string;
  /** µs per call, one call in flight. */
  sequentialUs: number;
  /** µs per call, 16 calls in flight. */
  concurrentUs: number;
  /**
   * CPU µs per call (this process, every thread, so WebCrypto's pool work counts), 16 in
   * flight: the work a call costs, which other processes on the machine cannot inflate the
   * way they inflate wall time.
   */
  cpuUs: number;
  iterations: number;
}

const CONCURRENCY = 16;
/** Distinct tokens per algorithm for the cold cases (warm-up + sequential + concurrent), never scaled down. */
const COLD_TOKENS = 3_000;

/** Runs `fn(i)` for `iterations` calls, `inFlight` at a time; wall and CPU µs per call. */
async function run(fn: (i: number) => Promise<unknown>, iterations: number, inFlight: number, offset = 0): Promise<{ wall: number; cpu: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < iterations) await fn(offset + next++);
    }),
  );
  const wall = Number(process.hrtime.bigint() - started) / 1e3 / iterations;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / iterations };
}

const time = async (...args: Parameters<typeof run>) => (await run(...args)).wall;

/** `scale` multiplies every iteration count (0.5 when the bench is short of time). */
export async function runMicro(log: (line: string) => void = () => undefined, scale = 1): Promise<MicroRow[]> {
  const n = (count: number) => Math.max(100, Math.round(count * scale));
  const as = new AuthorizationServer();
  await as.start();
  const rows: MicroRow[] = [];
  try {
    const jwks = (await (await fetch(as.jwksUri)).json()) as { keys: JWK[] };
    const guards = {
      cached: createGuard({ issuer: as.issuer, metadataUrl: as.metadataUrl, audience: AUDIENCE }),
      uncached: createGuard({ issuer: as.issuer, metadataUrl: as.metadataUrl, audience: AUDIENCE, tokenCache: false }),
    };
    const sample = await as.mint('RS256');
    rows.push(await measure('-', 'sha256(token), createHash().update().digest()', async () => createHash('sha256').update(sample).digest('base64url'), n(100_000)));
    rows.push(await measure('-', "sha256(token), one-shot crypto.hash()", async () => hash('sha256', sample, 'base64url'), n(100_000)));
    for (const alg of ALGS) {
      const jwk = jwks.keys.find((k) => k.alg === alg)!;
      const key: KeyObject = createPublicKey({ key: jwk as never, format: 'jwk' });
      const token = await as.mint(alg);
      const pool = await as.mintPool(alg, COLD_TOKENS, `micro-${alg}`);
      const options = { issuer: as.issuer, audience: AUDIENCE, algorithms: [alg] };
      rows.push(await measure(alg, 'jose.jwtVerify, local key', () => jwtVerify(token, key, options), n(2_000)));
      rows.push(await measure(alg, 'guard.verify hot (same token)', () => guards.cached.verify(token), n(50_000)));
      rows.push(await measureCold(alg, guards.cached, pool));
      rows.push(await measure(alg, 'guard.verify, tokenCache: false', () => guards.uncached.verify(token), n(2_000)));
      for (const row of rows.slice(-4)) log(formatRow(row));
    }
  } finally {
    await as.stop();
  }
  return rows;
}

async function measure(alg: MicroRow['alg'], name: string, fn: () => Promise<unknown>, iterations: number): Promise<MicroRow> {
  await time(fn, Math.ceil(iterations / 4), CONCURRENCY);
  const sequentialUs = await time(fn, iterations, 1);
  const concurrent = await run(fn, iterations, CONCURRENCY);
  return { alg, case: name, sequentialUs, concurrentUs: concurrent.wall, cpuUs: concurrent.cpu, iterations };
}

/** Every call a token the guard has not seen: the pool is split into warm-up, sequential, concurrent. */
async function measureCold(alg: BenchAlg, guard: Guard, pool: string[]): Promise<MicroRow> {
  const third = Math.floor(pool.length / 3);
  const fn = (i: number) => guard.verify(pool[i]!);
  await time(fn, third, CONCURRENCY, 0);
  const sequentialUs = await time(fn, third, 1, third);
  const concurrent = await run(fn, third, CONCURRENCY, 2 * third);
  return { alg, case: 'guard.verify cold (new token each call)', sequentialUs, concurrentUs: concurrent.wall, cpuUs: concurrent.cpu, iterations: third };
}

export function formatRow(row: MicroRow): string {
  return `${row.alg.padEnd(6)} ${row.case.padEnd(42)} ${row.sequentialUs.toFixed(2).padStart(9)} µs  ${row.concurrentUs.toFixed(2).padStart(9)} µs  ${row.cpuUs.toFixed(2).padStart(9)} µs  (${row.iterations} calls)`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.setSourceMapsEnabled(false); // as compiled code runs; tsx turned them on
  const jsonAt = process.argv.indexOf('--json');
  const scaleAt = process.argv.indexOf('--scale');
  const print = jsonAt === -1 ? (line: string) => console.log(line) : undefined;
  print?.(`${'alg'.padEnd(6)} ${'case'.padEnd(42)} ${'1 in flight'.padStart(12)}  ${'16 in flight'.padStart(12)}  ${'CPU, 16'.padStart(12)}`);
  const rows = await runMicro(print, scaleAt === -1 ? 1 : Number(process.argv[scaleAt + 1]));
  if (jsonAt !== -1) writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(rows, null, 2));
}
