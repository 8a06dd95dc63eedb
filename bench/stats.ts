/**
 * The arithmetic of rounds: a cell is measured once per round, each time in a fresh server
 * process; its figure is the median over rounds, and a comparison of two cells is the
 * median of their per-round ratios (round r of one against round r of the other, measured
 * minutes apart at most), so one odd process or one noisy minute cannot decide a verdict.
 */
import type { LoadResult } from './load.js';

/**
 * One cell's figures: one round's, or the medians over its rounds (requests, seconds,
 * statuses, errors and timeouts summed instead), the load generator's and the server's.
 */
export interface Measurement extends Omit<LoadResult, 'latencies'> {
  /** Cores the server used (every thread: main, libuv pool, GC, compiler). */
  serverCpu: number;
  /** The server's CPU time per answered request, µs: what the targets of issue 21 judge. */
  cpuPerRequest: number;
  /** Cores the rest of the machine used: noise. */
  otherCpu: number | undefined;
  /** Cores other processes used on the server's own CPU (pinned runs): noise that competed with it. */
  otherOnServerCpu?: number | undefined;
  rss: number;
  maxRss: number;
  heapUsed: number;
}

/** One round of one cell. */
export interface Round extends Measurement {
  /** 0-based. */
  round: number;
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medianOf(rounds: Round[], pick: (r: Round) => number | undefined): number | undefined {
  const values = rounds.map(pick).filter((v): v is number => v !== undefined);
  return values.length === 0 ? undefined : median(values);
}

/** A cell's figure from its rounds: counts summed, everything else the median over rounds. */
export function summarize(rounds: Round[]): Measurement {
  const sum = (pick: (r: Round) => number) => rounds.reduce((total, r) => total + pick(r), 0);
  const statuses: Record<string, number> = {};
  for (const r of rounds) for (const [code, n] of Object.entries(r.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  const mid = (pick: (r: Round) => number) => medianOf(rounds, pick) ?? NaN;
  return {
    requests: sum((r) => r.requests),
    seconds: sum((r) => r.seconds),
    rps: mid((r) => r.rps),
    p50: mid((r) => r.p50),
    p99: mid((r) => r.p99),
    statuses,
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    loaderCpu: mid((r) => r.loaderCpu),
    serverCpu: mid((r) => r.serverCpu),
    cpuPerRequest: mid((r) => r.cpuPerRequest),
    otherCpu: medianOf(rounds, (r) => r.otherCpu),
    otherOnServerCpu: medianOf(rounds, (r) => r.otherOnServerCpu),
    rss: mid((r) => r.rss),
    maxRss: Math.max(0, ...rounds.map((r) => r.maxRss)),
    heapUsed: mid((r) => r.heapUsed),
  };
}

/**
 * `pick(subject) ÷ pick(reference)` in every round both were measured in, by round; a
 * reference measured in fewer rounds (or an old record without rounds) pairs what it can.
 */
export function perRoundRatios(subject: Round[], reference: Round[], pick: (m: Measurement) => number): number[] {
  const ratios: number[] = [];
  for (const s of subject) {
    const r = reference.find((x) => x.round === s.round);
    if (r === undefined) continue;
    const value = pick(s) / pick(r);
    ratios.push(Number.isFinite(value) ? value : NaN);
  }
  return ratios;
}

/** The median of {@link perRoundRatios}, and the ratios themselves to print beside it. */
export function medianRatio(subject: Round[], reference: Round[], pick: (m: Measurement) => number): { median: number; rounds: number[] } {
  const rounds = perRoundRatios(subject, reference, pick);
  return { median: median(rounds), rounds };
}
