/**
 * A real 3-master Redis Cluster on 127.0.0.1, started by the test: three `redis-server
 * --cluster-enabled yes` on free ports, formed with `redis-cli --cluster create … --cluster-yes`,
 * ready once every node reports `cluster_state:ok`.
 *
 * Each node keeps an append-only file fsynced on every write in its own temporary folder, so a
 * master killed with SIGKILL and restarted (same port, same nodes.conf) comes back with its
 * keys, as a production master with persistence does. `cluster-node-timeout` is long (60 s),
 * so while one master is down the other two keep serving their slots: the tests see exactly
 * the killed master's keys fail. If anything fails while starting, every process started so
 * far is killed and the folder removed.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, isFree, killRedis, spawnRedis } from './redis-server.js';

const run = promisify(execFile);

export interface ClusterNode {
  readonly port: number;
  /** The slot ranges this master serves, `[first, last]` inclusive. */
  readonly slots: ReadonlyArray<readonly [number, number]>;
}

export interface RedisCluster {
  readonly nodes: readonly ClusterNode[];
  /** `host:port` of every master, as the clients take their root nodes. */
  readonly rootNodes: ReadonlyArray<{ host: string; port: number }>;
  /** The master serving `key`, asked of the cluster itself (`CLUSTER KEYSLOT`). */
  ownerOf(key: string): Promise<ClusterNode>;
  /** Every key on one master matching `pattern` (`SCAN` on that node). */
  keysOn(node: ClusterNode, pattern: string): Promise<string[]>;
  /** The slot of `key` (`CLUSTER KEYSLOT`). */
  slotOf(key: string): Promise<number>;
  /** SIGKILLs one master. */
  kill(node: ClusterNode): Promise<void>;
  /** Starts a killed master again, and waits until every node reports `cluster_state:ok`. */
  restart(node: ClusterNode): Promise<void>;
  /** Kills every node and removes the folder. */
  close(): Promise<void>;
}

/** The cluster bus listens on port + 10000: both must be free, the second below 65536. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port + 10_000 > 65_535 || taken.has(port)) continue;
    if (await isFree(port + 10_000)) return port;
  }
  throw new Error('no free port pair (port, port + 10000) for a cluster node');
}

const cli = async (port: number, ...args: string[]) =>
  (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout;

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster: timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'rg-redis-cluster-'));
  const processes = new Map<number, ChildProcess>();
  const ports: number[] = [];
  const args = (port: number) => [
    '--port', String(port), '--bind', '127.0.0.1',
    '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '60000',
    '--dir', join(dir, String(port)), '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
  ];
  const startNode = async (port: number) => {
    processes.set(port, await spawnRedis(args(port)));
  };
  const close = async () => {
    await Promise.all([...processes.values()].map((proc) => killRedis(proc)));
    processes.clear();
    rmSync(dir, { recursive: true, force: true });
  };
  const allOk = () =>
    waitUntil('cluster_state:ok on every node', async () =>
      (await Promise.all(ports.map((port) => cli(port, 'cluster', 'info')))).every((info) => info.includes('cluster_state:ok')),
    );

  try {
    const taken = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const port = await clusterPort(taken);
      taken.add(port);
      ports.push(port);
      mkdirSync(join(dir, String(port)));
      await startNode(port);
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
    await allOk();
    const nodes = await readSlots(ports[0]!);
    const slotOf = async (key: string) => Number((await cli(ports[0]!, 'cluster', 'keyslot', key)).trim());
    const ownerOf = async (key: string) => {
      const slot = await slotOf(key);
      return nodes.find((node) => node.slots.some(([first, last]) => slot >= first && slot <= last))!;
    };
    return {
      nodes,
      rootNodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      ownerOf,
      slotOf,
      keysOn: async (node, pattern) => (await cli(node.port, '--scan', '--pattern', pattern)).split('\n').filter(Boolean),
      kill: async (node) => {
        await killRedis(processes.get(node.port));
        processes.delete(node.port);
      },
      restart: async (node) => {
        await startNode(node.port);
        await allOk();
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Which master serves which slots, from `CLUSTER NODES` (one line per node, slot ranges last). */
async function readSlots(port: number): Promise<ClusterNode[]> {
  const lines = (await cli(port, 'cluster', 'nodes')).split('\n').filter((line) => line.includes('master'));
  return lines
    .map((line) => {
      const fields = line.trim().split(' ');
      const nodePort = Number(fields[1]!.split('@')[0]!.split(':')[1]);
      const slots = fields.slice(8).map((range) => {
        const [first, last = first] = range.split('-').map(Number) as [number, number?];
        return [first, last] as const;
      });
      return { port: nodePort, slots };
    })
    .sort((a, b) => a.slots[0]![0] - b.slots[0]![0]);
}
