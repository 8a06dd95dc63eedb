/**
 * `npm run bench`: the HTTP matrix (scenarios × middlewares, one server child per cell, load
 * from this process), the in-process micro-benchmark, the memory run, CPU profiles of the
 * resource-guard cells that miss a target; then the table on stdout, the JSON in
 * `bench/results/`, and `bench/RESULTS.md`. See bench/README.md.
 *
 * Options: --quick (2 s runs, nothing written: a smoke test, figures not for publishing)
 *          --only <scenario,...>   --middlewares <none,jose,auth0,express-jwt,resource-guard,introspect>
 *          --connections <n>   --warmup <s>   --duration <s>   --slices <n>   --replicas <n>
 *          --no-micro  --no-memory  --no-profile  --no-write
 *          --profile <scenario,...> (profile these resource-guard cells instead of the worst misses)
 *          --memory (feed 1,000,000 tokens to the memory run; longer than 5 minutes)
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALGS, AuthorizationServer, type BenchAlg } from './as.js';
import { amountOf, LABEL, LETTER, POOL_SIZE, scenarios as allScenarios, WARMUP_POOL_SIZE, type Scenario } from './cells.js';
import { combine, measureSlice, probe, startServer, waitForQuiet, warmUp, type ServerChild, type Slice } from './harness.js';
import { renderMarkdown } from './markdown.js';
import type { MemoryResult } from './memory.js';
import type { MicroRow } from './micro.js';
import { formatSummary, summarizeProfile } from './profile-summary.js';
import {
  addRatios,
  evaluateTargets,
  microTable,
  targetsText,
  textTable,
  type Cell,
  type ProfileRecord,
  type RunRecord,
} from './report.js';
import type { MiddlewareId, ServerConfig } from './server.js';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};

const started = Date.now();
const quick = flag('--quick');
const settings = {
  connections: Number(option('--connections') ?? 50),
  warmup: Number(option('--warmup') ?? 1),
  long: Number(option('--duration') ?? (quick ? 2 : 4)),
  short: Number(option('--duration') ?? (quick ? 2 : 3)),
  /** Measured slices per cell, in ABBA order over a rotation; each gets a share of the duration or pool. */
  slices: Number(option('--slices') ?? (quick ? 2 : 4)),
  /**
   * Server processes per referenced cell (see REPLICATED). Default 1: with two, each process
   * got half the measured time and less JIT warmth than the single-process peer cells, which
   * biased the pool scenarios against the replicated cells by 5–10 %.
   */
  replicas: Number(option('--replicas') ?? 1),
  memoryTokens: flag('--memory') ? 1_000_000 : Number(option('--memory-tokens') ?? 30_000),
  /** Other processes using more than this many cores during a cell flag it as noisy. */
  noiseLimit: 0.25,
  /** Seconds, over the whole run, the harness may wait for other processes to calm down before a measured slice. */
  quietWait: Number(option('--quiet-wait') ?? 60),
  /**
   * Seconds this script may take (the build before it is not counted): waiting for quiet and
   * measuring again only happen while the rest of the plan still fits. Keeps `npm run bench`
   * under 5 minutes on a busy machine.
   */
  budget: Number(option('--budget') ?? (flag('--memory') ? 575 : 275)),
};
let quietLeft = settings.quietWait * 1000;

/** CPU profiles taken after the matrix, at most. */
const PROFILES = 2;
/** Seconds a cell spends outside warm-up and run (server start, pre-check, stop): learnt as cells run. */
const overhead = { total: 0, cells: 0 };
const cellSeconds = (duration: number) => settings.warmup + duration + (overhead.cells === 0 ? 2 : overhead.total / overhead.cells);
/** Seconds planned after the HTTP matrix: micro, memory, profiles (at their smallest). */
function tailSeconds(): number {
  return (flag('--no-micro') ? 0 : 12) + (flag('--no-memory') ? 0 : flag('--memory') ? 300 : 14) + (flag('--no-profile') ? 0 : PROFILES * cellSeconds(settings.long));
}
/** Seconds left in the budget once `plannedSeconds` of work still to do are done. */
function slack(plannedSeconds: number): number {
  return settings.budget - (Date.now() - started) / 1000 - plannedSeconds;
}
const log = (line: string) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}`);

interface Tokens {
  single: Record<BenchAlg, string>;
  pool: Record<BenchAlg, string[]>;
  badSignature: Record<BenchAlg, string>;
  /** Each pool token with the next one's signature: distinct forgeries with a known kid. */
  badPool: Record<BenchAlg, string[]>;
  /** Other distinct tokens (valid, and forged) for the warm-up of the pool scenarios. */
  warmPool: Record<BenchAlg, string[]>;
  badWarmPool: Record<BenchAlg, string[]>;
  opaque: string;
  unknownOpaque: string;
}

async function mintTokens(as: AuthorizationServer): Promise<Tokens> {
  const single = {} as Record<BenchAlg, string>;
  const pool = {} as Record<BenchAlg, string[]>;
  const badSignature = {} as Record<BenchAlg, string>;
  for (const alg of ALGS) {
    single[alg] = await as.mint(alg);
    badSignature[alg] = await as.mintBadSignature(alg);
    pool[alg] = await as.mintPool(alg, POOL_SIZE, `pool-${alg}`);
  }
  const warmPool = {} as Record<BenchAlg, string[]>;
  for (const alg of ALGS) warmPool[alg] = await as.mintPool(alg, WARMUP_POOL_SIZE, `warm-${alg}`);
  const forge = (tokens: string[]) =>
    tokens.map((token, i) => {
      const other = tokens[(i + 1) % tokens.length]!;
      return `${token.slice(0, token.lastIndexOf('.'))}${other.slice(other.lastIndexOf('.'))}`;
    });
  const badPool = {} as Record<BenchAlg, string[]>;
  const badWarmPool = {} as Record<BenchAlg, string[]>;
  for (const alg of ALGS) {
    badPool[alg] = forge(pool[alg]);
    badWarmPool[alg] = forge(warmPool[alg]);
  }
  return { single, pool, badSignature, badPool, warmPool, badWarmPool, opaque: as.mintOpaque(), unknownOpaque: 'b'.repeat(43) };
}

/**
 * The Authorization header(s) of a scenario: one string, a rotation, or none. The pool
 * scenarios warm up (and pre-check) on other tokens, so every measured request carries a
 * token the server has never seen; a measured slice `k` of `settings.slices` uses the k-th
 * share of the pool.
 */
function authorizationOf(scenario: Scenario, tokens: Tokens, phase: 'warmup' | 'measure' = 'measure', slice = 0): (() => string) | string | undefined {
  const t = scenario.tokens;
  switch (t.kind) {
    case 'single':
      return `Bearer ${tokens.single[t.alg]}`;
    case 'bad-signature':
      return `Bearer ${tokens.badSignature[t.alg]}`;
    case 'opaque':
      return `Bearer ${tokens.opaque}`;
    case 'none':
      return undefined;
    case 'pool':
    case 'bad-pool': {
      const source = phase === 'warmup' ? (t.kind === 'pool' ? tokens.warmPool : tokens.badWarmPool) : t.kind === 'pool' ? tokens.pool : tokens.badPool;
      let list = source[t.alg];
      if (phase === 'measure') list = list.slice((slice * list.length) / settings.slices, ((slice + 1) * list.length) / settings.slices);
      const headers = list.map((token) => `Bearer ${token}`);
      let next = 0;
      return () => headers[next++ % headers.length]!;
    }
  }
}

/** Before measuring: the server must accept a valid token and refuse bad ones, with the right status. */
async function precheck(url: string, scenario: Scenario, middleware: MiddlewareId, tokens: Tokens): Promise<{ na?: string; problems: string[] }> {
  const problems: string[] = [];
  const expectStatus = async (what: string, authorization: string | undefined, expected: number) => {
    const status = await probe(url, authorization);
    if (status !== expected) problems.push(`${what}: ${status}, expected ${expected}`);
    return status;
  };
  const t = scenario.tokens;
  if (middleware !== 'none') {
    if (t.kind === 'opaque') {
      await expectStatus('valid opaque token', `Bearer ${tokens.opaque}`, 200);
      await expectStatus('unknown opaque token', `Bearer ${tokens.unknownOpaque}`, 401);
    } else {
      const alg = 'alg' in t ? t.alg : 'RS256';
      const status = await expectStatus(`valid ${alg} token`, `Bearer ${tokens.single[alg]}`, 200);
      if (status !== 200 && alg !== 'RS256' && (await probe(url, `Bearer ${tokens.single.RS256}`)) === 200) {
        return { na: `does not accept ${alg} tokens (answers ${status})`, problems };
      }
      await expectStatus(`bad ${alg} signature`, `Bearer ${tokens.badSignature[alg]}`, 401);
    }
    await expectStatus('no token', undefined, 401);
  }
  const auth = authorizationOf(scenario, tokens, 'warmup');
  const expected = middleware === 'none' ? 200 : scenario.expect;
  for (let i = 0; i < 3; i++) {
    await expectStatus(`scenario request ${i + 1}`, typeof auth === 'function' ? auth() : auth, expected);
  }
  return { problems };
}

/**
 * Cells that `--replicas n` runs in n server processes taking turns by slice (one process's
 * JIT and heap layout moved a cell by up to ±20 µs of CPU per request between runs): the
 * references and resource-guard, whose cells the close targets compare; the peers run once.
 */
const REPLICATED = new Set<MiddlewareId>(['none', 'jose', 'resource-guard']);

interface Slot {
  /** Which of the cell's server processes this is. */
  replica: number;
  scenario: Scenario;
  middleware: MiddlewareId;
  cell: Cell & { markAt?: number };
  server: ServerChild;
  slices: Slice[];
}

/** Scenarios measured in one rotation, each with the middlewares it runs. */
type Group = Array<{ scenario: Scenario; middlewares: MiddlewareId[] }>;

/**
 * One group of scenarios: a server per scenario and middleware, each pre-checked and warmed
 * up, then all measured in `settings.slices` slices in ABBA order (every slot once, then
 * every slot again in reverse, and so on), a share of the duration (or of the pool) each. A drift of the machine's speed,
 * which on this 2-vCPU VM moved single cells by 10–20 % within minutes, then falls on every
 * cell of the group alike: on the middlewares of a scenario, and on the cells a target
 * compares across scenarios (a refused token against a valid one, opaque tokens against bare
 * Express).
 */
async function runGroup(
  as: AuthorizationServer,
  group: Group,
  tokens: Tokens,
  plannedSeconds: number,
  cpuProfileDir?: string,
): Promise<Array<Cell & { markAt?: number }>> {
  const done: Array<Cell & { markAt?: number }> = [];
  const slots: Slot[] = [];
  const groupStart = Date.now();
  const quiet = async () => {
    const mayWait = Math.min(quietLeft, 5_000, slack(plannedSeconds) * 1000);
    if (mayWait > 0) quietLeft -= await waitForQuiet(settings.noiseLimit, mayWait);
  };
  try {
    const replicas = cpuProfileDir === undefined ? settings.replicas : 1;
    for (const { scenario, middlewares } of group) {
      for (const middleware of middlewares) {
        const first = await prepareSlot(as, scenario, middleware, tokens, cpuProfileDir);
        done.push(first.cell);
        if (first.server === undefined) continue;
        slots.push({ ...(first as Slot), replica: 0 });
        for (let replica = 1; replica < (REPLICATED.has(middleware) ? replicas : 1); replica++) {
          const twin = await prepareSlot(as, scenario, middleware, tokens, undefined);
          if (twin.server !== undefined) slots.push({ ...(twin as Slot), cell: first.cell, replica });
        }
      }
    }
    for (let slice = 0; slice < settings.slices; slice++) {
      // A B … B A, repeated: every other pass in reverse; replicas of a cell take turns.
      for (const slot of slice % 2 === 0 ? slots : [...slots].reverse()) {
        if (slot.cell.state !== 'measured') continue;
        const count = slots.filter((other) => other.cell === slot.cell).length;
        if (slice % count !== slot.replica) continue;
        await quiet();
        if (slice === 0 && cpuProfileDir !== undefined) slot.cell.markAt = await slot.server.mark();
        const amount = amountOf(slot.scenario);
        try {
          slot.slices.push(
            await measureSlice({
              server: slot.server,
              connections: settings.connections,
              duration: slot.scenario.duration / settings.slices,
              amount: amount === undefined ? undefined : amount / settings.slices,
              authorization: authorizationOf(slot.scenario, tokens, 'measure', slice),
            }),
          );
        } catch (err) {
          Object.assign(slot.cell, { state: 'failed', reason: (err as Error).message });
        }
      }
    }
    for (const slot of slots) {
      if (slot.replica !== 0 || slot.cell.state !== 'measured') continue;
      const all = slots.filter((other) => other.cell === slot.cell).flatMap((other) => other.slices);
      judgeSlot({ ...slot, slices: all }, await slot.server.usage());
    }
  } finally {
    for (const slot of slots) await slot.server.stop();
    const measuredSlots = slots.filter((slot) => slot.replica === 0 && slot.cell.result !== undefined);
    if (measuredSlots.length > 0) {
      const busy = measuredSlots.reduce((sum, slot) => sum + settings.warmup + slot.cell.result!.seconds, 0);
      overhead.total += (Date.now() - groupStart) / 1000 - busy;
      overhead.cells += measuredSlots.length;
    }
  }
  return done;
}

/** Starts, pre-checks and warms up one cell's server; without a server when the cell cannot run. */
async function prepareSlot(
  as: AuthorizationServer,
  scenario: Scenario,
  middleware: MiddlewareId,
  tokens: Tokens,
  cpuProfileDir: string | undefined,
): Promise<Omit<Slot, 'server' | 'replica'> & { server?: ServerChild }> {
  const expect = middleware === 'none' ? 200 : scenario.expect;
  const cell: Cell & { markAt?: number } = { scenario: scenario.id, middleware, state: 'measured', flags: [], expect };
  const slot = { scenario, middleware, cell, slices: [] as Slice[] };
  const config: ServerConfig = {
    middleware,
    issuer: as.issuer,
    jwksUri: as.jwksUri,
    introspectionEndpoint: as.introspectionEndpoint,
    introspection: scenario.tokens.kind === 'opaque',
  };
  let server: ServerChild;
  try {
    server = await startServer(config, cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`]);
  } catch (err) {
    Object.assign(cell, { state: 'failed', reason: (err as Error).message });
    return slot;
  }
  try {
    const check = await precheck(server.url, scenario, middleware, tokens);
    if (check.na !== undefined || check.problems.length > 0) {
      Object.assign(cell, check.na !== undefined ? { state: 'n/a', reason: check.na } : { state: 'failed', reason: `pre-check: ${check.problems.join('; ')}` });
      await server.stop();
      return slot;
    }
    await warmUp(server, settings.connections, settings.warmup, authorizationOf(scenario, tokens, 'warmup'));
    return { ...slot, server };
  } catch (err) {
    Object.assign(cell, { state: 'failed', reason: (err as Error).message });
    await server.stop();
    return slot;
  }
}

/** Merges a measured slot's slices into its cell's result and flags what went wrong. */
function judgeSlot(slot: Slot, usage: Awaited<ReturnType<ServerChild['usage']>>): void {
  const { cell } = slot;
  const result = combine(slot.slices, usage);
  cell.result = result;
  if (amountOf(slot.scenario) !== undefined) cell.notes = [`each of the ${result.requests.toLocaleString('en')} tokens once, in ${result.seconds.toFixed(1)} s`];
  const wrong = Object.entries(result.statuses).filter(([code]) => Number(code) !== cell.expect);
  if (wrong.length > 0) cell.flags.push(`wrong statuses ${wrong.map(([c, n]) => `${c}×${n}`).join(' ')}`);
  if (result.errors > 0 || result.timeouts > 0) cell.flags.push(`${result.errors} errors, ${result.timeouts} timeouts`);
  if (result.requests === 0) cell.flags.push('no responses');
  if (result.otherCpu !== undefined && result.otherCpu > settings.noiseLimit) {
    cell.flags.push(`noisy: other processes used ${result.otherCpu.toFixed(2)} cores`);
  }
}

/** Runs a bench script in its own process (so its heap and JIT are its own); returns its JSON. */
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

async function main(): Promise<void> {
  const only = option('--only')?.split(',');
  const scenarios = allScenarios(settings.long, settings.short).filter((s) => only === undefined || only.includes(s.id));
  const as = new AuthorizationServer();
  await as.start();
  log(`authorization server at ${as.issuer}; minting tokens (${(POOL_SIZE + WARMUP_POOL_SIZE).toLocaleString('en')} per algorithm)`);
  const tokens = await mintTokens(as);
  const cells: Cell[] = [];
  const profiles: ProfileRecord[] = [];
  let micro: MicroRow[] | undefined;
  let memory: MemoryResult | undefined;
  try {
    const onlyMiddlewares = option('--middlewares')?.split(',');
    const plan = scenarios.map((scenario) => ({
      scenario,
      middlewares: scenario.middlewares.filter((m) => onlyMiddlewares === undefined || onlyMiddlewares.includes(m)),
    }));
    const groups = new Map<string, Group>();
    for (const entry of plan) {
      const id = entry.scenario.group ?? entry.scenario.id;
      groups.set(id, [...(groups.get(id) ?? []), entry]);
    }
    const measuredCells: Cell[] = [];
    let left = plan.reduce((sum, p) => sum + p.middlewares.length * cellSeconds(p.scenario.duration), 0);
    for (const group of groups.values()) {
      log(`measuring ${group.map((g) => g.scenario.id).join(', ')}${group.length > 1 ? ' in one rotation' : ''}`);
      const measured = await runGroup(as, group, tokens, left + tailSeconds());
      left -= group.reduce((sum, p) => sum + p.middlewares.length * cellSeconds(p.scenario.duration), 0);
      measuredCells.push(...measured);
      for (const cell of measured) {
        const r = cell.result;
        log(
          `${cell.scenario} ${LETTER[cell.middleware]} ${LABEL[cell.middleware]}: ` +
            (r === undefined ? `${cell.state} (${cell.reason})` : `${r.rps.toFixed(0)} req/s, ${r.cpuPerRequest.toFixed(0)} µs CPU/req, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms${cell.flags.length > 0 ? `, FLAGGED: ${cell.flags.join('; ')}` : ''}`),
        );
      }
    }
    // The table in scenario order, whatever the rotations.
    for (const { scenario } of plan) cells.push(...measuredCells.filter((cell) => cell.scenario === scenario.id));
    addRatios(cells, scenarios);
    console.log(`\nHTTP: ${settings.connections} connections, ${settings.warmup} s warm-up; ratios to (a) and to the floor ((b), or (f) for opaque tokens), same run\n`);
    console.log(textTable(cells));

    let targets = evaluateTargets(cells, undefined);
    if (!flag('--no-profile')) {
      // Profile the resource-guard cells furthest from their targets (at most three).
      const worst = [...new Map(
        targets
          .filter((t) => t.verdict === 'missed' && t.profile !== undefined)
          .sort((x, y) => x.profile!.score - y.profile!.score)
          .map((t) => [t.profile!.scenario, t.profile!.score] as const),
      ).keys()].slice(0, PROFILES);
      const forced = option('--profile')?.split(',');
      if (forced !== undefined) worst.splice(0, worst.length, ...forced);
      const profileDir = join(BENCH, 'profiles');
      mkdirSync(profileDir, { recursive: true });
      for (const id of worst) {
        const scenario = scenarios.find((s) => s.id === id);
        if (scenario === undefined) continue;
        if (slack(tailSeconds() - (flag('--no-profile') ? 0 : PROFILES * cellSeconds(settings.long))) < cellSeconds(settings.long)) {
          log(`no time left in the budget for a CPU profile of ${id}`);
          continue;
        }
        log(`CPU profile of resource-guard, ${id}`);
        const dir = mkdtempSync(join(tmpdir(), 'rg-prof-'));
        try {
          const [cell] = await runGroup(as, [{ scenario, middlewares: ['resource-guard'] }], tokens, tailSeconds(), dir);
          if (cell === undefined) continue;
          const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
          if (file === undefined || cell.result === undefined) continue;
          const raw = readFileSync(join(dir, file), 'utf8');
          const target = join(profileDir, `${id}.cpuprofile`);
          writeFileSync(target, raw);
          const profile = JSON.parse(raw) as Parameters<typeof summarizeProfile>[0];
          const since = cell.markAt !== undefined && cell.markAt > profile.startTime && cell.markAt < profile.endTime ? cell.markAt : undefined;
          const summary = summarizeProfile(profile, { top: 15, since });
          profiles.push({ scenario: id, middleware: 'resource-guard', file: `bench/profiles/${id}.cpuprofile`, rps: cell.result.rps, summary });
          console.log(`\nCPU profile, resource-guard, ${id} (${cell.result.rps.toFixed(0)} req/s under the profiler)\n${formatSummary(summary)}`);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    if (!flag('--no-micro')) {
      log('micro-benchmark (in-process guard.verify vs jose.jwtVerify)');
      // Fewer iterations when the budget is short (a busy machine makes everything slower).
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
      const dir = mkdtempSync(join(tmpdir(), 'rg-bench-'));
      try {
        const poolFile = join(dir, 'rs256.json');
        writeFileSync(poolFile, JSON.stringify(tokens.pool.RS256));
        memory = await runChild<MemoryResult>('memory.ts', ['--tokens', String(settings.memoryTokens), '--issuer', as.issuer, '--rs256-tokens', poolFile], ['--expose-gc']);
      } catch (err) {
        log(`memory run failed: ${(err as Error).message}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    targets = evaluateTargets(cells, memory);
    console.log(`\nTargets (issue 6, part 4)\n${targetsText(targets)}`);

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
        quietWaitedSeconds: Math.round((settings.quietWait * 1000 - quietLeft) / 1000),
        authorizationServerCalls: as.counters,
        /** Characters in one pool token of each algorithm. */
        tokenLengths: Object.fromEntries(ALGS.map((alg) => [alg, tokens.pool[alg][0]!.length])),
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
      writeFileSync(join(BENCH, 'RESULTS.md'), renderMarkdown(record, `bench/results/${name}`));
      log(`wrote bench/results/${name} and bench/RESULTS.md`);
    }
  } finally {
    await as.stop();
  }
}

await main();
