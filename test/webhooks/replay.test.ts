import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { memoryStore, type Store } from '../../src/store/memory.js';
import { standardWebhook, telnyxWebhook } from '../../src/webhooks/index.js';
import { echo, flavours, jsonErrors, webhookApp, type ExpressFlavour } from '../support/webhook-app.js';
import {
  ed25519Pair,
  nowSeconds,
  signV1,
  standardHeaders,
  telnyxEvent,
  telnyxHeaders,
} from '../support/webhook-signing.js';

const PATH = '/webhooks';
const secret = `whsec_${randomBytes(32).toString('base64')}`;

/** One signed Standard Webhooks delivery: the exact headers and body to send, as often as needed. */
function delivery(id = `msg_${randomBytes(8).toString('hex')}`, ts = nowSeconds()) {
  const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1' } });
  return { id, ts, body, headers: standardHeaders(id, ts, signV1(secret, id, ts, body)) };
}

/** A store whose failures and delays the test controls, over a real memoryStore. */
function flakyStore() {
  const inner = memoryStore();
  const state = { failing: false, delayMs: 0, ttls: [] as number[] };
  const store: Store & { state: typeof state; inner: typeof inner } = {
    state,
    inner,
    get: (key) => inner.get(key),
    set: (key, value, ttl) => inner.set(key, value, ttl),
    delete: (key) => inner.delete(key),
    async setIfAbsent(key, value, ttlMs) {
      state.ttls.push(ttlMs);
      if (state.failing) throw new Error('store down');
      if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
      return inner.setIfAbsent(key, value, ttlMs);
    },
  };
  return store;
}

function app(flavour: ExpressFlavour, middleware: RequestHandler, handler: RequestHandler = echo) {
  const server = flavour.create();
  server.post(PATH, middleware, handler);
  server.use(jsonErrors);
  return server;
}

describe.each(flavours)('replay protection on $name', (flavour) => {
  it('refuses the same Standard Webhooks delivery a second time with 409', async () => {
    const server = app(flavour, standardWebhook({ secret }));
    const d = delivery();
    expect((await request(server).post(PATH).set(d.headers).send(d.body)).status).toBe(200);
    const again = await request(server).post(PATH).set(d.headers).send(d.body);
    expect([again.status, again.body.code]).toEqual([409, 'replayed']);
  });

  it('refuses the same Telnyx delivery a second time with 409', async () => {
    const pair = ed25519Pair();
    const server = webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 }));
    const body = telnyxEvent();
    const headers = telnyxHeaders(pair.privateKey, body);
    expect((await request(server).post(PATH).set(headers).send(body)).status).toBe(200);
    const again = await request(server).post(PATH).set(headers).send(body);
    expect([again.status, again.body.code]).toEqual([409, 'replayed']);
  });

  it('lets exactly one of two simultaneous copies through', async () => {
    const server = app(flavour, standardWebhook({ secret }));
    const d = delivery();
    const answers = await Promise.all([0, 1, 2].map(() => request(server).post(PATH).set(d.headers).send(d.body)));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409, 409]);
  });

  it('still refuses a replay whose signature header gained an extra signature', async () => {
    const server = app(flavour, standardWebhook({ secret }));
    const d = delivery();
    expect((await request(server).post(PATH).set(d.headers).send(d.body)).status).toBe(200);
    const padded = {
      ...d.headers,
      'webhook-signature': `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ${d.headers['webhook-signature']}`,
    };
    const again = await request(server).post(PATH).set(padded).send(d.body);
    expect([again.status, again.body.code]).toEqual([409, 'replayed']);
  });

  it('passes a provider retry (same id, new timestamp and signature) and exposes the shared id', async () => {
    const server = app(flavour, standardWebhook({ secret }));
    const first = delivery('msg_retry_1', nowSeconds() - 5);
    const retry = delivery('msg_retry_1', nowSeconds());
    const a = await request(server).post(PATH).set(first.headers).send(first.body);
    const b = await request(server).post(PATH).set(retry.headers).send(retry.body);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.body.webhook.id, b.body.webhook.id]).toEqual(['msg_retry_1', 'msg_retry_1']);
  });

  it("passes a replay with req.webhook.duplicate = true under onReplay: 'allow'", async () => {
    const server = app(flavour, standardWebhook({ secret, onReplay: 'allow' }));
    const d = delivery();
    const a = await request(server).post(PATH).set(d.headers).send(d.body);
    const b = await request(server).post(PATH).set(d.headers).send(d.body);
    expect([a.status, a.body.webhook.duplicate]).toEqual([200, false]);
    expect([b.status, b.body.webhook.duplicate]).toEqual([200, true]);
  });

  it('detects a replay sent to another instance sharing the store', async () => {
    const store = memoryStore();
    const one = app(flavour, standardWebhook({ secret, store }));
    const two = app(flavour, standardWebhook({ secret, store }));
    const d = delivery();
    expect((await request(one).post(PATH).set(d.headers).send(d.body)).status).toBe(200);
    expect((await request(two).post(PATH).set(d.headers).send(d.body)).status).toBe(409);
  });

  it('keeps a mark only while the delivery could still pass the timestamp check', async () => {
    const store = flakyStore();
    const server = app(flavour, standardWebhook({ secret, store, tolerance: 300 }));
    const d = delivery(undefined, nowSeconds() - 200);
    expect((await request(server).post(PATH).set(d.headers).send(d.body)).status).toBe(200);
    const [ttl] = store.state.ttls;
    expect(ttl).toBeGreaterThanOrEqual(99_000);
    expect(ttl).toBeLessThanOrEqual(102_000);
  });

  describe('store failures', () => {
    it("answers 503 with Retry-After under the default onStoreError: 'deny', and does not remember the delivery", async () => {
      const store = flakyStore();
      const server = app(flavour, standardWebhook({ secret, store }));
      const d = delivery();
      store.state.failing = true;
      const refused = await request(server).post(PATH).set(d.headers).send(d.body);
      expect([refused.status, refused.body.code, refused.headers['retry-after']]).toEqual([503, 'store_unavailable', '5']);
      store.state.failing = false;
      // The provider's identical retry after the outage is accepted, not taken for a replay.
      expect((await request(server).post(PATH).set(d.headers).send(d.body)).status).toBe(200);
    });

    it('answers 503 with Retry-After through Express’s own error handler', async () => {
      const store = flakyStore();
      store.state.failing = true;
      const server = flavour.create();
      server.post(PATH, standardWebhook({ secret, store }), echo);
      const d = delivery();
      const res = await request(server).post(PATH).set(d.headers).send(d.body);
      expect([res.status, res.headers['retry-after']]).toEqual([503, '5']);
    });

    it('answers 503 when the store is slower than `timeout`, and undoes the late write', async () => {
      const store = flakyStore();
      const server = app(flavour, standardWebhook({ secret, store, timeout: 0.05 }));
      const d = delivery();
      store.state.delayMs = 150;
      const refused = await request(server).post(PATH).set(d.headers).send(d.body);
      expect([refused.status, refused.body.code]).toEqual([503, 'store_unavailable']);
      // Let the queued write land, and its clean-up run after it.
      await new Promise((r) => setTimeout(r, 250));
      expect(store.inner.size).toBe(0);
      store.state.delayMs = 0;
      expect((await request(server).post(PATH).set(d.headers).send(d.body)).status).toBe(200);
    });

    it("accepts the delivery unchecked under onStoreError: 'allow'", async () => {
      const store = flakyStore();
      store.state.failing = true;
      const server = app(flavour, standardWebhook({ secret, store, onStoreError: 'allow' }));
      const d = delivery();
      const res = await request(server).post(PATH).set(d.headers).send(d.body);
      expect([res.status, res.body.webhook.duplicate]).toEqual([200, false]);
    });

    it('applies to telnyxWebhook too', async () => {
      const pair = ed25519Pair();
      const store = flakyStore();
      store.state.failing = true;
      const server = webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64, store }));
      const body = telnyxEvent();
      const res = await request(server).post(PATH).set(telnyxHeaders(pair.privateKey, body)).send(body);
      expect([res.status, res.body.code]).toEqual([503, 'store_unavailable']);
    });
  });

  describe('when the app fails the delivery', () => {
    it('keeps the mark after a 5xx answer: the handler ran, so the same signed bytes are a replay (issue 17, finding 13)', async () => {
      let calls = 0;
      const server = app(flavour, standardWebhook({ secret }), (_req, res) => {
        calls += 1;
        res.sendStatus(calls === 1 ? 500 : 204);
      });
      const d = delivery();
      expect((await request(server).post(PATH).set(d.headers).send(d.body)).status).toBe(500);
      await new Promise((r) => setTimeout(r, 20));
      const again = await request(server).post(PATH).set(d.headers).send(d.body);
      expect([again.status, again.body.code, calls]).toEqual([409, 'replayed', 1]);
    });

    it('keeps the mark after a 4xx answer', async () => {
      const server = app(flavour, standardWebhook({ secret }), (_req, res) => {
        res.sendStatus(422);
      });
      const d = delivery();
      expect((await request(server).post(PATH).set(d.headers).send(d.body)).status).toBe(422);
      await new Promise((r) => setTimeout(r, 20));
      const again = await request(server).post(PATH).set(d.headers).send(d.body);
      expect([again.status, again.body.code]).toEqual([409, 'replayed']);
    });
  });
});
