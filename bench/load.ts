/**
 * Load with autocannon, run by the load generator child (`loader.ts`, pinned to a CPU of
 * its own): a warm-up whose results are thrown away, then the measured run. Latencies are
 * recorded from autocannon's `response` events with sub-millisecond precision (its own
 * histogram keeps whole milliseconds), and every status code is counted, so a cell
 * answering the wrong status cannot pass as fast.
 */
import autocannon from 'autocannon';

/**
 * The Authorization header of each request, in a form that crosses IPC: none, one value, or
 * the tokens `from`…`to` (exclusive) of a pool file (a JSON array of tokens, `tokens.ts`),
 * each sent once in order (then again from the start if more requests go out).
 */
export type AuthSpec = { kind: 'none' } | { kind: 'header'; value: string } | { kind: 'pool'; file: string; from: number; to: number };

/** What the parent asks the load generator for. */
export interface LoadRequest {
  url: string;
  connections: number;
  /** Seconds; with `amount`, the most the run may take. */
  duration: number;
  amount?: number;
  auth: AuthSpec;
}

export interface LoadSpec {
  url: string;
  connections: number;
  warmup: number;
  duration: number;
  /** Stop after this many requests instead of after `duration` (the pool scenarios: each token once). */
  amount?: number;
  /** The Authorization header of every request, or `undefined` for none. */
  authorization: (() => string) | string | undefined;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** CPU the load generator (this process) used during the run, in cores (1 = one full core). */
  loaderCpu: number;
  /** Every latency of the run, sorted, ms (the load generator keeps them to itself). */
  latencies?: number[];
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  if (spec.warmup > 0) await fire(spec, spec.warmup, undefined);
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const clock = { started: process.hrtime.bigint(), last: 0n };
  const result = await fire(spec, spec.duration, latencies, clock);
  // Measured to the last response: with `amount`, autocannon only notices it is done on its
  // one-second tick, so its own `duration` is rounded up to a whole second.
  const seconds = Number((clock.last === 0n ? process.hrtime.bigint() : clock.last) - clock.started) / 1e9;
  const used = process.cpuUsage(cpu);
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statuses[code] = Number(count);
  return loadResult({ seconds, statuses, latencies, errors: result.errors, timeouts: result.timeouts, loaderSeconds: (used.user + used.system) / 1e6 });
}

/** A {@link LoadResult} from raw counts; `latencies` are sorted in place. */
export function loadResult(raw: {
  seconds: number;
  statuses: Record<string, number>;
  latencies: number[];
  errors: number;
  timeouts: number;
  loaderSeconds: number;
}): LoadResult {
  const requests = Object.values(raw.statuses).reduce((a, b) => a + b, 0);
  const latencies = raw.latencies.sort((a, b) => a - b);
  return {
    requests,
    seconds: raw.seconds,
    rps: requests / raw.seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    statuses: raw.statuses,
    errors: raw.errors,
    timeouts: raw.timeouts,
    loaderCpu: raw.loaderSeconds / raw.seconds,
    latencies,
  };
}

async function fire(spec: LoadSpec, duration: number, latencies: number[] | undefined, clock?: { started: bigint; last: bigint }) {
  const auth = spec.authorization;
  const options: Parameters<typeof autocannon>[0] = {
    url: spec.url,
    connections: spec.connections,
    duration,
    timeout: 10,
    // autocannon notices that a run is over (its duration, or `amount` answered) only on a
    // sample tick: with its default of one second, a 1.4 s run took 2 s.
    sampleInt: 100,
  };
  if (latencies !== undefined && spec.amount !== undefined) options.amount = spec.amount;
  if (typeof auth === 'string') {
    options.headers = { authorization: auth };
  } else if (typeof auth === 'function') {
    options.requests = [
      {
        method: 'GET',
        setupRequest: (request) => {
          request.headers = { ...request.headers, authorization: auth() };
          return request;
        },
      },
    ];
  }
  if (clock !== undefined) clock.started = process.hrtime.bigint();
  const instance = autocannon(options);
  if (latencies !== undefined) {
    instance.on('response', (_client: unknown, _status: number, _bytes: number, time: number) => {
      latencies.push(time);
      if (clock !== undefined) clock.last = process.hrtime.bigint();
    });
  }
  return instance;
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
