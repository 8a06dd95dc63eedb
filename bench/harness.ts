/**
 * One cell of the HTTP matrix: start the server child, check it answers what it must, warm
 * up, measure, read its memory, stop it. Also the machine-load probe that flags noisy cells.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { loadResult, runLoad, type LoadResult } from './load.js';
import type { ServerConfig } from './server.js';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const BUILD = join(BENCH, '.build');
let serverScript: string | undefined;

/**
 * The server child runs as plain JavaScript, like a deployed API: no loader hooks, no source
 * maps. `server.ts` and `as.ts` are transpiled once per run into `bench/.build/` (git-ignored;
 * inside the package, so `import 'resource-guard'` still resolves to dist).
 */
function compiledServer(): string {
  if (serverScript !== undefined) return serverScript;
  mkdirSync(BUILD, { recursive: true });
  for (const name of ['server', 'as']) {
    const source = readFileSync(join(BENCH, `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: `${name}.ts`,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: true },
    });
    writeFileSync(join(BUILD, `${name}.js`), outputText);
  }
  serverScript = join(BUILD, 'server.js');
  return serverScript;
}

export interface Usage {
  rss: number;
  heapUsed: number;
  maxRss: number;
  cpu: { user: number; system: number };
}

export interface ServerChild {
  child: ChildProcess;
  url: string;
  usage(): Promise<Usage>;
  mark(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServer(config: ServerConfig, execArgv: string[] = []): Promise<ServerChild> {
  const child = fork(compiledServer(), [], {
    execArgv,
    env: { ...process.env, NODE_ENV: 'production', BENCH_SERVER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server (${config.middleware}) did not start in 20 s`));
    }, 20_000);
    child.once('exit', (code) => reject(new Error(`server (${config.middleware}) exited with ${code} before listening`)));
    child.on('message', (message: { type: string; port?: number }) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.port!);
      }
    });
  });
  const ask = <T>(type: string, field?: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not answer "${type}"`)), 10_000);
      const onMessage = (message: Record<string, unknown>) => {
        if (message.type !== type) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve((field === undefined ? message : message[field]) as T);
      };
      child.on('message', onMessage);
      child.send({ type });
    });
  return {
    child,
    url: `http://127.0.0.1:${port}/api/messages`,
    usage: () => ask<Usage>('usage'),
    mark: () => ask<number>('mark', 'at'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'stop' });
      }),
  };
}

/** Status of one request with this Authorization header (or none). */
export async function probe(url: string, authorization: string | undefined): Promise<number> {
  const response = await fetch(url, { headers: authorization === undefined ? {} : { authorization } });
  await response.arrayBuffer();
  return response.status;
}

/** Busy CPU of the whole machine from /proc/stat, in core-seconds; undefined off Linux. */
function machineBusy(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return undefined;
  }
}

export interface Measurement extends LoadResult {
  /** Server CPU during the measured run, in cores (main thread + libuv pool). */
  serverCpu: number;
  /** Server CPU per request, µs: the work one request costs, which noise does not inflate much. */
  cpuPerRequest: number;
  /** CPU used by everything else on the machine during the run, in cores: noise. */
  otherCpu: number | undefined;
  rss: number;
  maxRss: number;
  heapUsed: number;
}

export interface SliceSpec {
  server: ServerChild;
  connections: number;
  duration: number;
  /** Measure exactly this many requests instead of `duration` seconds. */
  amount?: number;
  authorization: (() => string) | string | undefined;
}

/** One measured run against one server, with the CPU every party used meanwhile. */
export interface Slice {
  load: LoadResult;
  serverSeconds: number;
  loaderSeconds: number;
  /** Core-seconds the whole machine was busy, when /proc/stat is readable. */
  machineSeconds: number | undefined;
}

/** Load thrown away: JIT, caches and connections settle. */
export async function warmUp(server: ServerChild, connections: number, seconds: number, authorization: (() => string) | string | undefined): Promise<void> {
  if (seconds > 0) await runLoad({ url: server.url, connections, warmup: 0, duration: seconds, authorization });
}

export async function measureSlice(spec: SliceSpec): Promise<Slice> {
  const { server } = spec;
  const before = await server.usage();
  const machineBefore = machineBusy();
  const loaderBefore = process.cpuUsage();
  const load = await runLoad({ url: server.url, connections: spec.connections, warmup: 0, duration: spec.duration, amount: spec.amount, authorization: spec.authorization });
  const loaderUsed = process.cpuUsage(loaderBefore);
  const machineAfter = machineBusy();
  const after = await server.usage();
  let machineSeconds: number | undefined;
  if (machineBefore !== undefined && machineAfter !== undefined) {
    // jiffies → share of the machine → core-seconds over this slice
    const share = (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total);
    machineSeconds = share * cpus().length * load.seconds;
  }
  return {
    load,
    serverSeconds: (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6,
    loaderSeconds: (loaderUsed.user + loaderUsed.system) / 1e6,
    machineSeconds,
  };
}

/** Several slices of one cell (measured at different times) as one measurement. */
export function combine(slices: Slice[], usage: Usage): Measurement {
  const sum = (pick: (s: Slice) => number) => slices.reduce((total, s) => total + pick(s), 0);
  const statuses: Record<string, number> = {};
  for (const s of slices) for (const [code, n] of Object.entries(s.load.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  const load = loadResult({
    seconds: sum((s) => s.load.seconds),
    statuses,
    latencies: slices.flatMap((s) => s.load.latencies ?? []),
    errors: sum((s) => s.load.errors),
    timeouts: sum((s) => s.load.timeouts),
    loaderSeconds: sum((s) => s.loaderSeconds),
  });
  const serverSeconds = sum((s) => s.serverSeconds);
  const machine = slices.every((s) => s.machineSeconds !== undefined) ? sum((s) => s.machineSeconds!) : undefined;
  const { latencies: _latencies, ...result } = load;
  return {
    ...result,
    serverCpu: serverSeconds / load.seconds,
    cpuPerRequest: load.requests === 0 ? NaN : (serverSeconds * 1e6) / load.requests,
    otherCpu: machine === undefined ? undefined : Math.max(0, (machine - serverSeconds - sum((s) => s.loaderSeconds)) / load.seconds),
    rss: usage.rss,
    maxRss: usage.maxRss,
    heapUsed: usage.heapUsed,
  };
}

/**
 * Waits (at most `maxMs`) until the rest of the machine uses under `limit` cores over a
 * tenth of a second: other people's test runs share this machine. Returns the time waited.
 */
export async function waitForQuiet(limit: number, maxMs: number): Promise<number> {
  const start = Date.now();
  const cores = cpus().length;
  while (Date.now() - start < maxMs) {
    const before = machineBusy();
    const mine = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = machineBusy();
    if (before === undefined || after === undefined) break;
    const used = process.cpuUsage(mine);
    const busy = ((after.busy - before.busy) / Math.max(1, after.total - before.total)) * cores - (used.user + used.system) / 1e6 / 0.1;
    if (busy < limit) break;
  }
  return Date.now() - start;
}
