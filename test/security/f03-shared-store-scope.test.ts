/**
 * Finding 3 (issue 17): introspection answers in a shared `store` were keyed by the token's
 * hash alone, so two guards on one store (as the README's Redis example suggests) read each
 * other's answers: a token one authorization server called active passed the other guard
 * without that guard asking its own server.
 *
 * Shared answers are keyed by the endpoint and the client identity that asked (hashed: no
 * secret, client id or URL in a key) as well as the token's hash; instances with the same
 * configuration still share.
 */
import type { Express } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, memoryStore, type AuthInfo, type GuardOptions, type Store } from '../../src/index.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { expectOk, request } from '../authorization/helpers.js';
import { dataApp } from './data-app.js';

const audience = 'https://api.example.com';
const basic = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };

let as1: FaultServer;
let as2: FaultServer;
/** Takes any client credentials, so two guards can ask it as two different clients. */
let open: FaultServer;
beforeAll(async () => {
  [as1, as2, open] = await Promise.all([
    startFaultServer({ audience }),
    startFaultServer({ audience }),
    startFaultServer({ audience, introspectionClient: null }),
  ]);
});
afterEach(() => {
  for (const server of [as1, as2, open]) {
    server.resetBehaviors();
    server.resetCounts();
  }
});
afterAll(() => Promise.all([as1.close(), as2.close(), open.close()]));

/** A memory store that records every key it is asked about. */
function recordingStore(): Store & { keys: string[] } {
  const inner = memoryStore();
  const keys: string[] = [];
  return {
    keys,
    get: (key) => (keys.push(key), inner.get(key)),
    set: (key, value, ttl) => (keys.push(key), inner.set(key, value, ttl)),
    setIfAbsent: (key, value, ttl) => (keys.push(key), inner.setIfAbsent(key, value, ttl)),
    delete: (key) => (keys.push(key), inner.delete(key)),
  };
}

function appFor(flavour: (typeof flavours)[number], options: GuardOptions): Express {
  return dataApp(flavour, createGuard(options));
}

describe.each(flavours)('$name', (flavour) => {
  it("two authorization servers: one's answer never decides a token at the other's guard", async () => {
    const store = memoryStore();
    const first = appFor(flavour, { issuer: as1.issuer, audience, introspection: basic, store });
    const second = appFor(flavour, { issuer: as2.issuer, audience, introspection: basic, store });
    const token = as1.mintOpaque();
    // Servers that leave iss out of their answers (RFC 7662 makes it optional).
    const { iss: _iss, ...answer } = { active: true, iss: as1.issuer, aud: audience, scope: 'messages:read', exp: Math.floor(Date.now() / 1000) + 300 };
    as1.setBehavior('introspection', fault.json(answer));
    expectOk(await request(first, '/api/data', token));
    const res = await request(second, '/api/data', token);
    expect(res.status).toBe(401);
    expect([as1.count('introspection'), as2.count('introspection')]).toEqual([1, 1]);
  });

  it('one server, two clients: each asks for itself', async () => {
    const store = memoryStore();
    const client = (bearerToken: string): GuardOptions => ({
      issuer: open.issuer,
      audience,
      introspection: { auth: 'bearer', bearerToken },
      store,
    });
    const first = appFor(flavour, client('api-key-of-the-first-client'));
    const second = appFor(flavour, client('api-key-of-the-second-client'));
    const token = open.mintOpaque();
    expectOk(await request(first, '/api/data', token));
    expectOk(await request(second, '/api/data', token));
    expect(open.count('introspection')).toBe(2);
  });

  it('instances with the same configuration still share one call', async () => {
    const store = memoryStore();
    const options: GuardOptions = { issuer: as1.issuer, audience, introspection: basic, store };
    const [first, second] = [appFor(flavour, options), appFor(flavour, options)];
    const token = as1.mintOpaque();
    expect(expectOk<AuthInfo>(await request(first, '/api/data', token)).issuer).toBe(as1.issuer);
    expect(expectOk<AuthInfo>(await request(second, '/api/data', token)).issuer).toBe(as1.issuer);
    expect(as1.count('introspection')).toBe(1);
  });

  it('keys name neither the token, the endpoint, the client nor a secret', async () => {
    const store = recordingStore();
    const bearerToken = 'KEY_secret_api_key_0123456789';
    const app = appFor(flavour, { issuer: open.issuer, audience, introspection: { auth: 'bearer', bearerToken }, store });
    const token = open.mintOpaque();
    expectOk(await request(app, '/api/data', token));
    expect(store.keys.length).toBeGreaterThan(0);
    const keys = store.keys.join('\n');
    for (const secret of [token, bearerToken, open.endpoints.introspection, open.url.replace('http://', ''), 'resource-server']) {
      expect(keys).not.toContain(secret);
    }
  });
});
