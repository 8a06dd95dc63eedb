/**
 * Finding 10b (issue 17): with several issuers, a JWT of issuer B whose `kid` is unknown was
 * sent to issuer A's introspection endpoint: B's token disclosed to another authorization
 * server, and A's answer deciding it.
 *
 * A JWT goes to introspection only at the endpoint of its own `iss`, and only when that issuer
 * has one (its metadata's, or `introspection.endpoint` for the first issuer). An answer speaks
 * only for the issuer whose endpoint gave it.
 */
import type { Express } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type AuthInfo, type GuardOptions } from '../../src/index.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { generateSigningKey, type SigningKey } from '../support/keys.js';
import { expectOk, request } from '../authorization/helpers.js';
import { dataApp, expectInvalidToken as expectRefusal } from './data-app.js';

const audience = 'https://api.example.com';
const introspection = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };

let a: FaultServer;
let b: FaultServer;
let unpublished: SigningKey;
beforeAll(async () => {
  [a, b, unpublished] = await Promise.all([startFaultServer({ audience }), startFaultServer({ audience }), generateSigningKey('RS256', 'unpublished')]);
});
afterEach(() => {
  for (const server of [a, b]) {
    server.resetBehaviors();
    server.resetCounts();
    server.setMetadata({ introspection_endpoint: server.endpoints.introspection });
  }
});
afterAll(() => Promise.all([a.close(), b.close()]));

function appFor(flavour: (typeof flavours)[number], options: Partial<GuardOptions> = {}): Express {
  return dataApp(flavour, createGuard({ issuer: [a.issuer, b.issuer], audience, introspection, ...options }));
}

describe.each(flavours)('$name', (flavour) => {
  const unknownKid = (server: FaultServer) => server.mintJwt({ key: unpublished, kid: unpublished.kid });

  it.each([
    ['discovered endpoints', false],
    ["introspection.endpoint, the first issuer's", true],
  ])("a JWT of issuer B with an unknown kid goes to B's endpoint only (%s)", async (_name, configured) => {
    const app = appFor(flavour, configured ? { introspection: { ...introspection, endpoint: a.endpoints.introspection } } : {});
    const token = unknownKid(b);
    const auth = expectOk<AuthInfo>(await request(app, '/api/data', token));
    expect(auth.issuer).toBe(b.issuer);
    expect([a.count('introspection'), b.count('introspection')]).toEqual([0, 1]);
    // And A's tokens to A's.
    expect(expectOk<AuthInfo>(await request(app, '/api/data', unknownKid(a))).issuer).toBe(a.issuer);
    expect([a.count('introspection'), b.count('introspection')]).toEqual([1, 1]);
  });

  it("an HMAC JWT of issuer B (no shared secret here) goes to B's endpoint only", async () => {
    const app = appFor(flavour);
    const token = b.mintJwt({ alg: 'HS256', kid: null });
    expect(expectOk<AuthInfo>(await request(app, '/api/data', token)).issuer).toBe(b.issuer);
    expect([a.count('introspection'), b.count('introspection')]).toEqual([0, 1]);
  });

  it('issuer B without an introspection endpoint: 401, and nothing is sent to A', async () => {
    b.setMetadata({ introspection_endpoint: undefined });
    const app = appFor(flavour);
    expectRefusal(await request(app, '/api/data', unknownKid(b)), /not found in the JWKS|introspection/);
    expect(a.count('introspection')).toBe(0);
  });

  it("B's endpoint failing does not hold back A's introspection (one circuit per endpoint)", async () => {
    const app = appFor(flavour);
    b.setBehavior('introspection', fault.status(500));
    for (let i = 0; i < 4; i++) expect((await request(app, '/api/data', unknownKid(b))).status).toBe(503);
    expect(expectOk<AuthInfo>(await request(app, '/api/data', a.mintOpaque())).issuer).toBe(a.issuer);
  });

  it('a JWT naming an untrusted issuer is refused without any introspection call', async () => {
    const app = appFor(flavour);
    const token = b.mintJwt({ alg: 'HS256', kid: null, claims: { iss: 'https://evil.example.com' } });
    expectRefusal(await request(app, '/api/data', token), /^issuer not trusted$/);
    expect([a.count('introspection'), b.count('introspection')]).toEqual([0, 0]);
  });

  it("an answer speaks only for its own issuer: A's endpoint vouching for an issuer-B token is refused", async () => {
    const app = appFor(flavour);
    const exp = Math.floor(Date.now() / 1000) + 300;
    a.setBehavior('introspection', fault.json({ active: true, iss: b.issuer, aud: audience, scope: 'messages:read', exp }));
    expectRefusal(await request(app, '/api/data', a.mintOpaque()), /issuer/);
    // A JWT of A whose answer at A names B: refused as well.
    const jwt = unknownKid(a);
    expectRefusal(await request(app, '/api/data', jwt), /issuer/);
  });
});
