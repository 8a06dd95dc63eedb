/**
 * `npm run bench`: the HTTP matrix (scenarios × middlewares) in rounds, a fresh server
 * child per cell and round pinned to one CPU and the load generator child pinned to
 * another; then the in-process micro-benchmark, the memory run, CPU profiles of the
 * resource-guard cells furthest from their targets; the tables on stdout, the JSON in
 * `bench/results/`, and `bench/RESULTS.md`. See bench/README.md.
 *
 * Options: --quick (2 short rounds, small pools, nothing written: a smoke test)
 *          --rounds <n> (5)   --connections <n> (16)   --warmup <s> (1)   --duration <s> (2)
 *          --only <scenario,...>   --middlewares <none,jose,auth0,express-jwt,resource-guard,introspect>
 *          --no-pin (run unpinned even with two CPUs)   --budget <s>   --quiet-wait <s>
 *          --no-micro  --no-memory  --no-profile  --no-write
 *          --profile <scenario,...> (profile these resource-guard cells instead of the worst misses)
 *          --memory (feed 1,000,000 tokens to the memory run; about 5 more minutes)
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argsOf } from './args.js';
import { ALGS, AuthorizationServer } from './as.js';
import { LARGE_MEASURED, POOL_SIZE, scenarios as allScenarios } from './cells.js';
import { planPinning } from './cpus.js';
import { startLoader, waitForQuiet } from './harness.js';
import { renderMarkdown } from './markdown.js';
import type { MemoryResult } from './memory.js';
import type { MicroRow } from './micro.js';
import { formatSummary, summarizeProfile } from './profile-summary.js';
import { addRatios, affinitySummary, microTable, roundsTable, textTable, type Cell, type ProfileRecord, type RunRecord } from './report.js';
import { judgeCell, measureCell, planJobs, runRound, type RunContext } from './rounds.js';
import type { MiddlewareId } from './server.js';
import { evaluateTargets, targetsText } from './targets.js';
import { mintTokens } from './tokens.js';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const { flag, option, number } = argsOf(args);

const started = Date.now();
const quick = flag('--quick');
const rounds = number('--rounds', quick ? 2 : 5, { integer: true });
const pinning = planPinning(flag('--no-pin'));
const settings = {
  connections: number('--connections', 16, { integer: true }),
  /** Seconds of warm-up per timed cell and round (thrown away). */
  warmup: number('--warmup', quick ? 0.5 : 1, { min: 0, positive: true }),
  /** Measured seconds per timed cell and round. */
  duration: number('--duration', quick ? 0.5 : 2, { min: 0, positive: true }),
  rounds,
  /** Each `pool-*` scenario measures its 10,000 tokens once over the run, a share per round. */
  poolPerRound: quick ? 500 : Math.floor(POOL_SIZE / rounds),
  largePerRound: quick ? 1_000 : LARGE_MEASURED,
  pinning: pinning.description,
  memoryTokens: flag('--memory') ? 1_000_000 : number('--memory-tokens', 30_000, { integer: true, min: 10_000 }),
  /**
   * Cores other processes may use before a cell is flagged as noisy: on the server's own CPU
   * when pinned (what competes with it directly), on the whole machine otherwise.
   */
  noiseLimit: pinning.pinned ? 0.1 : 0.25,
  /** Seconds, over the whole run, the harness may wait for other processes to calm down before a measured window. */
  quietWait: number('--quiet-wait', 60, { min: 0 }),
  /**
   * Seconds this script may take (the build before it is not counted): waiting for quiet and
   * the CPU profiles only happen while the rest of the plan still fits.
   */
  budget: number('--budget', flag('--memory') ? 900 : 600),
};
let quietLeft = settings.quietWait * 1000;

/** CPU profiles taken after the matrix, at most. */
const PROFILES = 2;
/** Seconds one cell-round took, on average so far (start, check, warm-up, window, stop): learnt as the matrix runs. */
const pace = { seconds: 0, cells: 0 };
const perCell = () => (pace.cells === 0 ? 5 : pace.seconds / pace.cells);
/** Seconds planned after the HTTP matrix: micro, memory, profiles. */
function tailSeconds(): number {
  return (flag('--no-micro') ? 0 : 12) + (flag('--no-memory') ? 0 : flag('--memory') ? 300 : 14) + (flag('--no-profile') ? 0 : PROFILES * perCell());
}
/** Seconds left in the budget once `plannedSeconds` of work still to do are done. */
function slack(plannedSeconds: number): number {
  return settings.budget - (Date.now() - started) / 1000 - plannedSeconds;
}
const log = (line: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);

async function runChild<T>(script: string, scriptArgs: string[], execArgv: string[] = []): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-bench-'));
  const out = join(dir, 'out.json');
  try {
    const child = fork(join(BENCH, script), [...scriptArgs, '--json', out], {
      execArgv: ['--import', 'tsx', ...execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`${script} exited with ${code}`);
    return JSON.parse(readFileSync(out, 'utf8')) as T;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function versionOf(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(BENCH, '..', 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** HEAD, and whether `src/` differs from it (the package is built from the working tree). */
function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: BENCH, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: join(BENCH, '..'), encoding: 'utf8' }).trim();
    return dirty === '' ? head : `${head} + uncommitted changes in src/ (${dirty.split('\n').length} files)`;
  } catch {
    return '?';
  }
}

/** CPU profiles of the resource-guard cells furthest from their targets (or those named with --profile), one pinned round each. */
async function profileMisses(ctx: RunContext, scenarios: ReturnType<typeof allScenarios>, cells: Cell[]): Promise<ProfileRecord[]> {
  const targets = evaluateTargets(cells, undefined);
  const worst = [
    ...new Map(
      targets
        .filter((t) => t.verdict === 'missed' && t.profile !== undefined)
        .sort((x, y) => x.profile!.score - y.profile!.score)
        .map((t) => [t.profile!.scenario, t.profile!.score] as const),
    ).keys(),
  ].slice(0, PROFILES);
  const forced = option('--profile')?.split(',');
  const ids = forced ?? worst;
  const profileDir = join(BENCH, 'profiles');
  mkdirSync(profileDir, { recursive: true });
  const profiles: ProfileRecord[] = [];
  for (const id of ids) {
    const scenario = scenarios.find((s) => s.id === id);
    if (scenario === undefined) continue;
    if (forced === undefined && slack(tailSeconds() - PROFILES * perCell()) < perCell()) {
      log(`no time left in the budget for a CPU profile of ${id}`);
      continue;
    }
    log(`CPU profile of resource-guard, ${id}`);
    const dir = mkdtempSync(join(tmpdir(), 'rg-prof-'));
    try {
      const [job] = planJobs([scenario], ['resource-guard']);
      let markAt: number | undefined;
      const measured = await measureCell(job!, 0, ctx, {
        execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
        beforeWindow: async (server) => void (markAt = await server.mark()),
      });
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (file === undefined || measured === undefined) continue;
      const raw = readFileSync(join(dir, file), 'utf8');
      writeFileSync(join(profileDir, `${id}.cpuprofile`), raw);
      const profile = JSON.parse(raw) as Parameters<typeof summarizeProfile>[0];
      const since = markAt !== undefined && markAt > profile.startTime && markAt < profile.endTime ? markAt : undefined;
      const summary = summarizeProfile(profile, { top: 15, since });
      profiles.push({ scenario: id, middleware: 'resource-guard', file: `bench/profiles/${id}.cpuprofile`, rps: measured.round.rps, summary });
      console.log(`\nCPU profile, resource-guard, ${id} (${measured.round.rps.toFixed(0)} req/s under the profiler)\n${formatSummary(summary)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return profiles;
}

async function main(): Promise<void> {
  const only = option('--only')?.split(',');
  const scenarios = allScenarios(settings.duration).filter((s) => only === undefined || only.includes(s.id));
  const as = new AuthorizationServer();
  await as.start();
  log(`authorization server at ${as.metadataUrl}; ${pinning.description}`);
  const tokens = await mintTokens(as, log);
  const loader = await startLoader(pinning.loaderCpu);
  const jobs = planJobs(scenarios, option('--middlewares')?.split(',') as MiddlewareId[] | undefined);
  const ctx: RunContext = {
    as,
    tokens,
    loader,
    pinning,
    settings,
    log,
    quiet: async () => {
      const left = jobs.filter((j) => j.cell.state === 'measured').length * settings.rounds - pace.cells;
      const mayWait = Math.min(quietLeft, 5_000, slack(left * perCell() + tailSeconds()) * 1000);
      if (mayWait > 0) quietLeft -= await waitForQuiet(settings.noiseLimit, mayWait);
    },
  };
  let micro: MicroRow[] | undefined;
  let memory: MemoryResult | undefined;
  let profiles: ProfileRecord[] = [];
  try {
    log(`${jobs.length} cells × ${settings.rounds} rounds, a fresh server each time, ${settings.connections} connections`);
    const matrixStart = Date.now();
    for (let round = 0; round < settings.rounds; round++) {
      const before = jobs.reduce((n, j) => n + (j.cell.rounds?.length ?? 0), 0);
      await runRound(round, jobs, ctx);
      pace.cells += jobs.reduce((n, j) => n + (j.cell.rounds?.length ?? 0), 0) - before;
      pace.seconds = (Date.now() - matrixStart) / 1000;
    }
    for (const job of jobs) judgeCell(job, settings);
    // The tables in scenario order, middlewares by letter.
    const cells: Cell[] = [];
    for (const scenario of scenarios) {
      for (const middleware of scenario.middlewares) {
        const job = jobs.find((j) => j.scenario === scenario && j.middleware === middleware);
        if (job !== undefined) cells.push(job.cell);
      }
    }
    addRatios(cells, scenarios);
    console.log(
      `\nHTTP: ${pinning.description}; ${settings.rounds} rounds, a fresh server per cell and round, ${settings.connections} connections, ` +
        `${settings.warmup} s warm-up and ${settings.duration} s measured per timed cell and round. Figures: medians over rounds; ratios: medians of per-round ratios\n`,
    );
    console.log(textTable(cells));
    const affinity = affinitySummary(cells);
    if (affinity !== undefined) console.log(`\nServer threads' CPU affinity, read from /proc after each cell's first window: ${affinity}`);
    console.log(`\nServer CPU µs per request, round by round\n\n${roundsTable(cells, false)}`);

    if (!flag('--no-profile')) profiles = await profileMisses(ctx, scenarios, cells);
    if (!flag('--no-micro')) {
      log('micro-benchmark (in-process guard.verify vs jose.jwtVerify)');
      const scale = slack(tailSeconds()) > 10 ? 1 : 0.5;
      try {
        micro = await runChild<MicroRow[]>('micro.ts', ['--scale', String(scale)]);
        console.log(`\nIn-process, µs per call\n\n${microTable(micro, false)}`);
      } catch (err) {
        log(`micro-benchmark failed: ${(err as Error).message}`);
      }
    }
    if (!flag('--no-memory')) {
      if (!flag('--memory') && option('--memory-tokens') === undefined && slack(tailSeconds() - 12) < 10) settings.memoryTokens = 20_000;
      log(`memory run (${settings.memoryTokens.toLocaleString('en')} distinct tokens)`);
      try {
        memory = await runChild<MemoryResult>(
          'memory.ts',
          ['--tokens', String(settings.memoryTokens), '--metadata-url', as.metadataUrl, '--rs256-tokens', tokens.pool.RS256.file],
          ['--expose-gc'],
        );
      } catch (err) {
        log(`memory run failed: ${(err as Error).message}`);
      }
    }

    const targets = evaluateTargets(cells, memory);
    console.log(`\nTargets (judged on server CPU per request, median of per-round ratios)\n${targetsText(targets)}`);

    const record: RunRecord = {
      meta: {
        date: new Date().toISOString(),
        command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
        seconds: Math.round((Date.now() - started) / 1000),
        node: process.version,
        os: `${process.platform} ${release()}`,
        cpu: cpus()[0]?.model ?? '?',
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        commit: gitCommit(),
        versions: Object.fromEntries(['express', 'jose', 'autocannon', 'express-oauth2-jwt-bearer', 'express-jwt', 'jwks-rsa', 'jsonwebtoken', 'lru-cache'].map((n) => [n, versionOf(n)])),
        settings,
        pinning,
        quietWaitedSeconds: Math.round((settings.quietWait * 1000 - quietLeft) / 1000),
        authorizationServerCalls: as.counters,
        poolsMinted: tokens.minted,
        /** Characters in one pool token of each algorithm. */
        tokenLengths: Object.fromEntries(ALGS.map((alg) => [alg, tokens.pool[alg].tokens[0]!.length])),
      },
      scenarios,
      cells,
      targets,
      micro,
      memory,
      profiles,
    };
    log(`done in ${record.meta.seconds} s`);
    if (!flag('--no-write') && !quick) {
      const resultsDir = join(BENCH, 'results');
      mkdirSync(resultsDir, { recursive: true });
      const name = `${record.meta.date as string}.json`.replace(/:/g, '-');
      writeFileSync(join(resultsDir, name), `${JSON.stringify(record, null, 2)}\n`);
      writeFileSync(join(BENCH, 'RESULTS.md'), `${renderMarkdown(record, `bench/results/${name}`)}${handWrittenAnalysis()}`);
      log(`wrote bench/results/${name} and bench/RESULTS.md`);
    }
  } finally {
    await loader.stop();
    await as.stop();
  }
}

await main();

/** `bench/analysis.md`, the hand-written reading of the profiles, kept in every RESULTS.md. */
function handWrittenAnalysis(): string {
  try {
    return `\n${readFileSync(join(BENCH, 'analysis.md'), 'utf8')}`;
  } catch {
    return '';
  }
}
