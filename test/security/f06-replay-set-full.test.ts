/**
 * Finding 6: webhook replay marks were evicted. The default in-memory store held 10,000
 * entries, least recently used first: 10,000 newer deliveries inside the 300 s window pushed
 * out a captured delivery's mark, and its replay was accepted. The DPoP `jti` set had the same
 * flaw, and so had a `memoryStore` shared by the introspection cache and a replay set (a
 * flood of cached answers evicted marks).
 *
 * Now an unexpired replay mark is never dropped to make room: cached answers give way to it,
 * and when the budget holds nothing but marks a new delivery or proof is refused with 503 and
 * `Retry-After` (the provider retries; the client makes a new proof), and the process warns
 * once with the sizing advice.
 */
import { randomBytes } from 'node:crypto';
import type { Express, RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, memoryStore } from '../../src/index.js';
import { standardWebhook } from '../../src/webhooks/index.js';
import { dpopKey, proof, type DpopKey } from '../dpop/support.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { jsonErrors } from '../support/webhook-app.js';
import { nowSeconds, signV1, standardHeaders } from '../support/webhook-signing.js';
import { listen, outcome, warningsDuring, type Listening } from './support.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const audience = 'https://api.example.com';

/** One signed Standard Webhooks delivery, to send as often as needed. */
function delivery(n: number) {
  const id = `msg_${n}_${randomBytes(4).toString('hex')}`;
  const ts = nowSeconds();
  const body = JSON.stringify({ type: 'invoice.paid', data: { n } });
  return { body, headers: standardHeaders(id, ts, signV1(secret, id, ts, body)) };
}

let fault: FaultServer;
beforeAll(async () => {
  fault = await startFaultServer({ audience });
});
afterAll(() => fault?.close());

describe.each(flavours)('$name', (flavour) => {
  // The default store is a memoryStore() of 10,000 entries; 10,000 deliveries over HTTP take
  // too long on a shared machine, so the HTTP attack runs on the same kind of store, smaller
  // (test/unit/store/memory.test.ts floods the default bounds directly).
  describe('webhook deliveries', () => {
    const handled: number[] = [];
    let api: Listening;
    beforeAll(async () => {
      const app: Express = flavour.create();
      const record: RequestHandler = (req, res) => {
        handled.push((req.body as { data: { n: number } }).data.n);
        res.sendStatus(204);
      };
      app.post('/webhooks', standardWebhook({ secret, store: memoryStore({ maxEntries: 100 }) }), record);
      app.use(jsonErrors);
      api = await listen(app);
    });
    afterAll(() => api?.close());

    const post = (d: ReturnType<typeof delivery>) =>
      fetch(`${api.origin}/webhooks`, { method: 'POST', headers: d.headers, body: d.body });

    it('the attack: a captured delivery stays a replay after a store-full of newer ones; new ones get 503 + Retry-After', async () => {
      const captured = delivery(0);
      expect((await post(captured)).status).toBe(204);
      const statuses = new Map<number, number>();
      const full = await warningsDuring('RESOURCE_GUARD_REPLAY_SET_FULL', async () => {
        for (let n = 1; n <= 100; n++) {
          const res = await post(delivery(n));
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      });
      // 99 fill the set next to the captured mark; the last is refused instead of evicting one.
      expect(Object.fromEntries(statuses)).toEqual({ 204: 99, 503: 1 });
      const replay = await post(captured);
      expect([replay.status, ((await replay.json()) as { code: string }).code]).toEqual([409, 'replayed']);

      const refused = await post(delivery(101));
      expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([503, 'store_unavailable']);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(handled.filter((n) => n === 0)).toHaveLength(1);
      expect(handled).not.toContain(100);
      expect(handled).not.toContain(101);
      expect(full).toHaveLength(1);
      expect(full[0]!.message).toMatch(/maxEntries/);
    });
  });

  it("a full set is refused under onStoreError: 'allow' too: it is a bound, not an outage", async () => {
    const app: Express = flavour.create();
    app.post('/webhooks', standardWebhook({ secret, store: memoryStore({ maxEntries: 2 }), onStoreError: 'allow' }), (_req, res) => {
      res.sendStatus(204);
    });
    app.use(jsonErrors);
    const api = await listen(app);
    try {
      const post = (d: ReturnType<typeof delivery>) => fetch(`${api.origin}/webhooks`, { method: 'POST', headers: d.headers, body: d.body });
      const captured = delivery(1);
      const statuses = [];
      for (const d of [captured, delivery(2), delivery(3)]) statuses.push((await post(d)).status);
      statuses.push((await post(captured)).status);
      expect(statuses).toEqual([204, 204, 503, 409]);
    } finally {
      await api.close();
    }
  });

  describe('DPoP jti set', () => {
    let key: DpopKey;
    let token: string;
    beforeAll(async () => {
      key = await dpopKey('ES256');
      token = fault.mintJwt({ claims: { cnf: { jkt: key.jkt } } });
    });

    const start = async (store: ReturnType<typeof memoryStore>) => {
      const guard = createGuard({
        issuer: fault.issuer,
        audience,
        store,
        introspection: { clientId: 'resource-server', clientSecret: 'resource-server-secret' },
      });
      const app = flavour.create();
      app.get('/api/data', guard.authenticate(), (req, res) => {
        res.json({ scheme: req.auth?.scheme });
      });
      return listen(app);
    };
    const dpopGet = (api: Listening, dpop: string) =>
      fetch(`${api.origin}/api/data`, { headers: { authorization: `DPoP ${token}`, dpop } });
    const fresh = (api: Listening) => proof(key, { htm: 'GET', htu: `${api.origin}/api/data`, token });
    const replies = (res: Response) => outcome({ status: res.status, headers: Object.fromEntries(res.headers) });

    it('a spent proof stays spent when the set is full: new proofs get 503 + Retry-After, never an eviction', async () => {
      const api = await start(memoryStore({ maxEntries: 20 }));
      try {
        const spent = await fresh(api);
        expect((await dpopGet(api, spent)).status).toBe(200);
        const full = await warningsDuring('RESOURCE_GUARD_REPLAY_SET_FULL', async () => {
          for (let i = 0; i < 19; i++) expect((await dpopGet(api, await fresh(api))).status).toBe(200);
          const refused = await dpopGet(api, await fresh(api));
          expect(refused.status).toBe(503);
          expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
          expect((await dpopGet(api, await fresh(api))).status).toBe(503);
        });
        expect(replies(await dpopGet(api, spent))).toEqual([401, 'invalid_dpop_proof']);
        expect(full).toHaveLength(1);
        expect(full[0]!.message).toMatch(/DPoP/);
      } finally {
        await api.close();
      }
    });

    it('introspection answers sharing the store never push out a jti mark', async () => {
      const api = await start(memoryStore({ maxEntries: 10 }));
      try {
        const spent = await fresh(api);
        expect((await dpopGet(api, spent)).status).toBe(200);
        for (let i = 0; i < 30; i++) {
          const opaque = fault.mintOpaque();
          const res = await fetch(`${api.origin}/api/data`, { headers: { authorization: `Bearer ${opaque}` } });
          expect(res.status).toBe(200);
        }
        expect(replies(await dpopGet(api, spent))).toEqual([401, 'invalid_dpop_proof']);
        // The cache kept working in the room the marks leave.
        expect((await dpopGet(api, await fresh(api))).status).toBe(200);
      } finally {
        await api.close();
      }
    });
  });
});
