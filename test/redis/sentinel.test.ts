/**
 * Two guard instances finding their Redis through a real Redis Sentinel: node-redis'
 * `createSentinel` (its `sendCommand` takes `isReadonly` first, so it must be recognised, not
 * taken for a plain client) and ioredis with `sentinels` (a plain ioredis client). The shared
 * state holds as on one server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore, type RedisStore } from '../../src/store/redis.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { sentinelClients, type ConnectedClient } from '../support/redis-clients.js';
import { startRedisSentinel, type RedisSentinel } from '../support/redis-sentinel.js';
import { hasRedisServer, requireRedisInCi, startRedisServer, type RedisServer } from '../support/redis-server.js';
import { describeSharedState } from './shared-state.js';

const available = hasRedisServer();
requireRedisInCi(available);

describe.skipIf(!available)('Redis behind Sentinel', () => {
  let redis: RedisServer;
  let sentinel: RedisSentinel;
  let as: FaultServer;

  beforeAll(async () => {
    redis = await startRedisServer();
    sentinel = await startRedisSentinel(redis.port);
    as = await startFaultServer();
  });
  afterAll(async () => {
    await sentinel?.stop();
    await redis?.stop();
    await as?.close();
  });

  describe.each(sentinelClients)('through $name', (factory) => {
    let clients: ConnectedClient[] = [];
    let a: RedisStore;
    let b: RedisStore;

    beforeAll(async () => {
      const target = { name: sentinel.name, sentinelPort: sentinel.port };
      clients = [await factory.connect(target), await factory.connect(target)];
      const prefix = `rg-${factory.name.replace(/\W+/g, '-')}:`;
      [a, b] = clients.map(({ client }) => redisStore(client, { prefix })) as [RedisStore, RedisStore];
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
    });

    it(`is recognised as ${factory.kind}`, () => {
      expect([a.kind, b.kind]).toEqual([factory.kind, factory.kind]);
    });

    describeSharedState(() => ({ a, b, as }));
  });
});
