/**
 * V8's `--trace-gc` output, read back: one event per collection, and what a measured window
 * (between two marker lines the server writes, see server.ts `say`) spent on GC and
 * allocated.
 *
 * Both forms are read: the plain one (`… 12 ms: Scavenge 5.2 (7.6) -> 4.3 (8.6) MB, 1.23 / 0.00 ms …`)
 * and the name=value one `--trace-gc-nvp` prints instead (`pause=1.2 … gc=s … total_size_before=…`),
 * whose sizes are exact bytes; profile.ts asks for the latter.
 *
 * Allocation over a window is exact from heap sizes alone: what the heap holds at the end,
 * minus what it held at the start, plus what every collection in between freed.
 */

export interface GcEvent {
  /** `scavenge`, `mark-compact`, `minor-mark-sweep` or what V8 called it. */
  kind: string;
  /** Main-thread pause, ms (helper threads' share is in the process's CPU time, not here). */
  pauseMs: number;
  /** Heap objects' size before and after, bytes. */
  before: number;
  after: number;
}

const KINDS: Record<string, string> = { s: 'scavenge', mc: 'mark-compact', mmc: 'minor-mark-compact', ms: 'minor-mark-sweep' };
const MB = 1024 * 1024;

/** One trace line as an event, or undefined for anything else. */
export function parseGcLine(line: string): GcEvent | undefined {
  if (line.includes(' gc=')) {
    const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(line)?.[1];
    const pause = Number(field('pause'));
    const before = Number(field('total_size_before'));
    const after = Number(field('total_size_after'));
    if (![pause, before, after].every(Number.isFinite)) return undefined;
    const code = field('gc') ?? '?';
    return { kind: KINDS[code] ?? code, pauseMs: pause, before, after };
  }
  const plain = /\d+ ms: ([A-Za-z-]+(?: \([a-z ]+\))?) ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+) \/ [\d.]+ ms/.exec(line);
  if (plain === null) return undefined;
  const name = plain[1]!.toLowerCase();
  return {
    kind: name.startsWith('scavenge') ? 'scavenge' : name.startsWith('mark-compact') ? 'mark-compact' : name,
    pauseMs: Number(plain[4]),
    before: Number(plain[2]) * MB,
    after: Number(plain[3]) * MB,
  };
}

/** The GC events between the line `start` and the line `end` of `output` (all of it when a marker is missing). */
export function eventsBetween(output: string, start: string, end: string): GcEvent[] {
  const lines = output.split('\n');
  const from = lines.indexOf(start);
  const to = lines.indexOf(end, from + 1);
  return lines
    .slice(from === -1 ? 0 : from + 1, to === -1 ? lines.length : to)
    .map(parseGcLine)
    .filter((e): e is GcEvent => e !== undefined);
}

export interface GcWindow {
  /** Collections by kind. */
  counts: Record<string, number>;
  /** Main-thread pause, ms, by kind and in all. */
  pauseMs: Record<string, number>;
  totalPauseMs: number;
  /** Bytes allocated on the JS heap over the window: heap growth plus what the collections freed. */
  allocated: number;
}

/** `heapStart` and `heapEnd`: used heap bytes at the window's edges (`v8.getHeapStatistics().used_heap_size`). */
export function summarizeGc(events: GcEvent[], heapStart: number, heapEnd: number): GcWindow {
  const counts: Record<string, number> = {};
  const pauseMs: Record<string, number> = {};
  let freed = 0;
  for (const e of events) {
    counts[e.kind] = (counts[e.kind] ?? 0) + 1;
    pauseMs[e.kind] = (pauseMs[e.kind] ?? 0) + e.pauseMs;
    freed += e.before - e.after;
  }
  return { counts, pauseMs, totalPauseMs: Object.values(pauseMs).reduce((a, b) => a + b, 0), allocated: heapEnd - heapStart + freed };
}
