import { describe, expect, it } from 'vitest';
import { eventsBetween, parseGcLine, summarizeGc } from '../bench/gc-trace.js';
import { summarizeHeap } from '../bench/heap-summary.js';
import { renderProfileReport, type ProfiledCell } from '../bench/profile-report.js';
import type { ProfileSummary } from '../bench/profile-summary.js';
import type { Round } from '../bench/stats.js';

// Lines as Node 20 (V8 11.3) prints them.
const NVP_SCAVENGE =
  '[17222:0x886b490]       19 ms: pause=1.3 mutator=0.5 gc=s reduce_memory=0 time_to_safepoint=0.00 scavenge=1.29 total_size_before=4526160 total_size_after=4198384 holes_size_before=7248 allocated=759360 promoted=819048';
const NVP_MARK_COMPACT = '[17531:0x2d12ae60]      250 ms: pause=12.8 mutator=56.9 gc=mc reduce_memory=0 total_size_before=69520000 total_size_after=54700000 allocated=1000';
const PLAIN_SCAVENGE = '[17203:0xdcab490]       16 ms: Scavenge 3.9 (4.0) -> 3.6 (5.0) MB, 0.90 / 0.00 ms  (average mu = 1.000, current mu = 1.000) allocation failure; ';
const PLAIN_MARK_COMPACT =
  '[17240:0x37037d90]      275 ms: Mark-Compact 66.3 (91.5) -> 52.2 (86.9) MB, 44.21 / 0.00 ms  (+ 0.2 ms in 5 steps since start of marking, biggest step 0.0 ms, walltime since start of marking 51 ms) (average mu = 1.000, current mu = 1.000) finalize incremental marking via stack guard; GC in old space requested';

describe('GC trace', () => {
  it('reads both the name=value and the plain form', () => {
    expect(parseGcLine(NVP_SCAVENGE)).toEqual({ kind: 'scavenge', pauseMs: 1.3, before: 4526160, after: 4198384 });
    expect(parseGcLine(NVP_MARK_COMPACT)).toMatchObject({ kind: 'mark-compact', pauseMs: 12.8 });
    expect(parseGcLine(PLAIN_SCAVENGE)).toMatchObject({ kind: 'scavenge', pauseMs: 0.9 });
    expect(parseGcLine(PLAIN_SCAVENGE)!.before).toBeCloseTo(3.9 * 2 ** 20);
    expect(parseGcLine(PLAIN_MARK_COMPACT)).toMatchObject({ kind: 'mark-compact', pauseMs: 44.21 });
  });

  it('ignores what is not a GC line, including a truncated one', () => {
    expect(parseGcLine('{"ok":true}')).toBeUndefined();
    expect(parseGcLine('[1:0x1]  5 ms: pause=1.0 gc=s total_size_before=12')).toBeUndefined();
    expect(parseGcLine('')).toBeUndefined();
  });

  it('keeps only the events of the measured window and counts what it allocated', () => {
    const output = [PLAIN_SCAVENGE, 'START', NVP_SCAVENGE, 'noise', NVP_MARK_COMPACT, 'END', NVP_SCAVENGE].join('\n');
    const events = eventsBetween(output, 'START', 'END');
    expect(events.map((e) => e.kind)).toEqual(['scavenge', 'mark-compact']);
    const gc = summarizeGc(events, 10_000_000, 12_000_000);
    expect(gc.counts).toEqual({ scavenge: 1, 'mark-compact': 1 });
    expect(gc.totalPauseMs).toBeCloseTo(14.1);
    // Heap growth (2,000,000) plus what each collection freed (327,776 and 14,820,000).
    expect(gc.allocated).toBe(2_000_000 + (4526160 - 4198384) + (69520000 - 54700000));
  });
});

describe('heap summary', () => {
  it('charges allocation to functions, packages and the nearest owner on the stack', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
    const summary = summarizeHeap({
      head: {
        id: 1, selfSize: 0, callFrame: frame('(root)', ''),
        children: [
          {
            id: 2, selfSize: 100, callFrame: frame('handle', 'file:///x/node_modules/router/index.js'),
            children: [
              { id: 3, selfSize: 300, callFrame: frame('authenticate', 'file:///x/dist/express/middleware.js'), children: [
                { id: 4, selfSize: 50, callFrame: frame('hash', 'node:internal/crypto/hash'), children: [] },
              ] },
            ],
          },
          { id: 5, selfSize: 20, callFrame: frame('parserOnIncoming', 'node:_http_server'), children: [] },
        ],
      },
    });
    expect(summary.totalBytes).toBe(470);
    expect(summary.byFunction[0]).toMatchObject({ name: 'authenticate', package: 'resource-guard', bytes: 300 });
    expect(summary.byOwner).toEqual([
      { owner: 'resource-guard', bytes: 350 }, // its own 300 and the hash it called
      { owner: 'express', bytes: 100 },
      { owner: 'node:_http_server', bytes: 20 },
    ]);
  });
});

describe('profile report', () => {
  const round = (cpu: number, requests: number): Round => ({
    round: 0, requests, seconds: 10, rps: requests / 10, p50: 1, p99: 2, statuses: { '200': requests }, errors: 0, timeouts: 0,
    loaderCpu: 0.3, serverCpu: 1, cpuPerRequest: cpu, otherCpu: 0, rss: 0, maxRss: 0, heapUsed: 0,
  });
  const summary = (functions: Array<[string, number]>, busyMs: number): ProfileSummary => ({
    busyMs, idleMs: 0,
    topSelf: functions.map(([name, ms]) => ({ name, location: `x.js:${name.length}`, package: 'express', ms, percent: (100 * ms) / busyMs })),
    byPackage: [{ package: 'express', ms: busyMs, percent: 100 }],
    byOwner: [{ owner: 'express', ms: busyMs, percent: 100 }],
    inclusive: [],
  });
  const cell = (middleware: 'none' | 'resource-guard', cpu: number, functions: Array<[string, number]>): ProfiledCell => ({
    middleware,
    clean: round(cpu, 10_000),
    profiled: round(cpu * 1.2, 10_000),
    cpu: summary(functions, functions.reduce((t, [, ms]) => t + ms, 0)),
    gc: { counts: { scavenge: 25 }, pauseMs: { scavenge: 50 }, totalPauseMs: 50, allocated: 270_000_000 },
    threads: { main: 1_000_000, others: 300_000 },
  });

  it('puts both cells side by side per request and ranks functions by what the guard adds', () => {
    const text = renderProfileReport({
      scenario: 'reuse-RS256',
      title: 'one RS256 token reused',
      settings: { seconds: 10, warmup: 2, connections: 16, pinning: 'pinned: test', interval: 250, alloc: false },
      cells: [cell('none', 133, [['handle', 500], ['writev', 200]]), cell('resource-guard', 174, [['handle', 520], ['writev', 200], ['authenticate', 300]])],
    });
    expect(text).toContain('| server CPU µs/req, no profiler | 133.0 | 174.0 | +41.0 |');
    expect(text).toContain('| JS heap allocated, bytes/req (heap sizes and GC trace) | 27000 | 27000 | +0 |');
    expect(text).toContain('| scavenges per 1,000 requests | 2.50 | 2.50 | +0.00 |');
    // authenticate: 300 ms over 10,000 requests = 30 µs/req, first; handle +2 µs/req next.
    const diff = text.slice(text.indexOf('Where the difference goes'));
    expect(diff.indexOf('`authenticate`')).toBeLessThan(diff.indexOf('`handle`'));
    expect(diff).toContain('| +30.00 | 0.00 | 30.00 | `authenticate` |');
    expect(text).toContain('two fresh servers');
  });
});
