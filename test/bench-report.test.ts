import { describe, expect, it } from 'vitest';
import { scenarios } from '../bench/cells.js';
import type { Measurement } from '../bench/harness.js';
import { summarizeProfile } from '../bench/profile-summary.js';
import { addRatios, evaluateTargets, textTable, type Cell } from '../bench/report.js';
import type { MiddlewareId } from '../bench/server.js';

const result = (rps: number): Measurement => ({
  requests: rps * 5, seconds: 5, rps, p50: 1000 / rps, p99: 3000 / rps, statuses: { '200': rps * 5 },
  errors: 0, timeouts: 0, loaderCpu: 0.5, serverCpu: 1, cpuPerRequest: 1e6 / rps, otherCpu: 0, rss: 100 * 2 ** 20, maxRss: 0, heapUsed: 0,
});

const cell = (scenario: string, middleware: MiddlewareId, rps: number, flags: string[] = []): Cell => ({
  scenario, middleware, state: 'measured', flags, expect: 200, result: result(rps),
});

describe('bench report', () => {
  it('takes ratios to (a) and to the floor of the same run, borrowing (a) from reuse-RS256', () => {
    const cells = [cell('reuse-RS256', 'none', 10_000), cell('pool-RS256', 'none', 8_000), cell('pool-ES256', 'jose', 1_000), cell('pool-ES256', 'resource-guard', 900)];
    addRatios(cells, scenarios(5, 3));
    const rg = cells[3]!;
    expect(rg.ratios!.rps[0]).toBeCloseTo(900 / 10_000);
    expect(rg.ratios!.rps[1]).toBeCloseTo(0.9);
    expect(rg.ratios!.p50[1]).toBeCloseTo(1 / 0.9);
    expect(textTable(cells)).toContain('pool-ES256');
  });

  it('judges the targets, ignores n/a peers, and falls back on CPU per request for noisy cells', () => {
    const cells = [
      cell('reuse-RS256', 'none', 10_000),
      cell('reuse-RS256', 'auth0', 3_000),
      { scenario: 'reuse-RS256', middleware: 'express-jwt', state: 'n/a', flags: [], expect: 200 } as Cell,
      cell('reuse-RS256', 'resource-guard', 9_500, ['noisy: other processes used 0.50 cores']),
    ];
    const targets = evaluateTargets(cells, undefined);
    const bare = targets.find((t) => t.id === 'reuse-vs-bare')!;
    expect(bare.verdict).toBe('met');
    expect(bare.detail).toContain('judged on CPU per request');
    expect(targets.find((t) => t.id === 'reuse-vs-peer')!.verdict).toBe('met');
    expect(targets.find((t) => t.id === 'pool-RS256-vs-floor')!.verdict).toBe('unknown');
  });

  it('gives no verdict when a cell answered wrong statuses', () => {
    const cells = [cell('reuse-RS256', 'none', 10_000), cell('reuse-RS256', 'resource-guard', 50_000, ['wrong statuses 401×250000'])];
    expect(evaluateTargets(cells, undefined).find((t) => t.id === 'reuse-vs-bare')!.verdict).toBe('unknown');
  });

  it('summarises a CPU profile by self time, package and inclusive time', () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
    const summary = summarizeProfile({
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
        { id: 2, callFrame: frame('verify', 'file:///x/dist/verifier.js'), children: [3] },
        { id: 3, callFrame: frame('jwtVerify', 'file:///x/node_modules/jose/dist/verify.js') },
        { id: 4, callFrame: frame('(idle)', '') },
      ],
      startTime: 0,
      endTime: 400,
      samples: [3, 3, 2, 4, 3],
      timeDeltas: [0, 100, 100, 100, 100],
    });
    expect(summary.topSelf[0]).toMatchObject({ name: 'jwtVerify', package: 'jose' });
    expect(summary.inclusive[0]).toMatchObject({ name: 'verify', package: 'resource-guard' });
    expect(summary.idleMs).toBeCloseTo(0.1);
  });
});
