import { describe, expect, it } from 'vitest';
import { argsOf } from '../bench/args.js';
import { CACHE_FILL, LARGE_POOL_SIZE, measureOrder, POOL_SIZE, scenarios, WARMUP_POOL_SIZE } from '../bench/cells.js';
import { parseCpuList } from '../bench/cpus.js';
import { renderMarkdown } from '../bench/markdown.js';
import { summarizeProfile } from '../bench/profile-summary.js';
import { addRatios, roundsTable, textTable, type Cell } from '../bench/report.js';
import type { MiddlewareId } from '../bench/server.js';
import { median, medianRatio, perRoundRatios, summarize, type Round } from '../bench/stats.js';
import { evaluateTargets, targetsText } from '../bench/targets.js';
import { phasesOf, type Pool, type Tokens } from '../bench/tokens.js';

/** One round of a cell whose server spent `cpu` µs per request. */
const round = (i: number, cpu: number, rps = 1e6 / cpu): Round => ({
  round: i, requests: Math.round(rps * 2), seconds: 2, rps, p50: 1000 / rps, p99: 3000 / rps, statuses: { '200': Math.round(rps * 2) },
  errors: 0, timeouts: 0, loaderCpu: 0.3, serverCpu: 1, cpuPerRequest: cpu, otherCpu: 0, otherOnServerCpu: 0, rss: 100 * 2 ** 20, maxRss: 0, heapUsed: 0,
});

/** A measured cell with one round per entry of `cpus`. */
const cell = (scenario: string, middleware: MiddlewareId, cpus: number[], flags: string[] = []): Cell => {
  const rounds = cpus.map((cpu, i) => round(i, cpu));
  return { scenario, middleware, state: 'measured', flags, expect: 200, rounds, result: summarize(rounds) };
};

describe('bench rounds arithmetic', () => {
  it('takes the median of an odd and an even number of values, ignoring NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5, 1, 3])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it('pairs rounds by number, not by position, and skips rounds the reference lacks', () => {
    const subject = [round(0, 100), round(1, 200), round(2, 300)];
    const reference = [round(2, 150), round(0, 50)];
    expect(perRoundRatios(subject, reference, (m) => m.cpuPerRequest)).toEqual([2, 2]);
  });

  it('judges by the median of per-round ratios, not by the ratio of medians', () => {
    // Bare Express and the guard move together: each round the guard costs 10 % more.
    // The medians of each cell (110 vs 150) would say 0.73×; the rounds say 0.91× every time.
    const bare = [round(0, 100), round(1, 150), round(2, 200)];
    const guard = [round(0, 110), round(1, 165), round(2, 220)];
    const { median: m, rounds } = medianRatio(bare, guard, (x) => x.cpuPerRequest);
    expect(rounds.map((r) => r.toFixed(3))).toEqual(['0.909', '0.909', '0.909']);
    expect(m).toBeCloseTo(1 / 1.1);
    expect(summarize(bare).cpuPerRequest / summarize([round(0, 220), round(1, 110), round(2, 165)]).cpuPerRequest).toBeCloseTo(150 / 165);
  });

  it('one wild round cannot decide a median', () => {
    const bare = [round(0, 100), round(1, 100), round(2, 100), round(3, 100), round(4, 100)];
    const guard = [round(0, 105), round(1, 108), round(2, 400), round(3, 104), round(4, 107)];
    expect(medianRatio(bare, guard, (x) => x.cpuPerRequest).median).toBeCloseTo(100 / 107);
  });

  it('sums counts and takes medians of the rest when summarising rounds', () => {
    const summary = summarize([round(0, 100, 9000), round(1, 300, 3000), round(2, 200, 5000)]);
    expect(summary.cpuPerRequest).toBe(200);
    expect(summary.rps).toBe(5000);
    expect(summary.requests).toBe(18000 + 6000 + 10000);
    expect(summary.statuses['200']).toBe(34000);
    expect(summary.seconds).toBe(6);
  });
});

describe('bench report', () => {
  it('takes ratios to (a) and to the floor as medians of per-round ratios, borrowing (a) from reuse-RS256', () => {
    const cells = [
      cell('reuse-RS256', 'none', [100, 120, 110]),
      cell('pool-ES256', 'jose', [1000, 1100, 900]),
      cell('pool-ES256', 'resource-guard', [900, 1210, 900]),
    ];
    addRatios(cells, scenarios(2));
    const rg = cells[2]!;
    // Per round, CPU × (a): 9, 10.08, 8.18 → 9; × floor: 0.9, 1.1, 1.0 → 1.0.
    expect(rg.ratios!.cpu[0]).toBeCloseTo(9);
    expect(rg.ratios!.cpu[1]).toBeCloseTo(1);
    expect(textTable(cells)).toContain('pool-ES256');
  });

  it('compares an opaque token with bare Express carrying the same header, not with the RS256 cell', () => {
    const cells = [cell('reuse-RS256', 'none', [100, 100, 100]), cell('opaque', 'none', [200, 200, 200]), cell('opaque', 'resource-guard', [210, 210, 210])];
    addRatios(cells, scenarios(2));
    expect(cells[2]!.ratios!.cpu[0]).toBeCloseTo(1.05);
    const target = evaluateTargets(cells, undefined).find((t) => t.id === 'cached-opaque-vs-bare')!;
    expect(target.verdict).toBe('met');
    expect(target.value).toBeCloseTo(200 / 210);
  });

  it('writes RESULTS.md with the pinning, the verdicts with their rounds, and every round of every cell', () => {
    const all = scenarios(2);
    const cells = [cell('reuse-RS256', 'none', [133, 131, 135]), cell('reuse-RS256', 'resource-guard', [174, 170, 180])];
    for (const c of cells) c.affinity = '12 threads on CPU 0';
    addRatios(cells, all);
    const pinning = { pinned: true, serverCpu: 0, loaderCpu: 1, description: 'pinned: each server process on CPU 0, the load generator on CPU 1, every thread (taskset -c)' };
    const markdown = renderMarkdown(
      {
        meta: { command: 'npm run bench', date: 'today', seconds: 1, cores: 2, cpu: 'x', memoryGiB: 1, os: 'linux', node: 'v20', commit: 'abc', versions: {}, pinning, settings: { rounds: 3, connections: 16, warmup: 1, duration: 2, poolPerRound: 2000, largePerRound: 5000 } },
        scenarios: all,
        cells,
        targets: evaluateTargets(cells, undefined),
        profiles: [],
      },
      'bench/results/x.json',
    );
    expect(markdown).toContain('**CPU pinning:** pinned: each server process on CPU 0, the load generator on CPU 1');
    expect(markdown).toContain("after each cell's first window: 12 threads on CPU 0 (2 cells)");
    expect(markdown).toMatch(/\| 21 \| cached JWT \(one RS256 token reused\): ≥ 0.90 × bare Express \| \*\*missed\*\* \| 0.76 × \(a\) by server CPU per request \(median of rounds: 0.76, 0.77, 0.75\)/);
    expect(markdown).toContain('| reuse-RS256 | (e) resource-guard | 174 | 170 | 180 | 174 | ±3 % |');
  });

  it('prints every round of every cell beside its median', () => {
    const table = roundsTable([cell('reuse-RS256', 'none', [101, 107, 104])], false);
    expect(table).toMatch(/round 1\s+round 2\s+round 3\s+median/);
    expect(table).toMatch(/101\s+107\s+104\s+104/);
  });
});

describe('bench targets', () => {
  it('meets the cached-JWT target on the median of per-round CPU ratios and prints each round', () => {
    const cells = [cell('reuse-RS256', 'none', [130, 140, 135, 132, 138]), cell('reuse-RS256', 'resource-guard', [140, 150, 200, 145, 150])];
    const t = evaluateTargets(cells, undefined).find((x) => x.id === 'cached-jwt-vs-bare')!;
    expect(t.verdict).toBe('met');
    expect(t.rounds).toHaveLength(5);
    expect(t.value).toBeCloseTo(138 / 150); // rounds 0.93, 0.93, 0.68, 0.91, 0.92: the odd third round is outvoted
    expect(t.detail).toContain('median of rounds: 0.93, 0.93, 0.68, 0.91, 0.92');
  });

  it('misses the cached-JWT target when the guard costs more than 1/0.9 of bare Express in most rounds', () => {
    const cells = [cell('reuse-RS256', 'none', [133, 133, 133]), cell('reuse-RS256', 'resource-guard', [174, 120, 174])];
    const t = evaluateTargets(cells, undefined).find((x) => x.id === 'cached-jwt-vs-bare')!;
    expect(t.verdict).toBe('missed');
    expect(t.value).toBeCloseTo(133 / 174);
    expect(targetsText([t])).toMatch(/^MISSED {2}\[issue 21\]/);
  });

  it('judges first sight beyond the cache against 1.1 × the jose floor and the best peer', () => {
    const cells = [
      cell('pool100k-RS256', 'jose', [300, 300, 300]),
      cell('pool100k-RS256', 'auth0', [280, 280, 280]),
      cell('pool100k-RS256', 'express-jwt', [500, 500, 500]),
      cell('pool100k-RS256', 'resource-guard', [260, 260, 260]),
    ];
    const targets = evaluateTargets(cells, undefined);
    const floor = targets.find((x) => x.id === 'pool100k-RS256-vs-floor')!;
    const peer = targets.find((x) => x.id === 'pool100k-RS256-vs-peer')!;
    expect(floor.verdict).toBe('met'); // 300 / 260 = 1.15
    expect(peer.verdict).toBe('met');
    expect(peer.detail).toContain('(c) express-oauth2-jwt-bearer'); // the cheaper peer is the one to beat
    expect(peer.value).toBeCloseTo(280 / 260);
    cells[3] = cell('pool100k-RS256', 'resource-guard', [285, 285, 285]);
    const again = evaluateTargets(cells, undefined);
    expect(again.find((x) => x.id === 'pool100k-RS256-vs-floor')!.verdict).toBe('missed'); // 1.05 < 1.1
    expect(again.find((x) => x.id === 'pool100k-RS256-vs-peer')!.verdict).toBe('missed');
  });

  it('ignores n/a peers, judges noisy cells but says so, and gives no verdict for wrong statuses', () => {
    const cells = [
      cell('reuse-RS256', 'none', [100, 100, 100]),
      cell('reuse-RS256', 'auth0', [300, 300, 300]),
      { scenario: 'reuse-RS256', middleware: 'express-jwt', state: 'n/a', flags: [], expect: 200 } as Cell,
      cell('reuse-RS256', 'resource-guard', [105, 105, 105], ["noisy: other processes used 0.50 cores of the server's CPU (median of rounds)"]),
    ];
    const targets = evaluateTargets(cells, undefined);
    const bare = targets.find((t) => t.id === 'cached-jwt-vs-bare')!;
    expect(bare.verdict).toBe('met');
    expect(bare.detail).toContain('other processes took CPU');
    expect(targets.find((t) => t.id === 'reuse-vs-peer')!.verdict).toBe('met');
    expect(targets.find((t) => t.id === 'pool-RS256-vs-floor')!.verdict).toBe('unknown');
    expect(targets.find((t) => t.id === 'pool-RS256-vs-floor')!.detail).toContain('not measured');

    cells[3] = cell('reuse-RS256', 'resource-guard', [20, 20, 20], ['wrong statuses 401×250000']);
    expect(evaluateTargets(cells, undefined).find((t) => t.id === 'cached-jwt-vs-bare')!.verdict).toBe('unknown');
  });

  it('gives no verdict when a round has no answered requests at all', () => {
    const cells = [cell('reuse-RS256', 'none', [100, 100, 100]), cell('reuse-RS256', 'resource-guard', [NaN, NaN, NaN])];
    expect(evaluateTargets(cells, undefined).find((t) => t.id === 'cached-jwt-vs-bare')!.verdict).toBe('unknown');
  });
});

describe('bench plan', () => {
  it('measures bare Express, resource-guard and the floor of a scenario one after the other', () => {
    const reuse = scenarios(2).find((s) => s.id === 'reuse-RS256')!;
    expect(measureOrder(reuse).slice(0, 3)).toEqual(['none', 'resource-guard', 'jose']);
    const opaque = scenarios(2).find((s) => s.id === 'opaque')!;
    expect(measureOrder(opaque)).toEqual(['none', 'resource-guard', 'introspect']);
  });

  it('refuses option values that would run a bench measuring nothing', () => {
    const args = argsOf(['--rounds', '7', '--duration', '1.5', '--quick', '--connections', '2.5', '--warmup', '0', '--budget', 'abc', '--quiet-wait', '0', '--seconds', '']);
    expect(args.number('--rounds', 5, { integer: true })).toBe(7);
    expect(args.number('--duration', 2, { min: 0, positive: true })).toBe(1.5);
    expect(args.number('--absent', 5)).toBe(5);
    expect(args.number('--quiet-wait', 60, { min: 0 })).toBe(0);
    expect(args.flag('--quick')).toBe(true);
    expect(() => args.number('--connections', 16, { integer: true })).toThrow('--connections must be a whole number of at least 1 (got "2.5")');
    expect(() => args.number('--warmup', 1, { min: 0, positive: true })).toThrow('--warmup must be a number above 0 (got "0")');
    expect(() => args.number('--budget', 600)).toThrow(TypeError);
    expect(() => args.number('--seconds', 10, { min: 0, positive: true })).toThrow(TypeError);
    expect(() => argsOf(['--rounds', '-3']).number('--rounds', 5, { integer: true })).toThrow('at least 1');
  });

  it('reads CPU lists as /proc writes them', () => {
    expect(parseCpuList('0-1')).toEqual([0, 1]);
    expect(parseCpuList('0,2-3,7\n')).toEqual([0, 2, 3, 7]);
    expect(parseCpuList('')).toEqual([]);
    expect(parseCpuList('garbage')).toEqual([]);
  });

  const pool = (file: string, size: number): Pool => ({ file, tokens: Array.from({ length: size }, (_, i) => `t${i}`) });
  const tokens = {
    pool: { RS256: pool('pool', POOL_SIZE) },
    warmPool: { RS256: pool('warm', WARMUP_POOL_SIZE) },
    large: pool('large', LARGE_POOL_SIZE),
  } as unknown as Tokens;
  const settings = { warmup: 1, duration: 2, rounds: 5, poolPerRound: 2_000, largePerRound: 5_000 };
  const range = (phase: { auth: { kind: string; from?: number; to?: number } }) => [phase.auth.from!, phase.auth.to!] as const;

  it('gives each round of a pool scenario its own share of the pool, each token once over five rounds', () => {
    const scenario = scenarios(2).find((s) => s.id === 'pool-RS256')!;
    const measured = [0, 1, 2, 3, 4].map((r) => range(phasesOf(scenario, 'resource-guard', r, tokens, settings).measure));
    expect(measured).toEqual([[0, 2000], [2000, 4000], [4000, 6000], [6000, 8000], [8000, 10000]]);
    const warm = phasesOf(scenario, 'jose', 0, tokens, settings).warmup;
    expect(warm.auth).toMatchObject({ file: 'warm', from: 0, to: WARMUP_POOL_SIZE });
    expect(warm.amount).toBe(WARMUP_POOL_SIZE);
  });

  it('fills resource-guard\'s cache before the large pool is measured, and measures every middleware on the same unseen tokens', () => {
    const scenario = scenarios(2).find((s) => s.id === 'pool100k-RS256')!;
    for (let r = 0; r < 5; r++) {
      const rg = phasesOf(scenario, 'resource-guard', r, tokens, settings);
      const jose = phasesOf(scenario, 'jose', r, tokens, settings);
      const [fillFrom, fillTo] = range(rg.warmup);
      const [from, to] = range(rg.measure);
      expect(fillTo - fillFrom).toBe(CACHE_FILL);
      expect(rg.warmup.amount).toBe(CACHE_FILL);
      expect(from).toBe(fillTo); // measured tokens come after the fill: never seen by this server
      expect(to - from).toBe(5_000);
      expect(range(jose.measure)).toEqual([from, to]);
      expect(range(jose.warmup)).toEqual([fillTo - WARMUP_POOL_SIZE, fillTo]);
      expect(to).toBeLessThanOrEqual(LARGE_POOL_SIZE);
      if (r > 0) expect(fillFrom).toBeGreaterThanOrEqual(range(phasesOf(scenario, 'resource-guard', r - 1, tokens, settings).measure)[1]);
    }
  });
});

describe('profile summary', () => {
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
