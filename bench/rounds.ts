/**
 * The HTTP matrix in rounds: every cell (scenario × middleware) once per round, each time in
 * a fresh server process, rounds in ABBA order (every other round reversed).
 *
 * Why a fresh server per cell *and round*, not one per cell for the whole run: one server
 * process differs from the next (JIT decisions, heap layout, which CPU caches its data
 * lands in) by more than the gaps the close targets measure, so a run with one process per
 * cell draws that luck once and every round inherits it. With a process per round, the
 * median over rounds sees five draws and an odd process is outvoted. It also keeps first
 * sight first sight: a new process has seen no token, so a pool scenario can measure a new
 * share of its pool each round without a pool per round. The cost is a start and a warm-up
 * per measurement (~1.5 s).
 */
import type { AuthorizationServer } from './as.js';
import { LABEL, LETTER, measureOrder, type Scenario } from './cells.js';
import { threadAffinity, type Pinning } from './cpus.js';
import { measureWindow, probe, startServer, type LoaderChild, type ServerChild, type Window } from './harness.js';
import type { Cell } from './report.js';
import type { MiddlewareId, ServerConfig } from './server.js';
import { summarize, type Round } from './stats.js';
import { phasesOf, sampleHeaders, type Phase, type PhaseSettings, type Tokens } from './tokens.js';

export interface RoundSettings extends PhaseSettings {
  connections: number;
  /** Cores other processes may use (on the server's CPU when pinned, else anywhere) before a cell is flagged as noisy. */
  noiseLimit: number;
}

export interface RunContext {
  as: AuthorizationServer;
  tokens: Tokens;
  loader: LoaderChild;
  pinning: Pinning;
  settings: RoundSettings;
  log(line: string): void;
  /** Waits a little for the machine to calm down before a measured window, while the time budget allows. */
  quiet(): Promise<void>;
}

/** One cell to measure. */
export interface Job {
  scenario: Scenario;
  middleware: MiddlewareId;
  cell: Cell;
}

/** Every cell of `scenarios`, in the order a round measures them. */
export function planJobs(scenarios: Scenario[], middlewares: MiddlewareId[] | undefined): Job[] {
  const jobs: Job[] = [];
  for (const scenario of scenarios) {
    for (const middleware of measureOrder(scenario)) {
      if (middlewares !== undefined && !middlewares.includes(middleware)) continue;
      const expect = middleware === 'none' ? 200 : scenario.expect;
      jobs.push({ scenario, middleware, cell: { scenario: scenario.id, middleware, state: 'measured', flags: [], expect, rounds: [] } });
    }
  }
  return jobs;
}

/** Round `round` of every job still measurable: forward in even rounds, backward in odd ones. */
export async function runRound(round: number, jobs: Job[], ctx: RunContext): Promise<void> {
  for (const job of round % 2 === 0 ? jobs : [...jobs].reverse()) {
    if (job.cell.state !== 'measured') continue;
    const measured = await measureCell(job, round, ctx);
    const r = measured?.round;
    ctx.log(
      `round ${round + 1}, ${job.scenario.id} ${LETTER[job.middleware]} ${LABEL[job.middleware]}: ` +
        (r === undefined ? `${job.cell.state} (${job.cell.reason})` : `${r.cpuPerRequest.toFixed(0)} µs CPU/req, ${r.rps.toFixed(0)} req/s${r.otherOnServerCpu === undefined ? '' : `, others on the server's CPU ${r.otherOnServerCpu.toFixed(2)}`}`),
    );
  }
}

/** Options of one measurement beyond the plan: extra node flags, the server's stdout, hooks at the window's edges. */
export interface CellOptions {
  execArgv?: string[];
  /** Pipe the server's stdout (`server.stdout`) instead of inheriting it. */
  captureStdout?: boolean;
  /** Called once the server is ready, before the pre-check (e.g. to start reading its stdout). */
  onStart?: (server: ServerChild) => void;
  beforeWindow?: (server: ServerChild) => Promise<void>;
  afterWindow?: (server: ServerChild) => Promise<void>;
}

/**
 * One cell, one round: a fresh server (pinned), checked, warmed up, measured, stopped. The
 * round is appended to the cell; a cell that cannot run is marked n/a or failed and returns
 * undefined.
 */
export async function measureCell(job: Job, round: number, ctx: RunContext, options: CellOptions = {}): Promise<{ round: Round; window: Window } | undefined> {
  const { cell, scenario, middleware } = job;
  const config: ServerConfig = {
    middleware,
    issuer: ctx.as.issuer,
    metadataUrl: ctx.as.metadataUrl,
    jwksUri: ctx.as.jwksUri,
    introspectionEndpoint: ctx.as.introspectionEndpoint,
    introspection: scenario.tokens.kind === 'opaque',
  };
  let server: ServerChild;
  try {
    server = await startServer(config, { cpu: ctx.pinning.serverCpu, execArgv: options.execArgv, captureStdout: options.captureStdout });
    options.onStart?.(server);
  } catch (err) {
    Object.assign(cell, { state: 'failed', reason: (err as Error).message });
    return undefined;
  }
  try {
    const check = await precheck(server.url, scenario, middleware, ctx.tokens);
    if (check.na !== undefined || check.problems.length > 0) {
      Object.assign(cell, check.na !== undefined ? { state: 'n/a', reason: check.na } : { state: 'failed', reason: `pre-check: ${check.problems.join('; ')}` });
      return undefined;
    }
    const { warmup, measure } = phasesOf(scenario, middleware, round, ctx.tokens, ctx.settings);
    // Wait for quiet before the warm-up, not after it: warm-up and window run back to back,
    // with no idle gap for V8 to spend on idle-time GC or for the CPU caches to go cold.
    await ctx.quiet();
    await ctx.loader.run(requestOf(server, warmup, ctx));
    await options.beforeWindow?.(server);
    const window = await measureWindow(server, ctx.loader, requestOf(server, measure, ctx), ctx.pinning);
    await options.afterWindow?.(server);
    if (ctx.pinning.pinned && cell.affinity === undefined) checkAffinity(cell, server.pid, ctx.pinning.serverCpu);
    const { load, serverSeconds, after } = window;
    const measured: Round = {
      ...load,
      round,
      serverCpu: serverSeconds / load.seconds,
      cpuPerRequest: load.requests === 0 ? NaN : (serverSeconds * 1e6) / load.requests,
      otherCpu: window.otherCpu,
      otherOnServerCpu: window.otherOnServerCpu,
      rss: after.rss,
      maxRss: after.maxRss,
      heapUsed: after.heapUsed,
    };
    cell.rounds = [...(cell.rounds ?? []), measured];
    return { round: measured, window };
  } catch (err) {
    Object.assign(cell, { state: 'failed', reason: (err as Error).message });
    return undefined;
  } finally {
    await server.stop();
  }
}

function requestOf(server: ServerChild, phase: Phase, ctx: RunContext) {
  return { url: server.url, connections: ctx.settings.connections, duration: phase.seconds, amount: phase.amount, auth: phase.auth };
}

/** Records which CPUs the server's threads may use, after a window (so the libuv pool exists), and flags a surprise. */
function checkAffinity(cell: Cell, pid: number, cpu: number): void {
  const affinity = threadAffinity(pid);
  if (affinity === undefined) return;
  cell.affinity = `${affinity.threads} threads on CPU ${affinity.cpus}`;
  if (affinity.cpus !== String(cpu)) cell.flags.push(`not pinned as planned: ${cell.affinity}`);
}

/** After the last round: the cell's medians, and flags for what makes them untrustworthy. */
export function judgeCell(job: Job, settings: RoundSettings): void {
  const { cell } = job;
  if (cell.state !== 'measured' || cell.rounds === undefined || cell.rounds.length === 0) return;
  const result = summarize(cell.rounds);
  cell.result = result;
  if (['pool', 'bad-pool', 'large-pool'].includes(job.scenario.tokens.kind)) {
    cell.notes = [`${Math.round(result.requests / cell.rounds.length).toLocaleString('en')} distinct tokens per round, each once`];
  }
  const wrong = Object.entries(result.statuses).filter(([code]) => Number(code) !== cell.expect);
  if (wrong.length > 0) cell.flags.push(`wrong statuses ${wrong.map(([c, n]) => `${c}×${n}`).join(' ')}`);
  if (result.errors > 0 || result.timeouts > 0) cell.flags.push(`${result.errors} errors, ${result.timeouts} timeouts`);
  if (result.requests === 0) cell.flags.push('no responses');
  const noise = result.otherOnServerCpu ?? result.otherCpu;
  if (noise !== undefined && noise > settings.noiseLimit) {
    cell.flags.push(`noisy: other processes used ${noise.toFixed(2)} cores${result.otherOnServerCpu === undefined ? '' : " of the server's CPU"} (median of rounds)`);
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
  const expected = middleware === 'none' ? 200 : scenario.expect;
  let i = 0;
  for (const header of sampleHeaders(scenario, tokens)) await expectStatus(`scenario request ${++i}`, header, expected);
  return { problems };
}
