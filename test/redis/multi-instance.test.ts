/**
 * Two guard instances sharing one real redis-server: replay sets (webhook deliveries, DPoP
 * proofs) and the introspection cache are shared; when Redis stops, caches fall back to the authorization server and
 * replay checks fail closed (503) unless `onStoreError: 'allow'`.
 */
import { createClient } from 'redis';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGuard, type Guard } from '../../src/index.js';
import { redisStore } from '../../src/store/redis.js';
import type { Store } from '../../src/store/memory.js';
import { telnyxWebhook } from '../../src/webhooks/index.js';
import { dpopKey, proof } from '../dpop/support.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { hasRedisServer, startRedisServer, type RedisServer } from '../support/redis-server.js';
import { flavours, jsonErrors } from '../support/webhook-app.js';
import { ed25519Pair, telnyxEvent, telnyxHeaders } from '../support/webhook-signing.js';

// CI installs redis-server (.ci/run); a developer machine without it skips with a reason.
const available = hasRedisServer();
if (!available && process.env.CI) throw new Error('redis-server is required in CI (apt-get install -y redis-server)');

describe.skipIf(!available)('several instances on one Redis', () => {
  let redis: RedisServer;
  let client: ReturnType<typeof createClient>;
  let store: Store;
  let as: FaultServer;

  beforeAll(async () => {
    redis = await startRedisServer();
    client = createClient({ url: redis.url, socket: { reconnectStrategy: () => 100 } });
    client.on('error', () => undefined);
    await client.connect();
    store = redisStore(client, { prefix: `rg-test-${Date.now()}:` });
    as = await startFaultServer();
  });
  afterAll(async () => {
    await client.destroy();
    await redis.stop();
    await as.close();
  });

  const introspecting = (options: Partial<Parameters<typeof createGuard>[0]> = {}): Guard =>
    createGuard({
      issuer: as.issuer,
      audience: 'https://api.example.com',
      introspection: { clientId: 'resource-server', clientSecret: 'resource-server-secret' },
      store,
      timeout: 0.5,
      ...options,
    });

  it('stores, reads, and sets-if-absent atomically with TTLs', async () => {
    await store.set('k', 'v', 10_000);
    expect(await store.get('k')).toBe('v');
    const results = await Promise.all(Array.from({ length: 20 }, () => store.setIfAbsent('once', 'x', 10_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    await store.set('short', 'v', 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await store.get('short')).toBeUndefined();
    await store.delete('k');
    expect(await store.get('k')).toBeUndefined();
  });

  it('an opaque token introspected by instance A serves instance B without a call', async () => {
    const a = introspecting();
    const b = introspecting();
    const token = as.mintOpaque({ scope: 'messages:read' });
    as.resetCounts();
    await expect(a.verify(token)).resolves.toMatchObject({ tokenType: 'opaque' });
    await new Promise((resolve) => setTimeout(resolve, 50)); // A's write to Redis is not awaited
    await expect(b.verify(token)).resolves.toMatchObject({ tokenType: 'opaque', scopes: ['messages:read'] });
    expect(as.count('introspection')).toBe(1);
  });

  it('a DPoP proof accepted by instance A and replayed to instance B is 401 invalid_dpop_proof', async () => {
    const key = await dpopKey('ES256');
    const token = as.mintJwt({ claims: { cnf: { jkt: key.jkt } } });
    const url = 'https://api.example.com/messages';
    const request = { scheme: 'DPoP' as const, method: 'GET', url, dpop: await proof(key, { htm: 'GET', htu: url, token }) };
    const a = createGuard({ issuer: as.issuer, audience: 'https://api.example.com', store, timeout: 0.5 });
    const b = createGuard({ issuer: as.issuer, audience: 'https://api.example.com', store, timeout: 0.5 });
    await expect(a.verify(token, { request })).resolves.toMatchObject({ scheme: 'DPoP', confirmation: { jkt: key.jkt } });
    await expect(b.verify(token, { request })).rejects.toMatchObject({ status: 401, code: 'invalid_dpop_proof' });
    // A fresh proof still passes on B: only the replay was refused.
    const fresh = { ...request, dpop: await proof(key, { htm: 'GET', htu: url, token }) };
    await expect(b.verify(token, { request: fresh })).resolves.toMatchObject({ scheme: 'DPoP' });
  });

  describe.each(flavours)('webhooks on $name', (flavour) => {
    const pair = ed25519Pair();
    const instance = () => {
      const app = flavour.create();
      app.post('/hook', telnyxWebhook({ publicKey: pair.publicKeyBase64, store, timeout: 0.5 }), (req, res) => {
        res.json({ id: req.webhook?.id });
      });
      app.use(jsonErrors);
      return app;
    };

    it('a delivery accepted by instance A and replayed to instance B is 409', async () => {
      const body = telnyxEvent();
      const headers = telnyxHeaders(pair.privateKey, body);
      const first = await supertest(instance()).post('/hook').set(headers).set('content-type', 'application/json').send(body);
      expect(first.status).toBe(200);
      const replay = await supertest(instance()).post('/hook').set(headers).set('content-type', 'application/json').send(body);
      expect(replay.status).toBe(409);
      expect(replay.body.code).toBe('replayed');
    });
  });

  describe('Redis stopped mid-test', () => {
    const pair = ed25519Pair();
    it('caches fall back to the authorization server; replay checks fail closed; nothing hangs', async () => {
      const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const guard = introspecting();
      const deny = flavours[0]!.create();
      deny.post('/hook', telnyxWebhook({ publicKey: pair.publicKeyBase64, store, timeout: 0.5 }), (_req, res) => {
        res.sendStatus(200);
      });
      deny.use(jsonErrors);
      const allow = flavours[0]!.create();
      allow.post('/hook', telnyxWebhook({ publicKey: pair.publicKeyBase64, store, timeout: 0.5, onStoreError: 'allow' }), (_req, res) => {
        res.sendStatus(200);
      });
      allow.use(jsonErrors);

      await redis.stop();
      as.resetCounts();
      const token = as.mintOpaque();
      await expect(guard.verify(token)).resolves.toMatchObject({ tokenType: 'opaque' });
      expect(as.count('introspection')).toBe(1);
      expect(warn.mock.calls.some(([message]) => /shared introspection cache failed/.test(String(message)))).toBe(true);

      const body = telnyxEvent();
      const denied = await supertest(deny).post('/hook').set(telnyxHeaders(pair.privateKey, body)).set('content-type', 'application/json').send(body);
      expect(denied.status).toBe(503);
      expect(denied.headers['retry-after']).toBeDefined();
      const allowed = await supertest(allow).post('/hook').set(telnyxHeaders(pair.privateKey, body)).set('content-type', 'application/json').send(body);
      expect(allowed.status).toBe(200);

      await redis.start();
      warn.mockRestore();
    });

    it('after Redis comes back, the delivery refused with 503 is accepted on retry (not a 409)', async () => {
      const app = flavours[0]!.create();
      app.post('/hook', telnyxWebhook({ publicKey: pair.publicKeyBase64, store, timeout: 0.5 }), (_req, res) => {
        res.sendStatus(200);
      });
      app.use(jsonErrors);
      await redis.stop();
      const body = telnyxEvent();
      const headers = telnyxHeaders(pair.privateKey, body);
      const refused = await supertest(app).post('/hook').set(headers).set('content-type', 'application/json').send(body);
      expect(refused.status).toBe(503);
      await redis.start();
      await vi.waitFor(async () => expect(await client.ping()).toBe('PONG'), { timeout: 5000, interval: 100 });
      await new Promise((resolve) => setTimeout(resolve, 300)); // queued commands from the outage run now
      const retried = await supertest(app).post('/hook').set(headers).set('content-type', 'application/json').send(body);
      expect(retried.status).toBe(200);
    });
  });

  it('a failing introspection endpoint is not hidden by the store: 503', async () => {
    as.setBehavior('introspection', fault.status(500));
    await expect(introspecting().verify(as.mintOpaque())).rejects.toMatchObject({ status: 503 });
    as.resetBehaviors();
  });
});
