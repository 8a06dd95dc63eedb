/**
 * A real Redis Sentinel (`redis-server <conf> --sentinel`) on a free 127.0.0.1 port, watching
 * one master, so the Sentinel clients find the master the way production ones do. Its config
 * file (Sentinel rewrites it) lives in a temporary folder removed by `stop()`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killRedis, spawnRedis } from './redis-server.js';

export interface RedisSentinel {
  readonly port: number;
  /** The name the master is monitored under. */
  readonly name: string;
  stop(): Promise<void>;
}

export async function startRedisSentinel(masterPort: number, name = 'rg-test'): Promise<RedisSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-redis-sentinel-'));
  const port = await freePort();
  const config = join(dir, 'sentinel.conf');
  writeFileSync(config, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`, ''].join('\n'));
  let proc: ChildProcess;
  try {
    proc = await spawnRedis([config, '--sentinel'], '+monitor master');
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    name,
    stop: async () => {
      await killRedis(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
