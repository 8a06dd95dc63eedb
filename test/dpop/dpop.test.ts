/**
 * DPoP (RFC 9449) end to end: a real oidc-provider issues DPoP-bound tokens (JWT and opaque)
 * to clients holding real keys; the guard runs on Express 5 and 4 behind a real HTTP server,
 * and every broken proof gets its own asserted answer.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type AuthorizationServer } from '../../example-app/authorization-server.js';
import { createGuard, type Guard, type GuardOptions } from '../../src/index.js';
import { recordEvents } from '../support/events.js';
import { expectFailure, flavours } from '../support/guard-app.js';
import type { ExpressFlavour } from '../support/webhook-app.js';
import { challengesOf, dpopKey, expectDpopFailure, proof, unsignedProof, type DpopKey } from './support.js';

let as: AuthorizationServer;
beforeAll(async () => {
  as = await startAuthorizationServer({ dpopSigningAlgValues: ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'] });
});
afterAll(() => as?.close());

/** A DPoP-bound token for `key` from the real authorization server. */
async function boundToken(key: DpopKey, resource = as.apiResource, scope = 'messages:read messages:write'): Promise<string> {
  const response = await as.clientCredentialsToken({ scope, resource, dpop: await proof(key, { htm: 'POST', htu: as.endpoints.token }) });
  expect(response.token_type).toBe('DPoP');
  return response.access_token;
}

const plainToken = async (resource = as.apiResource) =>
  (await as.clientCredentialsToken({ scope: 'messages:read', resource })).access_token;

interface Running {
  url: string;
  guard: Guard;
  close(): Promise<void>;
}

/** The API under test on a real server: its URL is what `htu` names. */
async function startApi(flavour: ExpressFlavour, options: Partial<GuardOptions> = {}, setup?: (app: Express) => void): Promise<Running> {
  const guard = createGuard({
    issuer: as.issuer,
    audience: [as.apiResource, as.opaqueResource],
    introspection: { clientId: 'resource-server', clientSecret: 'resource-server-secret' },
    ...options,
  });
  const app = flavour.create();
  setup?.(app);
  app.get('/.well-known/oauth-protected-resource', guard.metadata());
  app.get('/api/messages', guard.requireScopes('messages:read'), (req, res) => {
    res.json(req.auth);
  });
  app.post('/api/messages', guard.requireScopes('messages:write'), (req, res) => {
    res.status(201).json(req.auth);
  });
  app.get('/strict/messages', guard.authenticate({ dpop: 'required' }), guard.requireScopes('messages:read'), (req, res) => {
    res.json(req.auth);
  });
  app.get('/legacy/messages', guard.authenticate({ dpop: 'disabled' }), (req, res) => {
    res.json(req.auth);
  });
  app.use('/nested', guard.authenticate());
  app.get('/nested/strict', guard.authenticate({ dpop: 'required' }), (req, res) => {
    res.json(req.auth);
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    guard,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.each(flavours)('$name', (flavour) => {
  let api: Running;
  let key: DpopKey;
  let token: string;
  beforeAll(async () => {
    api = await startApi(flavour);
    key = await dpopKey('ES256');
    token = await boundToken(key);
  });
  afterAll(() => api?.close());

  const call = async (
    path: string,
    { method = 'GET', scheme = 'DPoP', dpop, tok = token }: { method?: 'GET' | 'POST'; scheme?: string; dpop?: string | string[]; tok?: string } = {},
  ) => {
    const request = method === 'GET' ? supertest(api.url).get(path) : supertest(api.url).post(path);
    request.set('Authorization', `${scheme} ${tok}`);
    // An array sends the header once per value (superagent hands it to setHeader as is).
    if (dpop !== undefined) request.set('DPoP', dpop as string);
    return request;
  };
  const good = (path = '/api/messages', options: Partial<Parameters<typeof proof>[1]> = {}) =>
    proof(key, { htm: 'GET', htu: `${api.url}${path.split('?')[0]}`, token, ...options });

  describe('accepted', () => {
    it('a DPoP-bound JWT from oidc-provider with a fresh proof: req.auth has scheme DPoP and the key binding', async () => {
      const res = await call('/api/messages', { dpop: await good() });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ scheme: 'DPoP', tokenType: 'jwt', confirmation: { jkt: key.jkt }, scopes: ['messages:read', 'messages:write'] });
      expect(res.body.claims.cnf).toEqual({ jkt: key.jkt });
    });

    it('POST with a POST proof; the query is not part of htu', async () => {
      const post = await call('/api/messages', { method: 'POST', dpop: await proof(key, { htm: 'POST', htu: `${api.url}/api/messages`, token }) });
      expect(post.status).toBe(201);
      const query = await call('/api/messages?page=2&q=x', { dpop: await good('/api/messages') });
      expect(query.status).toBe(200);
    });

    it('htu is compared after RFC 3986 normalisation (host case, default port, percent-encoding)', async () => {
      const upper = api.url.replace('http://127.0.0.1', 'HTTP://127.0.0.1');
      expect((await call('/api/messages', { dpop: await proof(key, { htm: 'GET', htu: `${upper}/api/%6Dessages`, token }) })).status).toBe(200);
    });

    it.each(['EdDSA', 'Ed25519', 'PS256', 'RS256', 'ES384'] as const)('proofs signed with %s', async (alg) => {
      const other = await dpopKey(alg);
      const otherToken = await boundToken(other);
      const res = await call('/api/messages', { tok: otherToken, dpop: await proof(other, { htm: 'GET', htu: `${api.url}/api/messages`, token: otherToken }) });
      expect(res.status).toBe(200);
      expect(res.body.confirmation).toEqual({ jkt: other.jkt });
    });

    it('an opaque DPoP-bound token: cnf.jkt comes from the introspection response', async () => {
      const opaque = await boundToken(key, as.opaqueResource, 'messages:read');
      expect(opaque.split('.')).toHaveLength(1);
      const res = await call('/api/messages', { tok: opaque, dpop: await proof(key, { htm: 'GET', htu: `${api.url}/api/messages`, token: opaque }) });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ scheme: 'DPoP', tokenType: 'opaque', confirmation: { jkt: key.jkt } });
      const asBearer = await call('/api/messages', { tok: opaque, scheme: 'Bearer' });
      expectFailure(asBearer, 401, 'invalid_token', /DPoP-bound token presented as a bearer token/);
    });

    it('plain bearer tokens still work on routes that allow both', async () => {
      const res = await call('/api/messages', { scheme: 'Bearer', tok: await plainToken() });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ scheme: 'Bearer', confirmation: {} });
    });
  });

  describe('each broken proof has its own answer', () => {
    it('wrong htm', async () => {
      expectDpopFailure(await call('/api/messages', { dpop: await good('/api/messages', { htm: 'POST' }) }), 'invalid_dpop_proof', /htm does not match/);
    });

    it('wrong htu (other path, other host, other scheme)', async () => {
      for (const htu of [`${api.url}/api/other`, api.url.replace('127.0.0.1', 'localhost') + '/api/messages', api.url.replace('http:', 'https:') + '/api/messages']) {
        expectDpopFailure(await call('/api/messages', { dpop: await good('/api/messages', { htu }) }), 'invalid_dpop_proof', /htu does not match/);
      }
    });

    it('stale iat, and iat too far in the future', async () => {
      const now = Math.floor(Date.now() / 1000);
      expectDpopFailure(await call('/api/messages', { dpop: await good('/api/messages', { iat: now - 120 }) }), 'invalid_dpop_proof', /iat is 1\d\d s old/);
      expectDpopFailure(await call('/api/messages', { dpop: await good('/api/messages', { iat: now + 120 }) }), 'invalid_dpop_proof', /in the future/);
    });

    it('replayed jti: the same proof twice', async () => {
      const once = await good();
      expect((await call('/api/messages', { dpop: once })).status).toBe(200);
      expectDpopFailure(await call('/api/messages', { dpop: once }), 'invalid_dpop_proof', /jti already used/);
    });

    it('a refused request does not spend its jti', async () => {
      const jti = `spend-${flavour.name}`;
      expectDpopFailure(await call('/api/messages', { tok: await plainToken(), dpop: await good('/api/messages', { jti, token: undefined, claims: {} }) }), 'invalid_dpop_proof', /ath/);
      expect((await call('/api/messages', { dpop: await good('/api/messages', { jti }) })).status).toBe(200);
    });

    it('wrong ath (the hash of another token), and no ath', async () => {
      expectDpopFailure(await call('/api/messages', { dpop: await good('/api/messages', { token: `${token}x` }) }), 'invalid_dpop_proof', /ath does not match/);
      expectDpopFailure(await call('/api/messages', { dpop: await good('/api/messages', { claims: { ath: undefined } }) }), 'invalid_dpop_proof', /no ath/);
    });

    it('a valid proof by another key than cnf.jkt: invalid_dpop_proof (DESIGN: a refused proof)', async () => {
      const thief = await dpopKey('ES256');
      const res = await call('/api/messages', { dpop: await proof(thief, { htm: 'GET', htu: `${api.url}/api/messages`, token }) });
      expectDpopFailure(res, 'invalid_dpop_proof', /does not match the token binding \(cnf\.jkt\)/);
    });

    it('a private key in the jwk header', async () => {
      expectDpopFailure(await call('/api/messages', { dpop: await good('/api/messages', { header: { jwk: key.privateJwk } }) }), 'invalid_dpop_proof', /private key/);
    });

    it("alg 'none'", async () => {
      const now = Math.floor(Date.now() / 1000);
      const none = unsignedProof({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk }, { jti: 'n', htm: 'GET', htu: `${api.url}/api/messages`, iat: now });
      expectDpopFailure(await call('/api/messages', { dpop: none }), 'invalid_dpop_proof', /alg 'none'/);
    });

    it('HS256 (a symmetric key in the header, and a MAC)', async () => {
      const { createHmac } = await import('node:crypto');
      const now = Math.floor(Date.now() / 1000);
      const unsigned = unsignedProof(
        { alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } },
        { jti: 'h', htm: 'GET', htu: `${api.url}/api/messages`, iat: now },
      ).slice(0, -1);
      const mac = createHmac('sha256', 'secret').update(unsigned).digest('base64url');
      expectDpopFailure(await call('/api/messages', { dpop: `${unsigned}.${mac}` }), 'invalid_dpop_proof', /symmetric algorithm HS256/);
    });

    it('two DPoP headers', async () => {
      expectDpopFailure(await call('/api/messages', { dpop: [await good(), await good()] }), 'invalid_dpop_proof', /more than one DPoP header/);
    });

    it('no DPoP header with the DPoP scheme', async () => {
      expectDpopFailure(await call('/api/messages'), 'invalid_dpop_proof', /proof missing/);
    });

    it('wrong typ, bad signature, algorithm outside the allow-list, key not fitting alg', async () => {
      expectDpopFailure(await call('/api/messages', { dpop: await good('/api/messages', { header: { typ: 'JWT' } }) }), 'invalid_dpop_proof', /typ/);
      const valid = await good();
      const tampered = `${valid.slice(0, valid.lastIndexOf('.') + 1)}${Buffer.alloc(64, 1).toString('base64url')}`;
      expectDpopFailure(await call('/api/messages', { dpop: tampered }), 'invalid_dpop_proof', /signature invalid/);
      const p384 = await dpopKey('ES384');
      expectDpopFailure(await call('/api/messages', { dpop: await good('/api/messages', { header: { jwk: p384.publicJwk } }) }), 'invalid_dpop_proof', /jwk is not on P-256, as ES256 needs/);
      expectDpopFailure(await call('/api/messages', { dpop: 'not-a-jws' }), 'invalid_dpop_proof', /not a compact JWS/);
    });

    it('the bound token sent as Bearer: invalid_token on the Bearer challenge (RFC 9449 §7.2)', async () => {
      const res = await call('/api/messages', { scheme: 'Bearer', dpop: await good() });
      expectFailure(res, 401, 'invalid_token', /DPoP-bound token presented as a bearer token/);
      expect(challengesOf(res).map((c) => c.scheme)).toEqual(['Bearer', 'DPoP']);
    });

    it('a token without cnf under the DPoP scheme: nothing to bind to', async () => {
      const plain = await plainToken();
      const res = await call('/api/messages', { tok: plain, dpop: await proof(key, { htm: 'GET', htu: `${api.url}/api/messages`, token: plain }) });
      expectDpopFailure(res, 'invalid_token', /not DPoP-bound/);
    });

    it('a bad token with a good proof: invalid_token under DPoP', async () => {
      const forged = `${token.slice(0, -4)}AAAA`;
      expectDpopFailure(await call('/api/messages', { tok: forged, dpop: await good('/api/messages', { token: forged }) }), 'invalid_token');
    });
  });

  describe('the verified-token cache never stands in for a proof', () => {
    it('a cached DPoP-bound token still needs a fresh proof on every request', async () => {
      expect((await call('/api/messages', { dpop: await good() })).status).toBe(200);
      expect((await call('/api/messages', { dpop: await good() })).status).toBe(200);
      expectDpopFailure(await call('/api/messages'), 'invalid_dpop_proof', /missing/);
      expectFailure(await call('/api/messages', { scheme: 'Bearer' }), 401, 'invalid_token');
    });
  });

  describe('per route', () => {
    it("dpop: 'required' refuses plain bearer tokens and announces only DPoP", async () => {
      const res = await call('/strict/messages', { scheme: 'Bearer', tok: await plainToken() });
      expectDpopFailure(res, 'invalid_token', /requires a DPoP-bound token/, { bearerToo: false });
      expect((await call('/strict/messages', { dpop: await good('/strict/messages') })).status).toBe(200);
      const missing = await supertest(api.url).get('/strict/messages');
      expect(missing.status).toBe(401);
      expect(challengesOf(missing).map((c) => [c.scheme, c.params.error])).toEqual([['DPoP', undefined]]);
    });

    it("dpop: 'required' after an earlier authenticate() that accepted a bearer token", async () => {
      expectDpopFailure(await call('/nested/strict', { scheme: 'Bearer', tok: await plainToken() }), 'invalid_token', /requires a DPoP-bound/, { bearerToo: false });
      expect((await call('/nested/strict', { dpop: await good('/nested/strict') })).status).toBe(200);
    });

    it("dpop: 'disabled' treats the DPoP scheme as no credentials and refuses bound tokens as Bearer", async () => {
      const dpopScheme = await call('/legacy/messages', { dpop: await good('/legacy/messages') });
      expect(dpopScheme.status).toBe(401);
      expect(challengesOf(dpopScheme).map((c) => [c.scheme, c.params.error])).toEqual([['Bearer', undefined]]);
      expectFailure(await call('/legacy/messages', { scheme: 'Bearer' }), 401, 'invalid_token', /not accepted here/);
      expect((await call('/legacy/messages', { scheme: 'Bearer', tok: await plainToken() })).status).toBe(200);
    });

    it('403 insufficient_scope answers under the scheme the token came with', async () => {
      const reader = await boundToken(key, as.apiResource, 'messages:read');
      const res = await call('/api/messages', { method: 'POST', tok: reader, dpop: await proof(key, { htm: 'POST', htu: `${api.url}/api/messages`, token: reader }) });
      expect(res.status).toBe(403);
      expect(challengesOf(res).map((c) => [c.scheme, c.params.error, c.params.scope])).toEqual([['DPoP', 'insufficient_scope', 'messages:write']]);
    });
  });

  it('a 401 without credentials offers both schemes, Bearer first (RFC 9449 §7.1)', async () => {
    const res = await supertest(api.url).get('/api/messages');
    expect(res.status).toBe(401);
    const challenges = challengesOf(res);
    expect(challenges.map((c) => c.scheme)).toEqual(['Bearer', 'DPoP']);
    expect(challenges[1]!.params.algs!.split(' ')).toEqual(expect.arrayContaining(['ES256', 'EdDSA', 'Ed25519']));
    expect(challenges.every((c) => c.params.error === undefined && c.params.resource_metadata !== undefined)).toBe(true);
  });

  it('RFC 9728 metadata names the proof algorithms and whether DPoP is required', async () => {
    const res = await supertest(api.url).get('/.well-known/oauth-protected-resource');
    expect(res.body).toMatchObject({
      dpop_signing_alg_values_supported: expect.arrayContaining(['ES256', 'EdDSA', 'Ed25519']),
      dpop_bound_access_tokens_required: false,
    });
  });
});

describe('guard options', () => {
  const flavour = flavours[0]!;

  it("dpop: 'required' for the whole guard: metadata says so, bearer tokens are refused", async () => {
    const api = await startApi(flavour, { dpop: 'required', dpopAlgorithms: ['ES256', 'Ed25519'] });
    try {
      const meta = await supertest(api.url).get('/.well-known/oauth-protected-resource');
      expect(meta.body).toMatchObject({ dpop_signing_alg_values_supported: ['ES256', 'Ed25519'], dpop_bound_access_tokens_required: true });
      const res = await supertest(api.url).get('/api/messages').set('Authorization', `Bearer ${await plainToken()}`);
      expect(expectDpopFailure(res, 'invalid_token', /requires/, { bearerToo: false }).params.algs).toBe('ES256 Ed25519');
      const eddsa = await dpopKey('EdDSA');
      const token = await boundToken(eddsa);
      const refused = await supertest(api.url)
        .get('/api/messages')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', await proof(eddsa, { htm: 'GET', htu: `${api.url}/api/messages`, token }));
      expectDpopFailure(refused, 'invalid_dpop_proof', /algorithm EdDSA not allowed/, { bearerToo: false });
    } finally {
      await api.close();
    }
  });

  it("dpop: 'disabled': metadata leaves DPoP out, challenges name Bearer only", async () => {
    const api = await startApi(flavour, { dpop: 'disabled' });
    try {
      const meta = await supertest(api.url).get('/.well-known/oauth-protected-resource');
      expect(meta.body.dpop_signing_alg_values_supported).toBeUndefined();
      const res = await supertest(api.url).get('/api/messages');
      expect(challengesOf(res).map((c) => c.scheme)).toEqual(['Bearer']);
    } finally {
      await api.close();
    }
  });

  it('dpopProofWindow narrows the iat window', async () => {
    const api = await startApi(flavour, { dpopProofWindow: 5 });
    try {
      const key = await dpopKey();
      const token = await boundToken(key);
      const send = async (iat: number) =>
        supertest(api.url)
          .get('/api/messages')
          .set('Authorization', `DPoP ${token}`)
          .set('DPoP', await proof(key, { htm: 'GET', htu: `${api.url}/api/messages`, token, iat }));
      const now = Math.floor(Date.now() / 1000);
      expectDpopFailure(await send(now - 30), 'invalid_dpop_proof', /limit 5 s/);
      expect((await send(now - 2)).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('dpopNonce: use_dpop_nonce with a DPoP-Nonce header, then the nonce is accepted', async () => {
    const api = await startApi(flavour, { dpopNonce: true });
    try {
      const key = await dpopKey();
      const token = await boundToken(key);
      const send = async (nonce?: string) =>
        supertest(api.url)
          .get('/api/messages')
          .set('Authorization', `DPoP ${token}`)
          .set('DPoP', await proof(key, { htm: 'GET', htu: `${api.url}/api/messages`, token, ...(nonce === undefined ? {} : { nonce }) }));
      const first = await send();
      expectDpopFailure(first, 'use_dpop_nonce', /nonce/);
      const nonce = first.headers['dpop-nonce'] as string;
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect((await send(nonce)).status).toBe(200);
      const forged = await send(`${nonce.slice(0, -2)}AA`);
      expectDpopFailure(forged, 'use_dpop_nonce');
      expect(forged.headers['dpop-nonce']).toBe(nonce);
    } finally {
      await api.close();
    }
  });

  it('a shared store holds the jti replay set; a failing store answers 503, never 200', async () => {
    const keys: string[] = [];
    let failing = false;
    const store = {
      seen: new Set<string>(),
      async get() {
        return undefined;
      },
      async set() {},
      async delete() {},
      async setIfAbsent(k: string) {
        if (failing) throw new Error('store down');
        keys.push(k);
        if (this.seen.has(k)) return false;
        this.seen.add(k);
        return true;
      },
    };
    const api = await startApi(flavour, { store });
    try {
      const key = await dpopKey();
      const token = await boundToken(key);
      const p = await proof(key, { htm: 'GET', htu: `${api.url}/api/messages`, token });
      const send = (dpop: string) => supertest(api.url).get('/api/messages').set('Authorization', `DPoP ${token}`).set('DPoP', dpop);
      expect((await send(p)).status).toBe(200);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(/^rg:dpop:[A-Za-z0-9_-]{43}$/);
      expectDpopFailure(await send(p), 'invalid_dpop_proof', /already used/);
      failing = true;
      const down = await send(await proof(key, { htm: 'GET', htu: `${api.url}/api/messages`, token }));
      expect(down.status).toBe(503);
      expect(Number(down.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await api.close();
    }
  });
});

describe('events', () => {
  it('a refused proof is reported on resource-guard:token:rejected with scheme DPoP, once', async () => {
    const api = await startApi(flavours[0]!);
    const events = recordEvents();
    try {
      const key = await dpopKey();
      const token = await boundToken(key);
      const res = await supertest(api.url)
        .get('/api/messages')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', await proof(key, { htm: 'DELETE', htu: `${api.url}/api/messages`, token }));
      expectDpopFailure(res, 'invalid_dpop_proof');
      const rejected = events.of('resource-guard:token:rejected');
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toMatchObject({ status: 401, code: 'invalid_dpop_proof', scheme: 'DPoP', tokenType: 'jwt', issuer: as.issuer });
      expect(JSON.stringify(rejected[0])).not.toContain(token);
    } finally {
      events.stop();
      await api.close();
    }
  });
});

describe('events: a bound token is accepted only once every sender check passed', () => {
  it('other key, bound token as Bearer, guard.verify without the request: rejected once, never accepted; a good proof: accepted once, as DPoP', async () => {
    const api = await startApi(flavours[0]!);
    const events = recordEvents();
    try {
      const key = await dpopKey();
      const other = await dpopKey();
      const token = await boundToken(key);
      const url = `${api.url}/api/messages`;
      const otherKey = await supertest(api.url).get('/api/messages').set('Authorization', `DPoP ${token}`).set('DPoP', await proof(other, { htm: 'GET', htu: url, token }));
      expectDpopFailure(otherKey, 'invalid_dpop_proof');
      expectFailure(await supertest(api.url).get('/api/messages').set('Authorization', `Bearer ${token}`), 401, 'invalid_token');
      await expect(api.guard.verify(token)).rejects.toMatchObject({ status: 401 });
      expect(events.of('resource-guard:token:accepted')).toEqual([]);
      expect(events.of('resource-guard:token:rejected').map((e) => [e.code, e.reason, e.scheme])).toEqual([
        ['invalid_dpop_proof', 'proof', 'DPoP'],
        ['invalid_token', 'binding', 'Bearer'],
        ['invalid_token', 'binding', 'Bearer'],
      ]);
      const ok = await supertest(api.url).get('/api/messages').set('Authorization', `DPoP ${token}`).set('DPoP', await proof(key, { htm: 'GET', htu: url, token }));
      expect(ok.status).toBe(200);
      expect(events.of('resource-guard:token:accepted')).toEqual([expect.objectContaining({ scheme: 'DPoP', tokenType: 'jwt', cached: true })]);
    } finally {
      events.stop();
      await api.close();
    }
  });
});

describe('guard.verify', () => {
  it('refuses a bound token without its request, and verifies it with one', async () => {
    const guard = createGuard({ issuer: as.issuer, audience: as.apiResource });
    const key = await dpopKey();
    const token = await boundToken(key);
    await expect(guard.verify(token)).rejects.toMatchObject({ status: 401, code: 'invalid_token', description: expect.stringMatching(/sender-constrained/) });
    const url = 'https://api.example.com/things';
    const auth = await guard.verify(token, { request: { scheme: 'DPoP', method: 'GET', url, dpop: await proof(key, { htm: 'GET', htu: url, token }) } });
    expect(auth).toMatchObject({ scheme: 'DPoP', confirmation: { jkt: key.jkt } });
    const err = await guard.verify(token, { request: { scheme: 'DPoP', method: 'GET', url, dpop: await proof(key, { htm: 'PUT', htu: url, token }) } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, code: 'invalid_dpop_proof' });
    expect((err as { headers: Record<string, string> }).headers['WWW-Authenticate']).toMatch(/^Bearer realm="[^"]+", resource_metadata="[^"]+", DPoP error="invalid_dpop_proof"/);
    expect((await guard.verify(await plainToken())).scheme).toBe('Bearer');
  });
});
