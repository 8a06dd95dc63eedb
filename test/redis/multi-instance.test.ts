/**
 * Two guard instances sharing one real redis-server, through every supported single-node
 * client (node-redis 4, 5, 6, node-redis 4 in legacy mode, ioredis): replay sets (webhook
 * deliveries, DPoP proofs) and the introspection cache are shared; when Redis stops, caches
 * fall back to the authorization server and replay checks fail closed (503) unless
 * `onStoreError: 'allow'`, and a delivery refused with 503 is accepted when retried after
 * Redis is back.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGuard } from '../../src/index.js';
import { redisStore, type RedisStore } from '../../src/store/redis.js';
import { telnyxWebhook } from '../../src/webhooks/index.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { singleClients, type ConnectedClient } from '../support/redis-clients.js';
import { hasRedisServer, requireRedisInCi, startRedisServer, type RedisServer } from '../support/redis-server.js';
import { flavours, jsonErrors } from '../support/webhook-app.js';
import { ed25519Pair } from '../support/webhook-signing.js';
import { delivery, describeSharedState, recording, webhookInstance } from './shared-state.js';

const available = hasRedisServer();
requireRedisInCi(available);

describe.skipIf(!available).each(singleClients)('several instances on one redis-server through $name', (factory) => {
  let redis: RedisServer;
  let clients: ConnectedClient[];
  let a: RedisStore;
  let b: RedisStore;
  let as: FaultServer;

  beforeAll(async () => {
    redis = await startRedisServer();
    clients = [await factory.connect(redis.port), await factory.connect(redis.port)];
    const prefix = `rg-test-${Date.now()}:`;
    [a, b] = clients.map(({ client }) => redisStore(client, { prefix })) as [RedisStore, RedisStore];
    as = await startFaultServer();
  });
  afterAll(async () => {
    await Promise.all((clients ?? []).map((c) => c.close()));
    await redis?.stop();
    await as?.close();
  });

  it(`is recognised as ${factory.kind}`, () => {
    expect([a.kind, b.kind]).toEqual([factory.kind, factory.kind]);
  });

  describeSharedState(() => ({ a, b, as }));

  const introspecting = () =>
    createGuard({
      issuer: as.issuer,
      audience: 'https://api.example.com',
      introspection: { clientId: 'resource-server', clientSecret: 'resource-server-secret' },
      store: a,
      timeout: 0.5,
    });

  /** Resolves once the store answers again after `redis.start()`. */
  const reachable = (store: RedisStore) =>
    vi.waitFor(async () => expect(await store.get('probe')).toBeUndefined(), { timeout: 10_000, interval: 100 });

  describe.each(flavours)('Redis stopped mid-run, on $name', (flavour) => {
    const pair = ed25519Pair();

    it('caches fall back to the authorization server; replay checks fail closed with 503 unless allowed; nothing hangs', async () => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        const guard = introspecting();
        const deny = webhookInstance(flavour, pair, a);
        const allow = flavour.create();
        allow.post('/hook', telnyxWebhook({ publicKey: pair.publicKeyBase64, store: b, timeout: 0.5, onStoreError: 'allow' }), (_req, res) => {
          res.sendStatus(200);
        });
        allow.use(jsonErrors);

        await redis.stop();
        as.resetCounts();
        await expect(guard.verify(as.mintOpaque())).resolves.toMatchObject({ tokenType: 'opaque' });
        expect(as.count('introspection')).toBe(1);
        expect(warn.mock.calls.some(([message]) => /shared introspection cache failed/.test(String(message)))).toBe(true);

        const one = delivery(pair);
        const denied = await one.send(deny);
        expect(denied.status).toBe(503);
        expect(denied.body.code).toBe('store_unavailable');
        expect(Number(denied.headers['retry-after'])).toBeGreaterThan(0);
        expect((await one.send(allow)).status).toBe(200);
      } finally {
        await redis.start();
        warn.mockRestore();
      }
      await reachable(a);
      await reachable(b);
    });

    it('after Redis comes back, the delivery refused with 503 is accepted on retry (not a 409), and only once', async () => {
      const marks = recording(a);
      const app = webhookInstance(flavour, pair, marks);
      await redis.stop();
      const one = delivery(pair);
      try {
        expect((await one.send(app)).status).toBe(503);
      } finally {
        await redis.start();
      }
      // A SET NX queued during the outage may land now; the middleware removes its mark when it does.
      const [key] = marks.keys;
      await vi.waitFor(async () => expect(await a.get(key!)).toBeUndefined(), { timeout: 10_000, interval: 100 });
      await reachable(b);
      expect((await one.send(app)).status).toBe(200);
      expect((await one.send(webhookInstance(flavour, pair, b))).status).toBe(409);
    });
  });

  it('a failing introspection endpoint is not hidden by the store: 503', async () => {
    as.setBehavior('introspection', fault.status(500));
    try {
      await expect(introspecting().verify(as.mintOpaque())).rejects.toMatchObject({ status: 503 });
    } finally {
      as.resetBehaviors();
    }
  });
});
