/**
 * The real Redis clients `redisStore` supports, each created and connected the way its README
 * says, with a short reconnect delay so outage tests recover quickly: node-redis 4, 5 and 6
 * (npm aliases `redis4`, `redis5`, `redis`), node-redis 4 in legacy mode, and ioredis; their
 * cluster clients against a {@link RedisCluster}; node-redis' and ioredis' Sentinel clients.
 * Every client swallows its `error` events: an outage is what some tests are about.
 */
import { Cluster, Redis } from 'ioredis';
import * as redis6 from 'redis';
import * as redis4 from 'redis4';
import * as redis5 from 'redis5';
import type { RedisClientKind, RedisCommandClient } from '../../src/store/redis.js';

export interface ConnectedClient {
  readonly client: RedisCommandClient;
  close(): Promise<void>;
}

export interface ClientFactory<Target> {
  readonly name: string;
  /** What `redisStore` must recognise it as. */
  readonly kind: RedisClientKind;
  connect(target: Target): Promise<ConnectedClient>;
}

const reconnectStrategy = () => 100;

interface Connectable {
  on(event: 'error', listener: () => void): unknown;
  connect(): Promise<unknown>;
}

/** Connects `client` with its `error` events swallowed; `close` ends it at once. */
async function connected<C extends Connectable & RedisCommandClient>(client: C, close: (client: C) => unknown): Promise<ConnectedClient> {
  client.on('error', () => undefined);
  await client.connect();
  return { client, close: async () => void (await close(client)) };
}

/** Clients of one `redis-server`, by port. */
export const singleClients: ReadonlyArray<ClientFactory<number>> = [
  {
    name: 'node-redis 6',
    kind: 'node-redis',
    connect: (port) =>
      connected(redis6.createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy } }), (c) => c.destroy()),
  },
  {
    name: 'node-redis 5',
    kind: 'node-redis',
    connect: (port) =>
      connected(redis5.createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy } }), (c) => c.destroy()),
  },
  {
    name: 'node-redis 4',
    kind: 'node-redis',
    connect: (port) =>
      connected(redis4.createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy } }), (c) => c.disconnect()),
  },
  {
    name: 'node-redis 4 (legacyMode)',
    kind: 'node-redis',
    connect: (port) =>
      connected(redis4.createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy }, legacyMode: true }), (c) => c.disconnect()),
  },
  {
    name: 'ioredis',
    kind: 'ioredis',
    connect: (port) =>
      connected(new Redis(port, '127.0.0.1', { retryStrategy: reconnectStrategy, lazyConnect: true }), (c) => c.disconnect()),
  },
];

export interface ClusterTarget {
  readonly rootNodes: ReadonlyArray<{ host: string; port: number }>;
}

const urls = (target: ClusterTarget) => target.rootNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` }));

/** Clients of a Redis Cluster, by its root nodes. */
export const clusterClients: ReadonlyArray<ClientFactory<ClusterTarget>> = [
  {
    name: 'node-redis 6 cluster',
    kind: 'node-redis cluster',
    connect: (target) =>
      connected(redis6.createCluster({ rootNodes: urls(target), defaults: { socket: { reconnectStrategy, connectTimeout: 1000 } } }), (c) => c.destroy()),
  },
  {
    name: 'ioredis cluster',
    kind: 'ioredis cluster',
    connect: (target) =>
      connected(new Cluster(target.rootNodes.map((node) => ({ ...node })), { clusterRetryStrategy: reconnectStrategy, lazyConnect: true }), (c) => c.disconnect()),
  },
  {
    name: 'node-redis 5 cluster',
    kind: 'node-redis cluster',
    connect: (target) =>
      connected(redis5.createCluster({ rootNodes: urls(target), defaults: { socket: { reconnectStrategy, connectTimeout: 1000 } } }), (c) => c.destroy()),
  },
  {
    name: 'node-redis 4 cluster',
    kind: 'node-redis cluster',
    connect: (target) =>
      connected(redis4.createCluster({ rootNodes: urls(target), defaults: { socket: { reconnectStrategy, connectTimeout: 1000 } } }), (c) => c.disconnect()),
  },
];

export interface SentinelTarget {
  readonly name: string;
  readonly sentinelPort: number;
}

/** Clients that find the master through Redis Sentinel. */
export const sentinelClients: ReadonlyArray<ClientFactory<SentinelTarget>> = [
  {
    name: 'node-redis 6 sentinel',
    kind: 'node-redis sentinel',
    connect: ({ name, sentinelPort }) =>
      connected(redis6.createSentinel({
        name,
        sentinelRootNodes: [{ host: '127.0.0.1', port: sentinelPort }],
        nodeClientOptions: { socket: { reconnectStrategy } },
      }), (c) => c.destroy()),
  },
  {
    name: 'ioredis with sentinels',
    kind: 'ioredis',
    connect: ({ name, sentinelPort }) =>
      connected(new Redis({ sentinels: [{ host: '127.0.0.1', port: sentinelPort }], name, lazyConnect: true }), (c) => c.disconnect()),
  },
];
