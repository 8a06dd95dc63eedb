/**
 * Ratios, target verdicts and the tables (stdout and Markdown) of one bench run.
 */
import { LABEL, LETTER, type Scenario } from './cells.js';
import type { Measurement } from './harness.js';
import type { MemoryResult } from './memory.js';
import type { MicroRow } from './micro.js';
import type { ProfileSummary } from './profile-summary.js';
import type { MiddlewareId } from './server.js';

export interface Cell {
  scenario: string;
  middleware: MiddlewareId;
  state: 'measured' | 'n/a' | 'failed';
  /** Why a cell is n/a or failed. */
  reason?: string;
  /** Problems that make a measured figure untrustworthy (wrong statuses, errors, noise). */
  flags: string[];
  expect: number;
  /** Facts worth reading beside the figures (not problems). */
  notes?: string[];
  result?: Measurement;
  ratios?: Ratios;
}

export interface Ratios {
  baseline: string;
  floor: string;
  rps: [number, number];
  p50: [number, number];
  p99: [number, number];
  cpu: [number, number];
  rss: [number, number];
}

export interface Target {
  id: string;
  text: string;
  verdict: 'met' | 'missed' | 'unknown';
  detail: string;
  /** The resource-guard cell to profile when missed, and how far off it is (value ÷ goal). */
  profile?: { scenario: string; score: number };
}

export interface ProfileRecord {
  scenario: string;
  middleware: MiddlewareId;
  file: string;
  rps: number;
  summary: ProfileSummary;
}

export interface RunRecord {
  meta: Record<string, unknown>;
  scenarios: Scenario[];
  cells: Cell[];
  targets: Target[];
  micro?: MicroRow[];
  memory?: MemoryResult;
  profiles: ProfileRecord[];
}

const find = (cells: Cell[], scenario: string, middleware: MiddlewareId) =>
  cells.find((c) => c.scenario === scenario && c.middleware === middleware && c.state === 'measured');

export function addRatios(cells: Cell[], scenarios: Scenario[]): void {
  for (const cell of cells) {
    if (cell.result === undefined) continue;
    const scenario = scenarios.find((s) => s.id === cell.scenario)!;
    const baselineScenario = scenario.middlewares.includes('none') ? scenario.id : scenario.baselineFrom!;
    const a = find(cells, baselineScenario, 'none')?.result;
    const f = find(cells, scenario.id, scenario.floor)?.result;
    const r = cell.result;
    const ratio = (x: number, y: number | undefined) => (y === undefined || y === 0 ? NaN : x / y);
    cell.ratios = {
      baseline: `${LETTER.none} ${baselineScenario}`,
      floor: `${LETTER[scenario.floor]} ${scenario.id}`,
      rps: [ratio(r.rps, a?.rps), ratio(r.rps, f?.rps)],
      p50: [ratio(r.p50, a?.p50), ratio(r.p50, f?.p50)],
      p99: [ratio(r.p99, a?.p99), ratio(r.p99, f?.p99)],
      cpu: [ratio(r.cpuPerRequest, a?.cpuPerRequest), ratio(r.cpuPerRequest, f?.cpuPerRequest)],
      rss: [ratio(r.rss, a?.rss), ratio(r.rss, f?.rss)],
    };
  }
}

const PEERS: MiddlewareId[] = ['auth0', 'express-jwt'];

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const trusted = (cell: Cell | undefined) => cell !== undefined && cell.flags.length === 0;
const noisyOnly = (cell: Cell) => cell.flags.length > 0 && cell.flags.every((f) => f.startsWith('noisy'));

/**
 * How `subject` compares with `reference`, as "times as fast": by req/s, and by server CPU
 * per request (reference's cost ÷ subject's: what req/s would be with the same CPU).
 * The verdict uses req/s when every cell involved is clean, and CPU cost when one was
 * measured while other processes took CPU (noise slows req/s, not the work per request).
 */
interface Comparison {
  byRps: number;
  byCpu: number;
  judged: 'req/s' | 'CPU/request' | 'none';
  value: number;
}

function compare(subject: Cell | undefined, reference: Cell | undefined): Comparison {
  const s = subject?.result;
  const r = reference?.result;
  if (s === undefined || r === undefined) return { byRps: NaN, byCpu: NaN, judged: 'none', value: NaN };
  const byRps = s.rps / r.rps;
  const byCpu = r.cpuPerRequest / s.cpuPerRequest;
  const clean = trusted(subject) && trusted(reference);
  const cpuUsable = [subject!, reference!].every((c) => trusted(c) || noisyOnly(c));
  if (clean) return { byRps, byCpu, judged: 'req/s', value: byRps };
  if (cpuUsable) return { byRps, byCpu, judged: 'CPU/request', value: byCpu };
  return { byRps, byCpu, judged: 'none', value: NaN };
}

/** The peer that does best on the measure the comparison will be judged on. */
function bestPeer(cells: Cell[], scenario: string, subject: Cell | undefined): Cell | undefined {
  const peers = PEERS.map((m) => find(cells, scenario, m)).filter((c): c is Cell => c?.result !== undefined);
  return peers.sort((x, y) => {
    const cx = compare(subject, x);
    const cy = compare(subject, y);
    return (Number.isFinite(cx.value) ? cx.value : Infinity) - (Number.isFinite(cy.value) ? cy.value : Infinity);
  })[0];
}

function describe(c: Comparison, reference: string): string {
  if (c.judged === 'none' && !Number.isFinite(c.byRps)) return `no measurement of ${reference}`;
  const judged = c.judged === 'CPU/request' ? ' — judged on CPU per request: a cell involved was measured while other processes took CPU' : c.judged === 'none' ? ' — a cell involved is FLAGGED for its statuses or errors: no verdict' : '';
  return `${fmt(c.byRps)} × ${reference} by req/s, ${fmt(c.byCpu)} × by server CPU per request${judged}`;
}

function judge(c: Comparison, goal: number): Target['verdict'] {
  if (!Number.isFinite(c.value)) return 'unknown';
  return c.value >= goal ? 'met' : 'missed';
}

/** Run-to-run spread of one cell's req/s on a quiet 2-core VM, as seen while the bench was built. */
export const SPREAD = 0.1;

/** `describe`, plus a warning when the judged figure is too close to the goal to call. */
function detailOf(c: Comparison, goal: number, reference: string): string {
  const close = Number.isFinite(c.value) && Math.abs(c.value / goal - 1) < SPREAD;
  return `${describe(c, reference)}${close ? ` — within ±${SPREAD * 100} % of the goal, the run-to-run spread: a repeat may call it the other way` : ''}`;
}

export function evaluateTargets(cells: Cell[], memory: MemoryResult | undefined): Target[] {
  const targets: Target[] = [];
  const rg = (s: string) => find(cells, s, 'resource-guard');
  const peerName = (peer: Cell | undefined) => (peer === undefined ? 'a peer' : `best peer ${LETTER[peer.middleware]} ${LABEL[peer.middleware]}`);

  {
    const e = rg('reuse-RS256');
    const vsA = compare(e, find(cells, 'reuse-RS256', 'none'));
    const peer = bestPeer(cells, 'reuse-RS256', e);
    const vsPeer = compare(e, peer);
    targets.push({
      id: 'reuse-vs-bare',
      text: 'one token reused: ≥ 0.90 × bare Express req/s',
      verdict: judge(vsA, 0.9),
      detail: detailOf(vsA, 0.9, '(a)'),
      profile: { scenario: 'reuse-RS256', score: vsA.value / 0.9 },
    });
    targets.push({
      id: 'reuse-vs-peer',
      text: 'one token reused: ≥ 1.5 × the best peer',
      verdict: judge(vsPeer, 1.5),
      detail: detailOf(vsPeer, 1.5, peerName(peer)),
      profile: { scenario: 'reuse-RS256', score: vsPeer.value / 1.5 },
    });
  }
  for (const alg of ['RS256', 'ES256', 'EdDSA']) {
    const id = `pool-${alg}`;
    const e = rg(id);
    const vsB = compare(e, find(cells, id, 'jose'));
    const peer = bestPeer(cells, id, e);
    const vsPeer = compare(e, peer);
    targets.push({
      id: `${id}-vs-floor`,
      text: `10,000 distinct ${alg} tokens: ≥ 0.95 × the jose floor`,
      verdict: judge(vsB, 0.95),
      detail: detailOf(vsB, 0.95, '(b)'),
      profile: { scenario: id, score: vsB.value / 0.95 },
    });
    targets.push({
      id: `${id}-vs-peer`,
      text: `10,000 distinct ${alg} tokens: ≥ the best peer`,
      verdict: judge(vsPeer, 1),
      detail: detailOf(vsPeer, 1, peerName(peer)),
      profile: { scenario: id, score: vsPeer.value },
    });
  }
  {
    const e = rg('bad-signature-pool');
    const vsPool = compare(e, rg('pool-RS256'));
    targets.push({
      id: 'bad-signature-pool-vs-valid',
      text: '10,000 distinct invalid signatures: rejected at least as fast as 10,000 distinct valid tokens are accepted',
      verdict: judge(vsPool, 1),
      detail: detailOf(vsPool, 1, "resource-guard's 10,000 valid RS256 tokens"),
      profile: { scenario: 'bad-signature-pool', score: vsPool.value },
    });
  }
  for (const id of ['bad-signature', 'no-token']) {
    const e = rg(id);
    const vsValid = compare(e, rg('reuse-RS256'));
    const vsPool = compare(e, rg('pool-RS256'));
    targets.push({
      id: `${id}-vs-valid`,
      text: `${id === 'no-token' ? 'no token' : 'invalid signature'}: rejected at least as fast as a valid token is accepted`,
      verdict: judge(vsValid, 1),
      detail: `${detailOf(vsValid, 1, "resource-guard's valid reused token")}; against its 10,000-token RS256 pool: ${fmt(vsPool.byRps)} by req/s, ${fmt(vsPool.byCpu)} by CPU`,
      profile: { scenario: id, score: vsValid.value },
    });
  }
  {
    const e = rg('opaque');
    const vsA = compare(e, find(cells, 'reuse-RS256', 'none'));
    targets.push({
      id: 'opaque-vs-bare',
      text: 'opaque token, introspection cache warm: ≥ 0.90 × bare Express',
      verdict: judge(vsA, 0.9),
      detail: detailOf(vsA, 0.9, '(a)'),
      profile: { scenario: 'opaque', score: vsA.value / 0.9 },
    });
  }
  if (memory === undefined) {
    targets.push({ id: 'memory', text: 'RSS after 1,000,000 distinct tokens bounded by the cache size', verdict: 'unknown', detail: 'memory run skipped' });
  } else {
    const points = memory.bounded.checkpoints;
    const full = points.find((p) => p.tokens >= memory.maxEntries)!;
    const last = points[points.length - 1]!;
    const heapGrowth = last.heapUsed / full.heapUsed;
    const rssGrowth = last.rss / full.rss;
    const ok = points.every((p) => p.cacheEntries <= memory.maxEntries) && heapGrowth <= 1.1 && rssGrowth <= 1.25;
    targets.push({
      id: 'memory',
      text: `RSS after ${last.tokens.toLocaleString('en')} distinct tokens bounded by the cache size`,
      verdict: ok ? 'met' : 'missed',
      detail:
        `cache ${last.cacheEntries.toLocaleString('en')} / ${memory.maxEntries.toLocaleString('en')} entries; ` +
        `heap ×${fmt(heapGrowth)} and RSS ×${fmt(rssGrowth)} from the first full cache (${full.tokens.toLocaleString('en')} tokens) to the last checkpoint; ` +
        `${fmt(memory.rs256.heapBytesPerEntry, 0)} heap bytes per RS256 entry (${memory.rs256.tokenLength}-char token), ` +
        `${fmt(memory.bounded.heapBytesPerEntry, 0)} per HS256 entry (${memory.bounded.tokenLength}-char token)` +
        (last.tokens < 1_000_000 ? `; fed ${last.tokens.toLocaleString('en')} tokens, not 1,000,000: run \`npm run bench -- --memory\` for the full figure` : ''),
    });
  }
  return targets;
}

// ---------------------------------------------------------------------------------------------
// Tables

const COLUMNS = ['scenario', 'middleware', 'statuses', 'req/s', '×(a)', '×floor', 'p50 ms', '×(a)', '×floor', 'p99 ms', '×(a)', '×floor', 'CPU µs/req', '×(a)', '×floor', 'RSS MiB', '×(a)', '×floor', 'notes'];
const NUMERIC_FROM = 3;
const NUMERIC_TO = COLUMNS.length - 2;

function rowOf(cell: Cell): string[] {
  const name = `${LETTER[cell.middleware]} ${LABEL[cell.middleware]}`;
  if (cell.result === undefined) {
    return [cell.scenario, name, cell.state, ...COLUMNS.slice(NUMERIC_FROM, NUMERIC_TO + 1).map(() => ''), cell.reason ?? ''];
  }
  const r = cell.result;
  const q = cell.ratios!;
  const statuses = Object.entries(r.statuses).map(([code, n]) => (Object.keys(r.statuses).length === 1 ? code : `${code}:${n}`)).join(' ');
  const notes = [...cell.flags, ...(cell.notes ?? []), `cpu srv ${r.serverCpu.toFixed(2)} load ${r.loaderCpu.toFixed(2)}${r.otherCpu === undefined ? '' : ` other ${r.otherCpu.toFixed(2)}`}`];
  return [
    cell.scenario,
    name,
    cell.flags.length > 0 ? `FLAGGED ${statuses}` : statuses,
    r.rps.toFixed(0),
    fmt(q.rps[0]),
    fmt(q.rps[1]),
    r.p50.toFixed(2),
    fmt(q.p50[0]),
    fmt(q.p50[1]),
    r.p99.toFixed(2),
    fmt(q.p99[0]),
    fmt(q.p99[1]),
    r.cpuPerRequest.toFixed(0),
    fmt(q.cpu[0]),
    fmt(q.cpu[1]),
    (r.rss / 2 ** 20).toFixed(0),
    fmt(q.rss[0]),
    fmt(q.rss[1]),
    notes.join('; '),
  ];
}

export function textTable(cells: Cell[]): string {
  const rows = [COLUMNS, ...cells.map(rowOf)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const numeric = (i: number) => i >= NUMERIC_FROM && i <= NUMERIC_TO;
  return rows
    .map((r, n) => {
      const line = r.map((v, i) => (numeric(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ');
      return n === 0 ? `${line}\n${'-'.repeat(line.length)}` : line;
    })
    .join('\n');
}

export function markdownTable(cells: Cell[]): string {
  const lines = [`| ${COLUMNS.join(' | ')} |`, `| ${COLUMNS.map((_, i) => (i >= NUMERIC_FROM && i <= NUMERIC_TO ? '---:' : '---')).join(' | ')} |`];
  for (const cell of cells) lines.push(`| ${rowOf(cell).join(' | ')} |`);
  return lines.join('\n');
}

export function microTable(rows: MicroRow[], markdown: boolean): string {
  const head = ['alg', 'case', 'µs/call, 1 in flight', 'µs/call, 16 in flight', 'CPU µs/call, 16 in flight', 'calls'];
  const body = rows.map((r) => [r.alg, r.case, r.sequentialUs.toFixed(2), r.concurrentUs.toFixed(2), r.cpuUs.toFixed(2), String(r.iterations)]);
  if (markdown) {
    return [`| ${head.join(' | ')} |`, '| --- | --- | ---: | ---: | ---: | ---: |', ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  }
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((v, i) => (i >= 2 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function targetsText(targets: Target[]): string {
  const mark = { met: 'MET   ', missed: 'MISSED', unknown: '??    ' };
  return targets.map((t) => `${mark[t.verdict]}  ${t.text}: ${t.detail}`).join('\n');
}
