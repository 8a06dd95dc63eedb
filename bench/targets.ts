/**
 * Where resource-guard stands against its performance targets (issue 21, part 3, and the
 * earlier ones of issue 6), from one run's cells.
 *
 * Every verdict is judged on the server's CPU time per answered request (with the server
 * pinned to a CPU of its own where the machine allows), as the median of per-round ratios:
 * round r of resource-guard's cell against round r of the reference cell. A comparison is
 * "times as cheap": the reference's cost ÷ ours, so higher is better and 0.90 × bare Express
 * means ours costs 1/0.90 of bare Express's CPU. req/s is printed beside it, never judged:
 * with the server on one CPU and the load generator on another it follows the CPU closely,
 * and unlike CPU it moves when other processes take the load generator's CPU.
 */
import { LABEL, LETTER } from './cells.js';
import type { MemoryResult } from './memory.js';
import type { Cell } from './report.js';
import { medianRatio, type Round } from './stats.js';
import type { MiddlewareId } from './server.js';

export interface Target {
  id: string;
  /** The issue that set it. */
  issue: 6 | 21;
  text: string;
  verdict: 'met' | 'missed' | 'unknown';
  detail: string;
  goal?: number;
  /** The judged figure: the median of {@link rounds}. */
  value?: number;
  /** The per-round ratios the verdict is the median of. */
  rounds?: number[];
  /** The resource-guard cell to profile when missed, and how far off it is (value ÷ goal). */
  profile?: { scenario: string; score: number };
}

const PEERS: MiddlewareId[] = ['auth0', 'express-jwt'];

const fmt = (n: number | undefined, digits = 2) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

export const find = (cells: Cell[], scenario: string, middleware: MiddlewareId) =>
  cells.find((c) => c.scenario === scenario && c.middleware === middleware && c.state === 'measured' && c.result !== undefined);

/** A cell's rounds; a record without them counts as one round. */
export function roundsOf(cell: Cell): Round[] {
  if (cell.rounds !== undefined && cell.rounds.length > 0) return cell.rounds;
  return cell.result === undefined ? [] : [{ ...cell.result, round: 0 }];
}

/** Flags that void a verdict (wrong statuses, errors, no responses); noise only annotates it. */
const broken = (cell: Cell) => cell.flags.some((f) => !f.startsWith('noisy'));

/** `subject` against `reference`: "times as cheap" by server CPU per request, and by req/s, medians of per-round ratios. */
export interface Comparison {
  byCpu: number;
  byRps: number;
  cpuRounds: number[];
  /** A cell involved answered wrong statuses or had errors: no verdict. */
  void: boolean;
  /** A cell involved was measured while other processes took CPU. */
  noisy: boolean;
  /** Neither figure exists: which side was not measured. */
  missing?: 'subject' | 'reference';
}

export function compare(subject: Cell | undefined, reference: Cell | undefined): Comparison {
  if (subject === undefined || reference === undefined) {
    return { byCpu: NaN, byRps: NaN, cpuRounds: [], void: false, noisy: false, missing: subject === undefined ? 'subject' : 'reference' };
  }
  // The reference's cost ÷ ours: higher is better.
  const cpu = medianRatio(roundsOf(reference), roundsOf(subject), (m) => m.cpuPerRequest);
  const rps = medianRatio(roundsOf(subject), roundsOf(reference), (m) => m.rps);
  return {
    byCpu: cpu.median,
    byRps: rps.median,
    cpuRounds: cpu.rounds,
    void: broken(subject) || broken(reference),
    noisy: [subject, reference].some((c) => c.flags.some((f) => f.startsWith('noisy'))),
  };
}

/** The peer whose comparison with `subject` is hardest to beat. */
function bestPeer(cells: Cell[], scenario: string, subject: Cell | undefined): Cell | undefined {
  const peers = PEERS.map((m) => find(cells, scenario, m)).filter((c): c is Cell => c !== undefined);
  const score = (peer: Cell) => {
    const value = compare(subject, peer).byCpu;
    return Number.isFinite(value) ? value : Infinity;
  };
  return peers.sort((x, y) => score(x) - score(y))[0];
}

/** Run-to-run spread of one cell on this 2-core VM, as seen while the bench was built. */
export const SPREAD = 0.1;

function detailOf(c: Comparison, goal: number, reference: string): string {
  if (c.missing !== undefined) return `not measured in this run: ${c.missing === 'subject' ? "resource-guard's cell" : reference}`;
  const rounds = c.cpuRounds.map((r) => fmt(r)).join(', ');
  const parts = [`${fmt(c.byCpu)} × ${reference} by server CPU per request (median of rounds: ${rounds}); ${fmt(c.byRps)} × by req/s`];
  if (c.void) parts.push('a cell involved is FLAGGED for its statuses or errors: no verdict');
  else if (c.noisy) parts.push('a cell involved was measured while other processes took CPU');
  if (!c.void && Number.isFinite(c.byCpu) && Math.abs(c.byCpu / goal - 1) < SPREAD / 2) {
    parts.push(`within ±${(SPREAD * 50).toFixed(0)} % of the goal: a repeat may call it the other way`);
  }
  return parts.join(' — ');
}

function target(id: string, issue: 6 | 21, text: string, c: Comparison, goal: number, reference: string, profileScenario: string): Target {
  const verdict = c.void || !Number.isFinite(c.byCpu) ? 'unknown' : c.byCpu >= goal ? 'met' : 'missed';
  return {
    id,
    issue,
    text,
    verdict,
    detail: detailOf(c, goal, reference),
    goal,
    value: c.byCpu,
    rounds: c.cpuRounds,
    profile: { scenario: profileScenario, score: c.byCpu / goal },
  };
}

export function evaluateTargets(cells: Cell[], memory: MemoryResult | undefined): Target[] {
  const targets: Target[] = [];
  const rg = (s: string) => find(cells, s, 'resource-guard');
  const peerName = (peer: Cell | undefined) => (peer === undefined ? 'a peer' : `best peer ${LETTER[peer.middleware]} ${LABEL[peer.middleware]}`);

  // Issue 21, part 3: the cached paths against bare Express, first sight beyond the cache.
  targets.push(
    target('cached-jwt-vs-bare', 21, 'cached JWT (one RS256 token reused): ≥ 0.90 × bare Express', compare(rg('reuse-RS256'), find(cells, 'reuse-RS256', 'none')), 0.9, '(a)', 'reuse-RS256'),
    target('cached-opaque-vs-bare', 21, 'cached opaque token (introspection cache warm): ≥ 0.90 × bare Express with the same header', compare(rg('opaque'), find(cells, 'opaque', 'none')), 0.9, '(a)', 'opaque'),
  );
  {
    const id = 'pool100k-RS256';
    const e = rg(id);
    const peer = bestPeer(cells, id, e);
    targets.push(
      target(`${id}-vs-floor`, 21, 'first sight, 100,000 distinct RS256 tokens (more than the token cache holds): ≥ 1.1 × the jose floor', compare(e, find(cells, id, 'jose')), 1.1, '(b)', id),
      target(`${id}-vs-peer`, 21, 'first sight, 100,000 distinct RS256 tokens: ≥ the best peer', compare(e, peer), 1, peerName(peer), id),
    );
  }

  // Issue 6, part 4.
  {
    const e = rg('reuse-RS256');
    const peer = bestPeer(cells, 'reuse-RS256', e);
    targets.push(target('reuse-vs-peer', 6, 'one token reused: ≥ 1.5 × the best peer', compare(e, peer), 1.5, peerName(peer), 'reuse-RS256'));
  }
  for (const alg of ['RS256', 'ES256', 'EdDSA']) {
    const id = `pool-${alg}`;
    const e = rg(id);
    const peer = bestPeer(cells, id, e);
    targets.push(
      target(`${id}-vs-floor`, 6, `10,000 distinct ${alg} tokens: ≥ 0.95 × the jose floor`, compare(e, find(cells, id, 'jose')), 0.95, '(b)', id),
      target(`${id}-vs-peer`, 6, `10,000 distinct ${alg} tokens: ≥ the best peer`, compare(e, peer), 1, peerName(peer), id),
    );
  }
  targets.push(
    target(
      'bad-signature-pool-vs-valid',
      6,
      '10,000 distinct invalid signatures: rejected at least as cheaply as 10,000 distinct valid tokens are accepted',
      compare(rg('bad-signature-pool'), rg('pool-RS256')),
      1,
      "resource-guard's 10,000 valid RS256 tokens",
      'bad-signature-pool',
    ),
  );
  for (const id of ['bad-signature', 'no-token']) {
    const vsPool = compare(rg(id), rg('pool-RS256'));
    const t = target(
      `${id}-vs-valid`,
      6,
      `${id === 'no-token' ? 'no token' : 'invalid signature'}: rejected at least as cheaply as a valid token is accepted`,
      compare(rg(id), rg('reuse-RS256')),
      1,
      "resource-guard's valid reused token",
      id,
    );
    t.detail += `; against its 10,000-token RS256 pool: ${fmt(vsPool.byCpu)} by CPU, ${fmt(vsPool.byRps)} by req/s`;
    targets.push(t);
  }
  targets.push(memoryTarget(memory));
  return targets;
}

function memoryTarget(memory: MemoryResult | undefined): Target {
  if (memory === undefined) {
    return { id: 'memory', issue: 6, text: 'RSS after 1,000,000 distinct tokens bounded by the cache size', verdict: 'unknown', detail: 'memory run skipped' };
  }
  const points = memory.bounded.checkpoints;
  const full = points.find((p) => p.tokens >= memory.maxEntries)!;
  const last = points[points.length - 1]!;
  const heapGrowth = last.heapUsed / full.heapUsed;
  const rssGrowth = last.rss / full.rss;
  const ok = points.every((p) => p.cacheEntries <= memory.maxEntries) && heapGrowth <= 1.1 && rssGrowth <= 1.25;
  return {
    id: 'memory',
    issue: 6,
    text: `RSS after ${last.tokens.toLocaleString('en')} distinct tokens bounded by the cache size`,
    verdict: ok ? 'met' : 'missed',
    detail:
      `cache ${last.cacheEntries.toLocaleString('en')} / ${memory.maxEntries.toLocaleString('en')} entries; ` +
      `heap ×${fmt(heapGrowth)} and RSS ×${fmt(rssGrowth)} from the first full cache (${full.tokens.toLocaleString('en')} tokens) to the last checkpoint; ` +
      `${fmt(memory.rs256.heapBytesPerEntry, 0)} heap bytes per RS256 entry (${memory.rs256.tokenLength}-char token), ` +
      `${fmt(memory.bounded.heapBytesPerEntry, 0)} per HS256 entry (${memory.bounded.tokenLength}-char token)` +
      (last.tokens < 1_000_000 ? `; fed ${last.tokens.toLocaleString('en')} tokens, not 1,000,000: run \`npm run bench -- --memory\` for the full figure` : ''),
  };
}

export function targetsText(targets: Target[]): string {
  const mark = { met: 'MET   ', missed: 'MISSED', unknown: '??    ' };
  return targets.map((t) => `${mark[t.verdict]}  [issue ${t.issue}] ${t.text}: ${t.detail}`).join('\n');
}
