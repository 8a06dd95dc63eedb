/**
 * Two guard instances on a real 3-master Redis Cluster, through node-redis' `createCluster`
 * (6, and 5 and 4 for recognition and the store's contract) and ioredis' `Cluster`: every
 * command names one key and lands on that key's master, so the marks of many deliveries
 * spread over the masters; the shared-state tests hold as on one server; and with one master
 * killed mid-run, replay checks whose key it held answer 503 with Retry-After while the other
 * masters keep deciding, the refused delivery is accepted when retried once the master is
 * back, and no delivery is ever accepted twice.
 */
import supertest from 'supertest';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGuard } from '../../src/index.js';
import { redisStore, type RedisStore } from '../../src/store/redis.js';
import { dpopKey, proof } from '../dpop/support.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { clusterClients, type ConnectedClient } from '../support/redis-clients.js';
import { startRedisCluster, type ClusterNode, type RedisCluster } from '../support/redis-cluster.js';
import { hasRedisServer, requireRedisInCi } from '../support/redis-server.js';
import { flavours } from '../support/webhook-app.js';
import { ed25519Pair } from '../support/webhook-signing.js';
import { delivery, describeSharedState, describeStoreContract, recording, webhookInstance } from './shared-state.js';

const available = hasRedisServer();
requireRedisInCi(available);

/** The clients the whole scenario runs with; the older node-redis majors get the store's contract. */
const FULL = new Set(['node-redis 6 cluster', 'ioredis cluster']);

describe.skipIf(!available)('a 3-master Redis Cluster', () => {
  let cluster: RedisCluster;
  let as: FaultServer;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    as = await startFaultServer();
  });
  afterAll(async () => {
    await cluster?.close();
    await as?.close();
  });

  describe.each(clusterClients)('through $name', (factory) => {
    const prefix = `rg-${factory.name.replace(/\W+/g, '-')}:`;
    let clients: ConnectedClient[] = [];
    let a: RedisStore;
    let b: RedisStore;

    beforeAll(async () => {
      clients = [await factory.connect(cluster), await factory.connect(cluster)];
      [a, b] = clients.map(({ client }) => redisStore(client, { prefix })) as [RedisStore, RedisStore];
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
    });

    /** The master holding a key the store was asked about (`key` without the prefix). */
    const ownerOf = (key: string | undefined) => cluster.ownerOf(prefix + key!);

    it(`is recognised as ${factory.kind}`, () => {
      expect([a.kind, b.kind]).toEqual([factory.kind, factory.kind]);
    });

    it('the marks of 12 deliveries spread over the masters and their slots, each on the master that owns it', async () => {
      const pair = ed25519Pair();
      const marks = recording(a);
      for (let i = 0; i < 12; i++) {
        const flavour = flavours[i % 2]!;
        expect((await delivery(pair).send(webhookInstance(flavour, pair, marks))).status).toBe(200);
      }
      expect(marks.keys).toHaveLength(12);
      const owners = await Promise.all(marks.keys.map(ownerOf));
      const slots = new Set(await Promise.all(marks.keys.map((key) => cluster.slotOf(prefix + key))));
      // Without a hash tag the 12 keys hash to 12 slots (a collision among 16,384 is rare, two are rarer).
      expect(slots.size).toBeGreaterThanOrEqual(10);
      expect(new Set(owners.map((node) => node.port)).size).toBeGreaterThanOrEqual(2);
      for (const [i, key] of marks.keys.entries()) {
        expect(await cluster.keysOn(owners[i]!, prefix + key)).toEqual([prefix + key]);
      }
    });

    if (!FULL.has(factory.name)) {
      describeStoreContract(() => ({ a, b }));
      return;
    }

    describeSharedState(() => ({ a, b, as }));

    it('a master killed mid-run: its replay checks answer 503 + Retry-After, the others keep deciding; the refused delivery passes on retry once it is back; nothing is accepted twice', async () => {
      const pair = ed25519Pair();
      // Instance A runs Express 5, instance B Express 4; each has its own client connection.
      const instances = [
        { marks: recording(a), flavour: flavours[0]! },
        { marks: recording(b), flavour: flavours[1]! },
      ].map(({ marks, flavour }) => ({ marks, app: webhookInstance(flavour, pair, marks) }));
      const accepted = new Map<string, number>();
      type Sent = { readonly body: string; readonly key: string; readonly owner: ClusterNode; readonly first: number };

      /** Sends `d` to instance `i`; counts acceptances; learns the key its mark lives under. */
      const send = async (d: ReturnType<typeof delivery>, i: number): Promise<{ res: supertest.Response; sent: Sent }> => {
        const { marks, app } = instances[i % 2]!;
        const before = marks.keys.length;
        const res = await d.send(app);
        if (res.status === 200) accepted.set(d.body, (accepted.get(d.body) ?? 0) + 1);
        const key = marks.keys[before]!;
        return { res, sent: { body: d.body, key, owner: await ownerOf(key), first: i % 2 } };
      };

      // Before: deliveries until every master holds at least one mark.
      const before: Array<{ d: ReturnType<typeof delivery>; sent: Sent }> = [];
      for (let i = 0; new Set(before.map(({ sent }) => sent.owner.port)).size < 3; i++) {
        expect(i).toBeLessThan(60);
        const d = delivery(pair);
        const { res, sent } = await send(d, i);
        expect(res.status).toBe(200);
        before.push({ d, sent });
      }

      const victim = cluster.nodes[1]!;
      await cluster.kill(victim);
      let refused: { d: ReturnType<typeof delivery>; sent: Sent } | undefined;
      try {
        // Replays go to the other instance: 503 where the mark is out of reach, 409 elsewhere.
        for (const { d, sent } of before) {
          const { res } = await send(d, sent.first + 1);
          if (sent.owner.port === victim.port) {
            expectStoreUnavailable(res);
          } else {
            expect(res.status).toBe(409);
          }
        }
        // New deliveries: accepted where their master lives, refused where it is down.
        for (let i = 0; refused === undefined; i++) {
          expect(i).toBeLessThan(60);
          const d = delivery(pair);
          const { res, sent } = await send(d, i);
          if (sent.owner.port === victim.port) {
            expectStoreUnavailable(res);
            refused = { d, sent };
          } else {
            expect(res.status).toBe(200);
            before.push({ d, sent });
          }
        }
        await expectDpopFailsClosedOn(victim);
      } finally {
        await cluster.restart(victim);
      }

      // A SET NX queued while the master was down may land now; the middleware removes its mark.
      for (const store of [a, b]) {
        await vi.waitFor(async () => expect(await store.get(refused.sent.key)).toBeUndefined(), { timeout: 15_000, interval: 100 });
      }
      // The provider retries the same bytes, here on the other instance: accepted, and only once.
      expect((await send(refused.d, refused.sent.first + 1)).res.status).toBe(200);
      expect((await send(refused.d, refused.sent.first)).res.status).toBe(409);
      // Every delivery accepted so far, replayed to both instances, marks on the restarted master included.
      for (const { d } of before) {
        for (const i of [0, 1]) expect((await send(d, i)).res.status).toBe(409);
      }
      expect(before.some(({ sent }) => sent.owner.port === victim.port)).toBe(true);
      expect(accepted.size).toBe(before.length + 1);
      expect([...accepted.values()].every((count) => count === 1)).toBe(true);
    });

    /** A DPoP proof whose `jti` mark would live on the killed master: 503 with Retry-After, not accepted. */
    async function expectDpopFailsClosedOn(victim: ClusterNode): Promise<void> {
      const key = await dpopKey('ES256');
      const token = as.mintJwt({ claims: { cnf: { jkt: key.jkt }, scope: 'messages:read' } });
      const marks = recording(a);
      const guard = createGuard({ issuer: as.issuer, audience: 'https://api.example.com', store: marks, timeout: 0.5 });
      const app: Express = flavours[0]!.create();
      app.get('/api/messages', guard.requireScopes('messages:read'), (_req, res) => {
        res.sendStatus(200);
      });
      const htu = 'http://api.example.com/api/messages';
      for (let i = 0; ; i++) {
        expect(i).toBeLessThan(60);
        const res = await supertest(app)
          .get('/api/messages')
          .set('host', 'api.example.com')
          .set('authorization', `DPoP ${token}`)
          .set('dpop', await proof(key, { htm: 'GET', htu, token }));
        const owner = await ownerOf(marks.keys.at(-1));
        if (owner.port !== victim.port) {
          expect(res.status).toBe(200);
          continue;
        }
        expect(res.status).toBe(503);
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        return;
      }
    }
  });
});

function expectStoreUnavailable(res: supertest.Response): void {
  expect({ status: res.status, code: res.body.code }).toEqual({ status: 503, code: 'store_unavailable' });
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}
