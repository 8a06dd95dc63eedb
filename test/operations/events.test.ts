/**
 * The `resource-guard:*` diagnostics channels, subscribed to by name: which events a scenario
 * publishes (accept, reject, JWKS rotation, stale keys, introspection hit/miss/join,
 * webhooks), what they carry, and that no field ever holds a token or a secret.
 */
import express from 'express';
import supertest from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGuard, type Guard, type GuardOptions } from '../../src/index.js';
import { standardWebhook } from '../../src/webhooks/index.js';
import { recordEvents, findLeaks, type EventRecorder } from '../support/events.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { get, guardedApp, flavours } from '../support/guard-app.js';
import { jsonErrors } from '../support/webhook-app.js';
import { nowSeconds, signV1, standardHeaders } from '../support/webhook-signing.js';

const audience = 'https://api.example.com';
const clientSecret = 'resource-server-secret-do-not-log';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

let as: FaultServer;
let events: EventRecorder;
/** Every token and secret a scenario used; checked against all events after each test. */
let secrets: string[];

beforeEach(async () => {
  as = await startFaultServer({ introspectionClient: { id: 'resource-server', secret: clientSecret } });
  events = recordEvents();
  secrets = [clientSecret, Buffer.from(as.keys.hmacSecret).toString('base64url')];
});
afterEach(async () => {
  events.stop();
  expect(findLeaks(events.all, secrets)).toEqual([]);
  await as.close();
});

const guardFor = (options: Partial<GuardOptions> = {}): Guard =>
  createGuard({ issuer: as.issuer, audience, ...options });
const mint = (...args: Parameters<FaultServer['mintJwt']>) => {
  const token = as.mintJwt(...args);
  const signature = token.split('.')[2]!;
  secrets.push(token, ...(signature.length >= 16 ? [signature] : []));
  return token;
};
const mintOpaque = (...args: Parameters<FaultServer['mintOpaque']>) => {
  const token = as.mintOpaque(...args);
  secrets.push(token);
  return token;
};

describe('token accepted / rejected', () => {
  it('a good token: metadata and JWKS fetched, then accepted; the second time from the cache', async () => {
    const guard = guardFor();
    const token = mint();
    await guard.verify(token);
    await guard.verify(token);

    const [metadata] = events.of('resource-guard:metadata:fetch');
    expect(metadata).toMatchObject({ issuer: as.issuer, outcome: 'ok', status: 200, url: as.endpoints.metadata, background: false });
    expect(metadata!.maxAge).toBe(600);
    const [jwks] = events.of('resource-guard:jwks:fetch');
    expect(jwks).toMatchObject({ issuer: as.issuer, outcome: 'ok', status: 200, url: as.endpoints.jwks, error: undefined });
    expect(jwks!.kids).toEqual(as.keys.keys.map((k) => k.kid));

    const accepted = events.of('resource-guard:token:accepted');
    expect(accepted).toEqual([
      { issuer: as.issuer, tokenType: 'jwt', scheme: 'Bearer', clientId: 'fault-client', cached: false, duration: expect.any(Number) },
      { issuer: as.issuer, tokenType: 'jwt', scheme: 'Bearer', clientId: 'fault-client', cached: true, duration: expect.any(Number) },
    ]);
    expect(accepted[0]!.duration).toBeGreaterThan(0);
    expect(events.of('resource-guard:token:rejected')).toEqual([]);
  });

  it('each refusal carries its code, a stable reason, the full description and a trusted issuer only', async () => {
    const guard = guardFor({ cooldown: 30 });
    await guard.verify(mint());
    events.clear();
    const cases: Array<[string, string]> = [
      [mint({ expiresIn: -60 }), 'expired'],
      [mint({ claims: { aud: 'https://other.example.com' } }), 'audience'],
      [mint({ kid: 'no-such-kid' }), 'unknown_key'],
      [mint({ claims: { iss: 'https://evil.example.com' } }), 'issuer'],
      [mint({ header: { typ: 'dpop+jwt' } }), 'type'],
      [mint({ alg: 'none' }), 'algorithm'],
      [`${mint().slice(0, -4)}AAAA`, 'signature'],
      ['opaque-token-without-introspection', 'not_verifiable'],
    ];
    for (const [token] of cases) await failure(guard.verify(token));
    const rejected = events.of('resource-guard:token:rejected');
    expect(rejected.map((e) => e.reason)).toEqual(cases.map(([, reason]) => reason));
    for (const event of rejected) {
      expect(event).toMatchObject({ status: 401, code: 'invalid_token', scheme: 'Bearer' });
      expect(event.description).toEqual(expect.any(String));
      expect(event.duration).toEqual(expect.any(Number));
    }
    expect(rejected[0]).toMatchObject({ issuer: as.issuer, tokenType: 'jwt', description: expect.stringMatching(/^token expired \d+ s ago$/) });
    expect(rejected[2]!.description).toMatch(/not found/);
    // An untrusted iss is attacker-chosen text: never a label.
    expect(rejected[3]).toMatchObject({ issuer: undefined, tokenType: 'jwt' });
    expect(rejected[7]).toMatchObject({ issuer: undefined, tokenType: 'opaque' });
    expect(events.of('resource-guard:token:accepted')).toEqual([]);
  });

  it.each(flavours)('over Express ($name): missing and malformed credentials, cached hits, and 403s', async (flavour) => {
    const guard = guardFor();
    const app = guardedApp(flavour, guard);
    const token = mint();
    const readOnly = mint({ claims: { scope: 'messages:read' } });
    await get(app, '/api/messages').expect(401);
    await supertest(app).get('/api/messages').set('Authorization', 'Bearer ').expect(400);
    await get(app, '/api/messages', token).expect(200);
    await get(app, '/api/messages', token).expect(200);
    await supertest(app).post('/api/messages').set('Authorization', `Bearer ${readOnly}`).expect(403);
    await get(app, '/me').expect(200); // optional: no token is not a refusal

    const rejected = events.of('resource-guard:token:rejected');
    expect(rejected).toEqual([
      expect.objectContaining({ status: 401, code: 'missing_token', reason: 'missing', tokenType: undefined, issuer: undefined }),
      expect.objectContaining({ status: 400, code: 'invalid_request', reason: 'malformed_request', tokenType: undefined }),
    ]);
    expect(events.of('resource-guard:token:accepted').map((e) => e.cached)).toEqual([false, true, false]);
    expect(events.of('resource-guard:authorization:denied')).toEqual([
      {
        status: 403,
        code: 'insufficient_scope',
        description: expect.stringContaining('messages:write'),
        issuer: as.issuer,
        tokenType: 'jwt',
        clientId: 'fault-client',
        required: ['messages:write', 'messages:read'],
      },
    ]);
  });

  it('an authorization server that cannot be reached: 503 reason unavailable, fetch failed', async () => {
    as.setBehavior('jwks', fault.down);
    const guard = guardFor();
    await failure(guard.verify(mint()));
    expect(events.of('resource-guard:token:rejected')).toEqual([
      expect.objectContaining({ status: 503, code: 'temporarily_unavailable', reason: 'unavailable', issuer: as.issuer }),
    ]);
    expect(events.of('resource-guard:jwks:fetch')).toEqual([
      expect.objectContaining({ outcome: 'failed', url: as.endpoints.jwks, status: undefined, error: expect.stringContaining(as.endpoints.jwks) }),
    ]);
  });

  it('a wrong issuer in the metadata: 500 reason configuration, metadata fetch failed naming both', async () => {
    const issuer = as.issuer;
    const guard = guardFor();
    const token = mint();
    as.setIssuer('https://elsewhere.example.com');
    await failure(guard.verify(token));
    const [metadata] = events.of('resource-guard:metadata:fetch');
    expect(metadata).toMatchObject({ outcome: 'failed', issuer });
    expect(metadata!.error).toMatch(/issuer mismatch.*elsewhere\.example\.com/);
    expect(events.of('resource-guard:token:rejected')[0]).toMatchObject({ status: 500, code: 'server_error', reason: 'configuration' });
  });
});

describe('JWKS', () => {
  it('rotation: the refetch for a new kid is an event with the new key ids', async () => {
    const guard = guardFor({ cooldown: 0.05, tokenCache: false });
    await guard.verify(mint());
    const before = as.keys.keys.map((k) => k.kid);
    const [rotated] = await as.rotateKeys({ keepOld: false, algs: ['ES256'] });
    await sleep(80);
    await guard.verify(mint({ alg: 'ES256' }));
    const fetches = events.of('resource-guard:jwks:fetch');
    expect(fetches).toHaveLength(2);
    expect(fetches[0]!.kids).toEqual(before);
    expect(fetches[1]).toMatchObject({ outcome: 'ok', kids: [rotated!.kid] });
    expect(events.of('resource-guard:token:accepted')).toHaveLength(2);
  });

  it('stale serving: a failed refresh publishes the failure and each stale use, with the age', async () => {
    const guard = guardFor({ cooldown: 0.05, jwksMaxAge: 0.1, tokenCache: false });
    const token = mint();
    await guard.verify(token);
    as.setBehavior('jwks', fault.status(503));
    await sleep(150);
    await guard.verify(token);
    const fetches = events.of('resource-guard:jwks:fetch');
    expect(fetches.map((e) => e.outcome)).toEqual(['ok', 'failed']);
    expect(fetches[1]!.error).toMatch(/answered 503/);
    const stale = events.of('resource-guard:jwks:stale');
    expect(stale).toEqual([{ issuer: as.issuer, age: expect.any(Number), error: expect.stringMatching(/answered 503/) }]);
    expect(stale[0]!.age).toBeGreaterThanOrEqual(0.1);
    expect(events.of('resource-guard:token:accepted')).toHaveLength(2);
  });

  it('the whole server down: metadata and keys both served stale, each with its event', async () => {
    const guard = guardFor({ cooldown: 0.05, jwksMaxAge: 0.1, tokenCache: false });
    const token = mint();
    await guard.verify(token);
    await as.stopListening();
    await sleep(150);
    await guard.verify(token);
    expect(events.of('resource-guard:metadata:fetch').map((e) => e.outcome)).toEqual(['ok', 'failed']);
    expect(events.of('resource-guard:metadata:stale')).toEqual([{ issuer: as.issuer, age: expect.any(Number), error: expect.stringMatching(/ECONNREFUSED/) }]);
    expect(events.of('resource-guard:jwks:fetch').map((e) => e.outcome)).toEqual(['ok', 'failed']);
    expect(events.of('resource-guard:jwks:stale')).toHaveLength(1);
    expect(events.of('resource-guard:token:accepted')).toHaveLength(2);
    await as.resume();
  });

  it('a 304 revalidation is a not-modified fetch', async () => {
    as.setCache('jwks', { etag: true, cacheControl: 'max-age=0' });
    const guard = guardFor({ cooldown: 0.05, jwksMaxAge: 5, tokenCache: false });
    await guard.verify(mint());
    await sleep(80);
    await guard.verify(mint());
    expect(events.of('resource-guard:jwks:fetch').map((e) => [e.outcome, e.status, e.maxAge])).toEqual([
      ['ok', 200, 0.05],
      ['not-modified', 304, 0.05],
    ]);
  });
});

describe('introspection', () => {
  const introspection = { clientId: 'resource-server', clientSecret };

  it.each(flavours)('over Express ($name): answers from the caches are reported like first decisions', async (flavour) => {
    const guard = guardFor({ introspection });
    const app = flavour.create();
    app.get('/billing', guard.authenticate({ audience: 'https://billing.example.com' }), (req, res) => res.json(req.auth));
    app.get('/api', guard.authenticate(), (req, res) => res.json(req.auth));
    const token = mint();
    const forged = `${mint().slice(0, -4)}AAAA`;
    const opaque = mintOpaque();
    for (let i = 0; i < 2; i++) {
      await get(app, '/api', forged).expect(401);
      await get(app, '/api', token).expect(200);
      await get(app, '/billing', token).expect(401); // cached for every audience, refused for this one
      await get(app, '/api', opaque).expect(200);
    }
    const rejected = events.of('resource-guard:token:rejected');
    expect(rejected.map((e) => [e.reason, e.tokenType])).toEqual([
      ['signature', 'jwt'],
      ['audience', 'jwt'],
      ['signature', 'jwt'],
      ['audience', 'jwt'],
    ]);
    expect(events.of('resource-guard:token:accepted').map((e) => [e.tokenType, e.cached])).toEqual([
      ['jwt', false],
      ['opaque', false],
      ['jwt', true],
      ['opaque', true],
    ]);
    expect(events.of('resource-guard:introspection').map((e) => e.outcome)).toEqual(['ok', 'cache-hit']);
    expect(as.count('introspection')).toBe(1);
  });

  it('a warm opaque token: every hit shares one frozen AuthInfo', async () => {
    const guard = guardFor({ introspection });
    const token = mintOpaque();
    const first = await guard.verify(token);
    expect(await guard.verify(token)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.claims)).toBe(true);
    expect(as.count('introspection')).toBe(1);
  });

  it('miss (one call for concurrent requests, the rest joined), then cache hits', async () => {
    const guard = guardFor({ introspection });
    const token = mintOpaque();
    await Promise.all(Array.from({ length: 5 }, () => guard.verify(token)));
    await guard.verify(token);
    const outcomes = events.of('resource-guard:introspection');
    expect(outcomes.filter((e) => e.outcome === 'ok')).toEqual([
      { outcome: 'ok', endpoint: as.endpoints.introspection, active: true, error: undefined, duration: expect.any(Number) },
    ]);
    expect(outcomes.filter((e) => e.outcome === 'joined')).toHaveLength(4);
    expect(outcomes.filter((e) => e.outcome === 'cache-hit')).toEqual([
      { outcome: 'cache-hit', endpoint: undefined, active: true, error: undefined, duration: 0 },
    ]);
    expect(as.count('introspection')).toBe(1);
    expect(events.of('resource-guard:token:accepted').map((e) => e.tokenType)).toEqual(Array(6).fill('opaque'));
  });

  it('an inactive token is an ok call with active: false, then a rejection "inactive"', async () => {
    const guard = guardFor({ introspection });
    const token = mintOpaque();
    as.revoke(token);
    await failure(guard.verify(token));
    expect(events.of('resource-guard:introspection')).toEqual([expect.objectContaining({ outcome: 'ok', active: false })]);
    expect(events.of('resource-guard:token:rejected')).toEqual([
      expect.objectContaining({ status: 401, reason: 'inactive', tokenType: 'opaque' }),
    ]);
  });

  it('a failing endpoint is a failed call and a 503', async () => {
    as.setBehavior('introspection', fault.status(500));
    const guard = guardFor({ introspection });
    await failure(guard.verify(mintOpaque()));
    expect(events.of('resource-guard:introspection')).toEqual([
      expect.objectContaining({ outcome: 'failed', endpoint: as.endpoints.introspection, error: 'introspection endpoint answered 500' }),
    ]);
    expect(events.of('resource-guard:token:rejected')[0]).toMatchObject({ status: 503, reason: 'unavailable' });
  });
});

describe('webhooks', () => {
  const secret = `whsec_${Buffer.from('a webhook secret of 32 bytes....').toString('base64')}`;

  it('verified and rejected deliveries: scheme, id, code; never the body, signature or secret', async () => {
    const app = express();
    app.post('/hook', standardWebhook({ secret }), (_req, res) => void res.sendStatus(204));
    app.use(jsonErrors);
    const body = JSON.stringify({ type: 'invoice.paid', card: 'private-payload-4242' });
    const timestamp = nowSeconds();
    const signature = signV1(secret, 'msg_1', timestamp, body);
    secrets.push(secret, signature.slice(3), 'private-payload-4242');

    await supertest(app).post('/hook').set(standardHeaders('msg_1', timestamp, signature)).send(body).expect(204);
    await supertest(app).post('/hook').set(standardHeaders('msg_1', timestamp, signature)).send(body).expect(409);
    await supertest(app).post('/hook').set(standardHeaders('msg_2', timestamp, signature)).send(body).expect(401);

    expect(events.of('resource-guard:webhook:verified')).toEqual([
      { scheme: 'standard', id: 'msg_1', duplicate: false, duration: expect.any(Number) },
    ]);
    expect(events.of('resource-guard:webhook:rejected')).toEqual([
      expect.objectContaining({ scheme: 'standard', status: 409, code: 'replayed' }),
      expect.objectContaining({ scheme: 'standard', status: 401, code: 'invalid_signature' }),
    ]);
  });
});

