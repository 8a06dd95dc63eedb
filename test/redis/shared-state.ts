/**
 * What every Redis deployment must give two API instances, registered as tests by
 * {@link describeSharedState} for each client and topology (one server, a cluster, Sentinel):
 * the store's own contract (atomic first sighting, TTLs, binary-safe values, prefixes), then
 * over HTTP on Express 5 and 4: a webhook delivery and a DPoP proof accepted by instance A are
 * refused when replayed to instance B, and an opaque token introspected by A serves B without
 * a second call. Each instance has its own client connection, as separate processes would.
 */
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createGuard } from '../../src/index.js';
import type { Store } from '../../src/store/memory.js';
import type { RedisStore } from '../../src/store/redis.js';
import { telnyxWebhook } from '../../src/webhooks/index.js';
import { dpopKey, expectDpopFailure, proof } from '../dpop/support.js';
import type { FaultServer } from '../support/fault-server.js';
import { flavours, jsonErrors, type ExpressFlavour } from '../support/webhook-app.js';
import { ed25519Pair, telnyxEvent, telnyxHeaders, type Ed25519Pair } from '../support/webhook-signing.js';

/** A store that remembers the keys asked for and the writes started, for tests to wait on or locate. */
export interface RecordingStore extends Store {
  readonly keys: string[];
  /** Every `set` started so far (the introspection cache does not await its write). */
  readonly writes: Array<Promise<void>>;
}

export function recording(store: Store): RecordingStore {
  const keys: string[] = [];
  const writes: Array<Promise<void>> = [];
  return {
    keys,
    writes,
    get: (key) => store.get(key),
    set: (key, value, ttlMs) => {
      keys.push(key);
      const write = store.set(key, value, ttlMs);
      writes.push(write.catch(() => undefined));
      return write;
    },
    setIfAbsent: (key, value, ttlMs) => {
      keys.push(key);
      return store.setIfAbsent(key, value, ttlMs);
    },
    delete: (key) => store.delete(key),
  };
}

/** The two instances' stores and the authorization server, ready when the tests run. */
export interface SharedStateContext {
  readonly a: RedisStore;
  readonly b: RedisStore;
  readonly as: FaultServer;
}

const API = 'https://api.example.com';

/** A Telnyx webhook route on `flavour`, its replay set in `store`. */
export function webhookInstance(flavour: ExpressFlavour, pair: Ed25519Pair, store: Store): Express {
  const app = flavour.create();
  app.post('/hook', telnyxWebhook({ publicKey: pair.publicKeyBase64, store, timeout: 0.5 }), (req, res) => {
    res.json({ id: req.webhook?.id });
  });
  app.use(jsonErrors);
  return app;
}

/** One signed delivery, sent as often as a test likes. */
export function delivery(pair: Ed25519Pair) {
  const body = telnyxEvent();
  const headers = telnyxHeaders(pair.privateKey, body);
  return { body, send: (app: Express) => supertest(app).post('/hook').set(headers).send(body) };
}

/** Registers the store's own contract; `context()` is read when the tests run (after `beforeAll`). */
export function describeStoreContract(context: () => Pick<SharedStateContext, 'a' | 'b'>): void {
  it('stores, reads and sets-if-absent atomically across two connections, with TTLs', async () => {
    const { a, b } = context();
    await a.set('k', 'v', 10_000);
    expect(await b.get('k')).toBe('v');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).setIfAbsent('once', String(i), 10_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    await a.set('short', 'v', 50);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await b.get('short')).toBeUndefined();
    expect(await b.setIfAbsent('short', 'again', 10_000)).toBe(true);
    await b.delete('k');
    expect(await a.get('k')).toBeUndefined();
    expect(await a.get('never-set')).toBeUndefined();
  });

  it('keys and values are binary-safe: CRLF, RESP syntax, Unicode, hash tags and 256 KiB pass through unchanged', async () => {
    const { a, b } = context();
    await a.set('bystander', 'intact', 10_000);
    const hostile = [
      'line\r\nbreak',
      '*1\r\n$8\r\nFLUSHALL\r\n',
      '"quoted" \\ back\\slash \0 nul',
      'ünï©ødé 😀',
      'x'.repeat(256 * 1024),
    ];
    for (const [i, value] of hostile.entries()) {
      const key = `hostile:${i}:{tag}\r\n${value.slice(0, 40)}`;
      await a.set(key, value, 10_000);
      expect(await b.get(key)).toBe(value);
      expect(await b.setIfAbsent(key, 'other', 10_000)).toBe(false);
      await b.delete(key);
      expect(await a.get(key)).toBeUndefined();
    }
    expect(await b.get('bystander')).toBe('intact');
  });
}

/** Registers the store's contract and the two-instance tests over HTTP on Express 5 and 4. */
export function describeSharedState(context: () => SharedStateContext): void {
  describeStoreContract(context);

  describe.each(flavours)('on $name', (flavour) => {
    const pair = ed25519Pair();

    it('a webhook delivery accepted by instance A and replayed to instance B is 409; a new one passes on B', async () => {
      const { a, b } = context();
      const first = delivery(pair);
      expect((await first.send(webhookInstance(flavour, pair, a))).status).toBe(200);
      const replay = await first.send(webhookInstance(flavour, pair, b));
      expect(replay.status).toBe(409);
      expect(replay.body.code).toBe('replayed');
      expect((await delivery(pair).send(webhookInstance(flavour, pair, b))).status).toBe(200);
    });

    it('a DPoP proof accepted by instance A and replayed to instance B is 401 invalid_dpop_proof', async () => {
      const { a, b, as } = context();
      const key = await dpopKey('ES256');
      const token = as.mintJwt({ claims: { cnf: { jkt: key.jkt }, scope: 'messages:read' } });
      const instance = (store: Store) => {
        const guard = createGuard({ issuer: as.issuer, audience: API, store, timeout: 0.5 });
        const app = flavour.create();
        app.get('/api/messages', guard.requireScopes('messages:read'), (req, res) => {
          res.json({ scheme: req.auth?.scheme });
        });
        return app;
      };
      // Both instances sit behind one public name, as behind a load balancer: htu names it.
      const htu = 'http://api.example.com/api/messages';
      const call = (app: Express, dpop: string) =>
        supertest(app).get('/api/messages').set('host', 'api.example.com').set('authorization', `DPoP ${token}`).set('dpop', dpop);
      const used = await proof(key, { htm: 'GET', htu, token });
      const accepted = await call(instance(a), used);
      expect(accepted.status).toBe(200);
      expect(accepted.body.scheme).toBe('DPoP');
      expectDpopFailure(await call(instance(b), used), 'invalid_dpop_proof', /replay/);
      expect((await call(instance(b), await proof(key, { htm: 'GET', htu, token }))).status).toBe(200);
    });

    it('an opaque token introspected by instance A is answered on instance B without a second call', async () => {
      const { a, b, as } = context();
      const shared = recording(a);
      const instance = (store: Store) => {
        const guard = createGuard({
          issuer: as.issuer,
          audience: API,
          introspection: { clientId: 'resource-server', clientSecret: 'resource-server-secret' },
          store,
          timeout: 0.5,
        });
        const app = flavour.create();
        app.get('/api/messages', guard.requireScopes('messages:read'), (req, res) => {
          res.json({ tokenType: req.auth?.tokenType, scopes: req.auth?.scopes });
        });
        return app;
      };
      const token = as.mintOpaque({ scope: 'messages:read' });
      const call = (app: Express) => supertest(app).get('/api/messages').set('authorization', `Bearer ${token}`);
      as.resetCounts();
      expect((await call(instance(shared))).body).toEqual({ tokenType: 'opaque', scopes: ['messages:read'] });
      await Promise.all(shared.writes); // A shares its answer without making the request wait for Redis
      expect(shared.writes).toHaveLength(1);
      const onB = await call(instance(b));
      expect(onB.status).toBe(200);
      expect(onB.body).toEqual({ tokenType: 'opaque', scopes: ['messages:read'] });
      expect(as.count('introspection')).toBe(1);
    });
  });
}
