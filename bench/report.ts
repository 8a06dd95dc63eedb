/**
 * The cells of one bench run, their ratios, and the tables (stdout and Markdown). The
 * verdicts are in targets.ts.
 */
import { LABEL, LETTER, type Scenario } from './cells.js';
import type { MemoryResult } from './memory.js';
import type { MicroRow } from './micro.js';
import type { ProfileSummary } from './profile-summary.js';
import type { MiddlewareId } from './server.js';
import { medianRatio, type Measurement, type Round } from './stats.js';
import { find, roundsOf, type Target } from './targets.js';

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
  /** One measurement per round, each in a fresh server process. */
  rounds?: Round[];
  /** The medians over {@link rounds} (counts summed). */
  result?: Measurement;
  ratios?: Ratios;
  /** The CPUs the server's threads were allowed, as read in its first round (pinning check). */
  affinity?: string;
}

/** Medians of per-round ratios: [× (a) bare Express, × the floor], same rounds. */
export interface Ratios {
  baseline: string;
  floor: string;
  rps: [number, number];
  p50: [number, number];
  p99: [number, number];
  cpu: [number, number];
  rss: [number, number];
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

/** Every measured cell's ratios to bare Express and to its floor: medians of per-round ratios. */
export function addRatios(cells: Cell[], scenarios: Scenario[]): void {
  for (const cell of cells) {
    if (cell.result === undefined) continue;
    const scenario = scenarios.find((s) => s.id === cell.scenario)!;
    const baselineScenario = scenario.middlewares.includes('none') ? scenario.id : scenario.baselineFrom!;
    const a = find(cells, baselineScenario, 'none');
    const f = find(cells, scenario.id, scenario.floor);
    const ratio = (reference: Cell | undefined, pick: (m: Measurement) => number) =>
      reference === undefined ? NaN : medianRatio(roundsOf(cell), roundsOf(reference), pick).median;
    const both = (pick: (m: Measurement) => number): [number, number] => [ratio(a, pick), ratio(f, pick)];
    cell.ratios = {
      baseline: `${LETTER.none} ${baselineScenario}`,
      floor: `${LETTER[scenario.floor]} ${scenario.id}`,
      rps: both((m) => m.rps),
      p50: both((m) => m.p50),
      p99: both((m) => m.p99),
      cpu: both((m) => m.cpuPerRequest),
      rss: both((m) => m.rss),
    };
  }
}

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

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
  const other = `${r.otherCpu === undefined ? '' : ` other ${r.otherCpu.toFixed(2)}`}${r.otherOnServerCpu === undefined ? '' : ` (${r.otherOnServerCpu.toFixed(2)} on the server's CPU)`}`;
  const notes = [...cell.flags, ...(cell.notes ?? []), `cpu srv ${r.serverCpu.toFixed(2)} load ${r.loaderCpu.toFixed(2)}${other}`];
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

/**
 * What the affinity check found, over every cell: "12 threads on CPU 0 (20 cells), 13
 * threads on CPU 0 (14 cells)"; undefined when nothing was checked (an unpinned run).
 */
export function affinitySummary(cells: Cell[]): string | undefined {
  const counts = new Map<string, number>();
  for (const cell of cells) if (cell.affinity !== undefined) counts.set(cell.affinity, (counts.get(cell.affinity) ?? 0) + 1);
  if (counts.size === 0) return undefined;
  return [...counts].map(([affinity, n]) => `${affinity} (${n} ${n === 1 ? 'cell' : 'cells'})`).join(', ');
}

/**
 * Server CPU µs per request of every measured cell, round by round (in the order measured),
 * with the median the tables use: how much one server process differs from the next.
 */
export function roundsTable(cells: Cell[], markdown: boolean): string {
  const measured = cells.filter((c) => c.result !== undefined);
  const count = Math.max(0, ...measured.map((c) => roundsOf(c).length));
  const head = ['scenario', 'middleware', ...Array.from({ length: count }, (_, i) => `round ${i + 1}`), 'median', 'spread'];
  const body = measured.map((cell) => {
    const rounds = roundsOf(cell);
    const values = Array.from({ length: count }, (_, i) => rounds.find((r) => r.round === i)?.cpuPerRequest);
    const finite = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
    const spread = finite.length < 2 ? NaN : (Math.max(...finite) - Math.min(...finite)) / cell.result!.cpuPerRequest;
    return [
      cell.scenario,
      `${LETTER[cell.middleware]} ${LABEL[cell.middleware]}`,
      ...values.map((v) => (v === undefined ? '' : v.toFixed(0))),
      cell.result!.cpuPerRequest.toFixed(0),
      Number.isFinite(spread) ? `±${((spread * 100) / 2).toFixed(0)} %` : '',
    ];
  });
  if (markdown) {
    return [`| ${head.join(' | ')} |`, `| --- | --- | ${head.slice(2).map(() => '---:').join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  }
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((v, i) => (i >= 2 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ')).join('\n');
}
