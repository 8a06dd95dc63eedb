/**
 * The Markdown fragment of `npm run bench:profile`: per scenario, bare Express and the
 * guarded cell side by side, every figure per answered request, and where the difference
 * goes (self time by function and package, GC, allocation). Meant to be pasted into
 * `bench/RESULTS.md` as it is.
 */
import { LABEL, LETTER } from './cells.js';
import type { GcWindow } from './gc-trace.js';
import type { HeapSummary } from './heap-summary.js';
import type { ProfileSummary } from './profile-summary.js';
import type { MiddlewareId } from './server.js';
import type { Round } from './stats.js';

/** One middleware of one scenario, profiled. */
export interface ProfiledCell {
  middleware: MiddlewareId;
  /** Measured without any profiler: the comparable CPU figure. */
  clean: Round;
  /** Measured under `--cpu-prof` and `--trace-gc`. */
  profiled: Round;
  cpu: ProfileSummary;
  gc: GcWindow;
  /** CPU µs over the profiled window by thread, from /proc: the main thread and all the others. */
  threads?: { main: number; others: number };
  /** The allocation pass (sampling heap profiler), when run. */
  heap?: { summary: HeapSummary; requests: number };
}

export interface ProfileReport {
  scenario: string;
  title: string;
  settings: { seconds: number; warmup: number; connections: number; pinning: string; interval: number; alloc: boolean };
  cells: ProfiledCell[];
}

const signed = (n: number, digits = 1) => (Number.isFinite(n) ? `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(digits)}` : 'n/a');
const name = (m: MiddlewareId) => `${LETTER[m]} ${LABEL[m]}`;

/** Self µs per request of every function of a profile, keyed by name and location. */
function perRequest(cell: ProfiledCell): Map<string, { name: string; location: string; package: string; us: number }> {
  const out = new Map<string, { name: string; location: string; package: string; us: number }>();
  for (const f of cell.cpu.topSelf) out.set(`${f.name} ${f.location}`, { name: f.name, location: f.location || f.package, package: f.package, us: (f.ms * 1000) / cell.profiled.requests });
  return out;
}

function summaryRows(cells: ProfiledCell[]): string[][] {
  /** A row of one figure per cell, `digits` after the point, and the second cell minus the first. */
  const row = (label: string, pick: (c: ProfiledCell) => number, digits = 1) => {
    const values = cells.map(pick);
    const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
    return [label, ...values.map(fmt), cells.length === 2 ? signed(values[1]! - values[0]!, digits) : ''];
  };
  const thread = (c: ProfiledCell, which: 'main' | 'others') => (c.threads === undefined ? NaN : c.threads[which] / c.profiled.requests);
  return [
    row('server CPU µs/req, no profiler', (c) => c.clean.cpuPerRequest),
    row('server CPU µs/req, under --cpu-prof and --trace-gc', (c) => c.profiled.cpuPerRequest),
    row('… of it the main thread (/proc, 10 ms ticks)', (c) => thread(c, 'main')),
    row('… of it the other threads (libuv pool, V8 GC and compiler helpers, the profiler)', (c) => thread(c, 'others')),
    row('main thread busy µs/req in the CPU profile (wall time of non-idle samples)', (c) => (c.cpu.busyMs * 1000) / c.profiled.requests),
    row('GC pauses on the main thread, µs/req', (c) => (c.gc.totalPauseMs * 1000) / c.profiled.requests),
    row('scavenges per 1,000 requests', (c) => ((c.gc.counts.scavenge ?? 0) * 1000) / c.profiled.requests, 2),
    row('mark-compacts per 1,000 requests', (c) => ((c.gc.counts['mark-compact'] ?? 0) * 1000) / c.profiled.requests, 3),
    row('JS heap allocated, bytes/req (heap sizes and GC trace)', (c) => c.gc.allocated / c.profiled.requests, 0),
    row('JS heap allocated, bytes/req (sampling heap profiler)', (c) => (c.heap === undefined ? NaN : c.heap.summary.totalBytes / c.heap.requests), 0),
    row('req/s, no profiler', (c) => c.clean.rps, 0),
  ];
}

/** A Markdown table; `numeric` says which columns are figures (right-aligned): all but the first by default. */
function table(head: string[], rows: string[][], numeric: (i: number) => boolean = (i) => i > 0): string[] {
  return [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (numeric(i) ? '---:' : '---')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export function renderProfileReport(report: ProfileReport, top = 20): string {
  const { cells, settings } = report;
  const out: string[] = [];
  out.push(`### Profile: \`${report.scenario}\` (${report.title}), ${cells.map((c) => name(c.middleware)).join(' vs ')}`, '');
  out.push(
    `${settings.pinning}; ${settings.connections} connections; per middleware ${settings.alloc ? 'three' : 'two'} fresh servers, each ${settings.warmup} s warm-up then ${settings.seconds} s measured: ` +
      `one without profiler, one under \`--cpu-prof\` (${settings.interval} µs sampling) and \`--trace-gc --trace-gc-nvp\`${settings.alloc ? ', one under the sampling heap profiler' : ''}. ` +
      'Every figure is per answered request of the measured window.',
    '',
  );
  out.push(...table(['', ...cells.map((c) => name(c.middleware)), cells.length === 2 ? 'difference' : ''], summaryRows(cells)), '');
  if (cells.length === 2) {
    const [base, subject] = cells as [ProfiledCell, ProfiledCell];
    const a = perRequest(base);
    const b = perRequest(subject);
    const keys = new Set([...a.keys(), ...b.keys()]);
    const diffs = [...keys]
      .map((key) => {
        const x = a.get(key);
        const y = b.get(key);
        const info = (y ?? x)!;
        return { ...info, base: x?.us ?? 0, subject: y?.us ?? 0, delta: (y?.us ?? 0) - (x?.us ?? 0) };
      })
      .sort((p, q) => q.delta - p.delta)
      .slice(0, top);
    out.push(`Where the difference goes: main-thread self time per request, ${name(subject.middleware)} minus ${name(base.middleware)}, largest first:`, '');
    out.push(...table(['Δ µs/req', `${LETTER[base.middleware]} µs/req`, `${LETTER[subject.middleware]} µs/req`, 'function', 'where'], diffs.map((d) => [signed(d.delta, 2), d.base.toFixed(2), d.subject.toFixed(2), `\`${d.name}\``, d.location]), (i) => i < 3), '');
    const packages = new Set([...base.cpu.byPackage, ...subject.cpu.byPackage].map((p) => p.package));
    const pkgUs = (c: ProfiledCell, pkg: string) => ((c.cpu.byPackage.find((p) => p.package === pkg)?.ms ?? 0) * 1000) / c.profiled.requests;
    const pkgRows = [...packages]
      .map((pkg) => ({ pkg, x: pkgUs(base, pkg), y: pkgUs(subject, pkg) }))
      .sort((p, q) => q.y - q.x - (p.y - p.x))
      .map(({ pkg, x, y }) => [pkg, x.toFixed(2), y.toFixed(2), signed(y - x, 2)]);
    out.push('Self time by package, µs per request:', '');
    out.push(...table(['package', LETTER[base.middleware], LETTER[subject.middleware], 'Δ'], pkgRows), '');
  }
  for (const cell of cells) {
    const ownerRows = cell.cpu.byOwner.slice(0, 8).map((o) => [o.owner, ((o.ms * 1000) / cell.profiled.requests).toFixed(2), o.percent.toFixed(1)]);
    out.push(`${name(cell.middleware)}: main-thread time by nearest owner (resource-guard = the guard and what it calls, not the route after it), µs per request:`, '');
    out.push(...table(['owner', 'µs/req', '%'], ownerRows), '');
    if (cell.heap !== undefined) {
      const perReq = (bytes: number) => (bytes / cell.heap!.requests).toFixed(0);
      out.push(`${name(cell.middleware)}: allocation by function (sampling heap profiler), bytes per request:`, '');
      out.push(...table(['bytes/req', 'function', 'where'], cell.heap.summary.byFunction.slice(0, 12).map((f) => [perReq(f.bytes), `\`${f.name}\``, f.location || f.package]), (i) => i === 0), '');
      out.push(`${name(cell.middleware)}: allocation by nearest owner, bytes per request: ${cell.heap.summary.byOwner.slice(0, 6).map((o) => `${o.owner} ${perReq(o.bytes)}`).join(', ')}.`, '');
    }
  }
  return out.join('\n');
}
