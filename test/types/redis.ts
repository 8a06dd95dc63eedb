/**
 * Type-level tests for `resource-guard/redis`, checked by `npm run typecheck`: every supported
 * client type is accepted as it comes from its package, without a cast, and the store it gives
 * is a `Store` with its `kind`. Lines marked `@ts-expect-error` must fail to compile.
 */
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster, createSentinel } from 'redis';
import { createClient as createClient4, createCluster as createCluster4 } from 'redis4';
import { createClient as createClient5 } from 'redis5';
import type { Store } from '../../src/index.js';
import { redisStore, type RedisClientKind, type RedisStore } from '../../src/store/redis.js';

export const stores: RedisStore[] = [
  redisStore(createClient()),
  redisStore(createClient5(), { prefix: 'rg:api:' }),
  redisStore(createClient4()),
  redisStore(createClient4({ legacyMode: true })),
  redisStore(createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] })),
  redisStore(createCluster4({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] })),
  redisStore(createSentinel({ name: 'primary', sentinelRootNodes: [{ host: '127.0.0.1', port: 26379 }] })),
  redisStore(new Redis({ lazyConnect: true })),
  redisStore(new Cluster([{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true })),
];
export const asStore: Store = stores[0]!;
export const kind: RedisClientKind = stores[0]!.kind;

// @ts-expect-error a URL is not a client
redisStore('redis://127.0.0.1:6379');
// @ts-expect-error an object without sendCommand or call
redisStore({ get: async () => 'value' });
// @ts-expect-error prefix is a string
redisStore(createClient(), { prefix: 1 });
// A wrapper with node-redis' sendCommand(args) is accepted.
export const wrapper: RedisStore = redisStore({ sendCommand: async (_args: string[]) => 'OK' });
