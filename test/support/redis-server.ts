/**
 * A real `redis-server` (Debian's package) on a free 127.0.0.1 port, started and stopped by
 * the test. No persistence, so nothing is written outside the process. The process helpers
 * here are shared with redis-cluster.ts and redis-sentinel.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server; `start()` brings it back on the same port, empty. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** True when `redis-server` and `redis-cli` are on the PATH. */
export function hasRedisServer(): boolean {
  const works = (command: string) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
  return works('redis-server') && works('redis-cli');
}

/** CI installs redis-server (.ci/run); a developer machine without it skips with a reason. */
export function requireRedisInCi(available: boolean): void {
  if (!available && process.env.CI) {
    throw new Error('redis-server and redis-cli are required in CI (apt-get install -y redis-server redis-tools)');
  }
}

/** True when `port` can be bound on 127.0.0.1 right now. */
export async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every redis process a test started and has not stopped: killed if the worker exits first. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

/**
 * Starts `redis-server args` and resolves once it accepts connections; rejects (with its
 * output, which names the cause, e.g. a port taken meanwhile) if it exits or takes 10 s.
 */
export function spawnRedis(args: readonly string[], ready = 'Ready to accept connections'): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(proc);
    let output = '';
    const timer = setTimeout(() => {
      void killRedis(proc);
      reject(new Error(`redis-server did not start: ${output}`));
    }, 10_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) {
        clearTimeout(timer);
        resolve(proc);
      }
    };
    proc.stdout!.on('data', read);
    proc.stderr!.on('data', read);
    proc.once('exit', (code) => {
      running.delete(proc);
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output}`));
    });
  });
}

/** SIGKILL, as a crash would; resolves once the process is gone. */
export function killRedis(proc: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.removeAllListeners('exit');
    proc.once('exit', () => {
      running.delete(proc);
      resolve();
    });
    proc.kill('SIGKILL');
  });
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = await spawnRedis(['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  };
  const stop = () => killRedis(child);
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start };
}
