/**
 * The processes of a measurement: a server child per cell and round (pinned to the server
 * CPU), one load generator child for the whole run (pinned to the other CPU), and one
 * measured window between them with the CPU every party used meanwhile. Also the probe of
 * the machine's load that flags noisy windows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { busyCores, cpuTimes, nodeCommand, type Pinning } from './cpus.js';
import type { LoadRequest, LoadResult } from './load.js';
import type { ServerConfig } from './server.js';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const BUILD = join(BENCH, '.build');
/** The bench files the children run, and the bench files they import. */
const CHILD_SOURCES = ['server', 'constants', 'loader', 'load'];
let compiled = false;

/**
 * The children run as plain JavaScript, like a deployed API: no loader hooks, no source
 * maps. Their sources are transpiled once per run into `bench/.build/` (git-ignored; inside
 * the package, so `import 'resource-guard'` still resolves to dist).
 */
function compiledScript(name: 'server' | 'loader'): string {
  if (!compiled) {
    mkdirSync(BUILD, { recursive: true });
    for (const source of CHILD_SOURCES) {
      const { outputText } = ts.transpileModule(readFileSync(join(BENCH, `${source}.ts`), 'utf8'), {
        fileName: `${source}.ts`,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: true },
      });
      writeFileSync(join(BUILD, `${source}.js`), outputText);
    }
    compiled = true;
  }
  return join(BUILD, `${name}.js`);
}

/** Starts `script` under node, on `cpu` when given, with an IPC channel; resolves on its first message of type `ready`. */
async function startChild(
  what: string,
  script: string,
  options: { cpu?: number; execArgv?: string[]; env?: NodeJS.ProcessEnv; captureStdout?: boolean },
): Promise<{ child: ChildProcess; ready: Record<string, unknown> }> {
  const { command, args } = nodeCommand(options.cpu, options.execArgv ?? [], script);
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    stdio: ['ignore', options.captureStdout === true ? 'pipe' : 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start in 20 s`));
    }, 20_000);
    child.once('error', (err) => reject(new Error(`${what} could not start: ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code} before it was ready`)));
    child.on('message', function onReady(message: Record<string, unknown>) {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      child.off('message', onReady);
      resolve(message);
    });
  });
  return { child, ready };
}

/** Sends `{ type, ...extra }` and resolves with the child's first answer of the same type. */
function ask<T>(child: ChildProcess, type: string, extra: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`child did not answer "${type}"`));
    }, timeoutMs);
    function onMessage(message: Record<string, unknown>) {
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message as T);
    }
    child.on('message', onMessage);
    child.send({ type, ...extra });
  });
}

/** Waits for `child` to exit after `{ type: 'stop' }`, killing it after 10 s. */
function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: 'stop' }, (err) => {
      if (err !== null) child.kill('SIGKILL');
    });
  });
}

export interface Usage {
  rss: number;
  heapUsed: number;
  maxRss: number;
  /** `process.cpuUsage()` of the server: every thread, µs. */
  cpu: { user: number; system: number };
  heap: { used: number; total: number; malloced: number; external: number };
}

export interface ServerChild {
  child: ChildProcess;
  pid: number;
  url: string;
  /** The child's stdout, when started with `captureStdout` (V8's `--trace-gc` lines). */
  stdout: Readable | null;
  usage(): Promise<Usage>;
  /** A timestamp on the clock of `--cpu-prof` samples, µs. */
  mark(): Promise<number>;
  /** Writes a line to the child's stdout, in order with what V8 writes there. */
  say(text: string): Promise<void>;
  startHeapSampling(): Promise<void>;
  stopHeapSampling(): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startServer(config: ServerConfig, options: { cpu?: number; execArgv?: string[]; captureStdout?: boolean } = {}): Promise<ServerChild> {
  const { child, ready } = await startChild(`server (${config.middleware})`, compiledScript('server'), {
    ...options,
    env: { ...process.env, NODE_ENV: 'production', BENCH_SERVER_CONFIG: JSON.stringify(config) },
  });
  return {
    child,
    pid: child.pid!,
    url: `http://127.0.0.1:${ready.port as number}/api/messages`,
    stdout: child.stdout,
    usage: () => ask<Usage>(child, 'usage'),
    mark: async () => (await ask<{ at: number }>(child, 'mark')).at,
    say: async (text) => void (await ask(child, 'say', { text })),
    startHeapSampling: async () => void (await ask(child, 'heap-sampling-start')),
    stopHeapSampling: async () => (await ask<{ profile: unknown }>(child, 'heap-sampling-stop', {}, 60_000)).profile,
    stop: () => stopChild(child),
  };
}

export interface LoaderChild {
  pid: number;
  run(request: LoadRequest): Promise<LoadResult>;
  stop(): Promise<void>;
}

/** The load generator child (`loader.ts`), on `cpu` when given. */
export async function startLoader(cpu: number | undefined): Promise<LoaderChild> {
  const { child } = await startChild('load generator', compiledScript('loader'), { cpu });
  let next = 0;
  return {
    pid: child.pid!,
    run: (request) =>
      new Promise<LoadResult>((resolve, reject) => {
        const id = next++;
        const onMessage = (message: { type: string; id?: number; result?: LoadResult; message?: string }) => {
          if (message.id !== id) return;
          child.off('message', onMessage);
          child.off('exit', onExit);
          if (message.type === 'result') resolve(message.result!);
          else reject(new Error(`load generator: ${message.message}`));
        };
        const onExit = (code: number | null) => reject(new Error(`load generator exited with ${code}`));
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ type: 'run', id, request });
      }),
    stop: () => stopChild(child),
  };
}

/** Status of one request with this Authorization header (or none). */
export async function probe(url: string, authorization: string | undefined): Promise<number> {
  const response = await fetch(url, { headers: authorization === undefined ? {} : { authorization } });
  await response.arrayBuffer();
  return response.status;
}

/** One measured window against one server: the load's figures and the CPU every party used. */
export interface Window {
  load: LoadResult;
  /** The server's CPU seconds (every thread) over the window. */
  serverSeconds: number;
  /** Cores the rest of the machine used (all CPUs, minus the server and the load generator). */
  otherCpu: number | undefined;
  /** Cores other processes used on the server's CPU, when pinned: what competed with it. */
  otherOnServerCpu: number | undefined;
  /** The server's own readings just before and just after the window. */
  before: Usage;
  after: Usage;
}

export async function measureWindow(server: ServerChild, loader: LoaderChild, request: LoadRequest, pinning: Pinning): Promise<Window> {
  const before = await server.usage();
  const timesBefore = cpuTimes();
  const load = await loader.run(request);
  const timesAfter = cpuTimes();
  const after = await server.usage();
  const serverSeconds = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
  const loaderSeconds = load.loaderCpu * load.seconds;
  const machine = busyCores(timesBefore, timesAfter, 'all', cpus().length);
  const onServerCpu = pinning.pinned ? busyCores(timesBefore, timesAfter, String(pinning.serverCpu), 1) : undefined;
  return {
    load,
    serverSeconds,
    otherCpu: machine === undefined ? undefined : Math.max(0, machine - (serverSeconds + loaderSeconds) / load.seconds),
    otherOnServerCpu: onServerCpu === undefined ? undefined : Math.max(0, onServerCpu - serverSeconds / load.seconds),
    before,
    after,
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
    const before = cpuTimes();
    const mine = process.cpuUsage();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const busy = busyCores(before, cpuTimes(), 'all', cores);
    if (busy === undefined) break;
    const used = process.cpuUsage(mine);
    if (busy - (used.user + used.system) / 1e6 / 0.1 < limit) break;
  }
  return Date.now() - start;
}
