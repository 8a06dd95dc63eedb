/**
 * `npm run bench:profile`: where the server's CPU goes on a path, bare Express and the
 * guarded cell side by side under the same load (issue 21, part 2). For each scenario and
 * middleware it runs three fresh servers, pinned like `npm run bench` runs them:
 *
 * 1. no profiler: the comparable server CPU µs per request;
 * 2. `--cpu-prof` and `--trace-gc --trace-gc-nvp`: main-thread self time by function and
 *    package (measured window only), GC count and pauses, and the bytes allocated on the JS
 *    heap per request (heap sizes at the window's edges plus what each collection freed);
 * 3. the sampling heap profiler (objects already freed included): allocation by function.
 *
 * It prints a Markdown fragment (also written to `bench/profiles/profile-<date>.md`, or
 * `--out`) to paste into `bench/RESULTS.md`, and keeps the raw `.cpuprofile` files in
 * `bench/profiles/` for DevTools.
 *
 *   npm run bench:profile -- [--scenario reuse-RS256,opaque] [--middlewares none,resource-guard]
 *       [--seconds 10] [--warmup 2] [--connections 16] [--interval 250] [--no-alloc] [--no-pin] [--out <file>]
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argsOf } from './args.js';
import { AuthorizationServer } from './as.js';
import { LARGE_MEASURED, POOL_SIZE, scenarios as allScenarios, type Scenario } from './cells.js';
import { planPinning, threadCpu } from './cpus.js';
import { eventsBetween, summarizeGc } from './gc-trace.js';
import { startLoader, waitForQuiet, type ServerChild } from './harness.js';
import { summarizeHeap, type HeapProfile } from './heap-summary.js';
import { renderProfileReport, type ProfiledCell, type ProfileReport } from './profile-report.js';
import { summarizeProfile } from './profile-summary.js';
import { measureCell, planJobs, type Job, type RunContext } from './rounds.js';
import type { MiddlewareId } from './server.js';
import { mintTokens } from './tokens.js';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const { flag, option, number } = argsOf(args);
const started = Date.now();
const log = (line: string) => console.error(`[profile ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);

const WINDOW_START = 'BENCH-PROFILE-WINDOW-START';
const WINDOW_END = 'BENCH-PROFILE-WINDOW-END';

const settings = {
  seconds: number('--seconds', 10, { min: 0, positive: true }),
  warmup: number('--warmup', 2, { min: 0, positive: true }),
  connections: number('--connections', 16, { integer: true }),
  /** `--cpu-prof-interval`, µs: V8's default of 1,000 gives only a few samples per request. */
  interval: number('--interval', 250, { integer: true, min: 10 }),
  alloc: !flag('--no-alloc'),
};

/** Pass 2: the CPU profile and the GC trace of one measured window. */
async function profiledPass(job: Job, ctx: RunContext, profileDir: string): Promise<Omit<ProfiledCell, 'clean' | 'heap' | 'middleware'>> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-profile-'));
  let stdout = '';
  let markAt: number | undefined;
  let threadsBefore: Map<number, number> | undefined;
  let threads: ProfiledCell['threads'];
  try {
    const measured = await measureCell(job, 1, ctx, {
      execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${settings.interval}`, '--trace-gc', '--trace-gc-nvp'],
      captureStdout: true,
      onStart: (server: ServerChild) => server.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8'))),
      beforeWindow: async (server) => {
        await server.say(WINDOW_START);
        markAt = await server.mark();
        threadsBefore = threadCpu(server.pid);
      },
      afterWindow: async (server) => {
        const after = threadCpu(server.pid);
        await server.say(WINDOW_END);
        if (threadsBefore === undefined || after === undefined) return;
        let others = 0;
        for (const [tid, us] of after) if (tid !== server.pid) others += us - (threadsBefore.get(tid) ?? 0);
        threads = { main: after.get(server.pid)! - threadsBefore.get(server.pid)!, others };
      },
    });
    if (measured === undefined) throw new Error(`${job.scenario.id} ${job.middleware}: ${job.cell.state} (${job.cell.reason})`);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error('the server wrote no CPU profile');
    const raw = readFileSync(join(dir, file), 'utf8');
    writeFileSync(join(profileDir, `profile-${job.scenario.id}-${job.middleware}.cpuprofile`), raw);
    const profile = JSON.parse(raw) as Parameters<typeof summarizeProfile>[0];
    const since = markAt !== undefined && markAt > profile.startTime && markAt < profile.endTime ? markAt : undefined;
    const { before, after } = measured.window;
    return {
      profiled: measured.round,
      cpu: summarizeProfile(profile, { top: Infinity, since }),
      threads,
      gc: summarizeGc(eventsBetween(stdout, WINDOW_START, WINDOW_END), before.heap.used, after.heap.used),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Pass 3: allocation by function over one measured window (the heap profiler's own cost makes its CPU figure useless). */
async function allocationPass(job: Job, ctx: RunContext): Promise<ProfiledCell['heap']> {
  let profile: unknown;
  const measured = await measureCell(job, 2, ctx, {
    beforeWindow: (server) => server.startHeapSampling(),
    afterWindow: async (server) => void (profile = await server.stopHeapSampling()),
  });
  if (measured === undefined || profile === undefined) return undefined;
  return { summary: summarizeHeap(profile as HeapProfile), requests: measured.round.requests };
}

async function profileScenario(scenario: Scenario, middlewares: MiddlewareId[], ctx: RunContext, profileDir: string): Promise<ProfileReport> {
  // Only the middlewares the scenario has: bare Express is in reuse-RS256 and opaque.
  const jobs = planJobs([scenario], middlewares);
  if (jobs.length === 0) throw new Error(`${scenario.id} has none of ${middlewares.join(', ')}`);
  const clean = new Map<MiddlewareId, ProfiledCell['clean']>();
  const profiled = new Map<MiddlewareId, Awaited<ReturnType<typeof profiledPass>>>();
  const heaps = new Map<MiddlewareId, ProfiledCell['heap']>();
  // Pass by pass, the middlewares next to each other (the second pass backwards: ABBA).
  for (const job of jobs) {
    log(`${scenario.id}, ${job.middleware}: without profiler`);
    const measured = await measureCell(job, 0, ctx);
    if (measured === undefined) throw new Error(`${scenario.id} ${job.middleware}: ${job.cell.state} (${job.cell.reason})`);
    clean.set(job.middleware, measured.round);
  }
  for (const job of [...jobs].reverse()) {
    log(`${scenario.id}, ${job.middleware}: --cpu-prof, --trace-gc`);
    profiled.set(job.middleware, await profiledPass(job, ctx, profileDir));
  }
  if (settings.alloc) {
    for (const job of jobs) {
      log(`${scenario.id}, ${job.middleware}: sampling heap profiler`);
      heaps.set(job.middleware, await allocationPass(job, ctx));
    }
  }
  return {
    scenario: scenario.id,
    title: scenario.title,
    settings: { seconds: settings.seconds, warmup: settings.warmup, connections: settings.connections, pinning: ctx.pinning.description, interval: settings.interval, alloc: settings.alloc },
    cells: jobs.map((job) => ({ middleware: job.middleware, clean: clean.get(job.middleware)!, ...profiled.get(job.middleware)!, heap: heaps.get(job.middleware) })),
  };
}

async function main(): Promise<void> {
  const ids = (option('--scenario') ?? 'reuse-RS256,opaque').split(',');
  const middlewares = (option('--middlewares') ?? 'none,resource-guard').split(',') as MiddlewareId[];
  const scenarios = allScenarios(settings.seconds).filter((s) => ids.includes(s.id));
  if (scenarios.length === 0) throw new Error(`no scenario named ${ids.join(', ')}; see bench/cells.ts`);
  const pinning = planPinning(flag('--no-pin'));
  const as = new AuthorizationServer();
  await as.start();
  log(pinning.description);
  const tokens = await mintTokens(as, log, { large: scenarios.some((s) => s.tokens.kind === 'large-pool') });
  const loader = await startLoader(pinning.loaderCpu);
  const ctx: RunContext = {
    as,
    tokens,
    loader,
    pinning,
    settings: {
      connections: settings.connections,
      warmup: settings.warmup,
      duration: settings.seconds,
      rounds: 3,
      poolPerRound: Math.floor(POOL_SIZE / 3),
      largePerRound: LARGE_MEASURED,
      noiseLimit: 0.1,
    },
    log,
    quiet: async () => void (await waitForQuiet(0.25, 5_000)),
  };
  const profileDir = join(BENCH, 'profiles');
  mkdirSync(profileDir, { recursive: true });
  const fragments: string[] = [];
  try {
    for (const scenario of scenarios) fragments.push(renderProfileReport(await profileScenario(scenario, middlewares, ctx, profileDir)));
  } finally {
    await loader.stop();
    await as.stop();
  }
  const markdown = `${fragments.join('\n\n')}\n`;
  const out = option('--out') ?? join(profileDir, `profile-${new Date().toISOString().replace(/:/g, '-')}.md`);
  writeFileSync(out, markdown);
  console.log(markdown);
  log(`written to ${out}; raw CPU profiles in ${profileDir}`);
}

await main();
