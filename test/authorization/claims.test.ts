/**
 * `requireClaims` and `requireAuth`: refusals are 403 `insufficient_scope` (with `scope=` only
 * when one was given), never 401 — the token itself is fine. Both authenticate first when
 * nothing did. Tokens are minted by hand on a local server (JWTs and opaque ones).
 */
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, OAuthError, type AuthInfo, type Guard } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { audience, expectChallenge, expectOk, realm, request, rootMetadata, sleep } from './helpers.js';

let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer({ audience });
});
afterAll(() => as.close());

const introspection = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };
const echo = (req: { auth?: AuthInfo }, res: { json: (body: unknown) => void }) => res.json(req.auth ?? null);
const claimRefused = (claim: string) =>
  `Bearer error="insufficient_scope", error_description="token claim '${claim}' does not meet this route's requirement", ${realm}, ${rootMetadata}`;
const policyRefused = (scope?: string) =>
  `Bearer error="insufficient_scope", error_description="token not authorized for this request", ${scope === undefined ? '' : `scope="${scope}", `}${realm}, ${rootMetadata}`;

function routes(app: Express, guard: Guard): Express {
  app.get('/.well-known/oauth-protected-resource', guard.metadata());
  app.get('/tenant', guard.requireClaims({ tenant: 'acme' }), echo);
  app.get('/roles', guard.requireClaims({ roles: ['admin', 'owner'] }), echo);
  app.get('/eu', guard.requireClaims({ region: (r) => typeof r === 'string' && r.startsWith('eu-') }), echo);
  app.get('/both', guard.requireClaims({ tenant: 'acme', email_verified: true }), echo);
  app.get('/namespaced', guard.requireClaims({ 'https://example.com/plan': ['pro', 'enterprise'] }), echo);
  app.use('/api', guard.authenticate());
  app.get('/api/tenant', guard.requireClaims({ tenant: 'acme' }), echo);
  app.get('/docs/:owner', guard.requireAuth((auth, req) => auth.subject === req.params.owner), echo);
  app.get('/admin', guard.requireAuth((auth) => auth.scopes.includes('admin'), { scope: 'admin' }), echo);
  app.get('/async/:ok', guard.requireAuth(async (_auth, req) => {
    await sleep(5);
    return req.params.ok === 'yes';
  }), echo);
  app.get('/truthy', guard.requireAuth((() => 'yes') as unknown as () => boolean), echo);
  app.get('/throws', guard.requireAuth(() => {
    throw new Error('policy bug');
  }), echo);
  app.get('/rejects', guard.requireAuth(async () => {
    throw new OAuthError({ status: 403, code: 'insufficient_scope', description: 'tenant suspended' });
  }), echo);
  app.get('/chain', guard.requireScopes('messages:read'), guard.requireClaims({ tenant: 'acme' }), guard.requireAuth((auth) => auth.clientId === 'svc'), echo);
  return app;
}

describe.each(flavours)('$name', (flavour) => {
  let app: Express;
  beforeAll(() => {
    app = routes(flavour.create(), createGuard({ issuer: as.issuer, audience, introspection }));
  });
  const token = (claims: Record<string, unknown>) => as.mintJwt({ claims });

  describe('requireClaims', () => {
    it('a value: the claim equals it', async () => {
      expectOk(await request(app, '/tenant', token({ tenant: 'acme' })));
      expectChallenge(await request(app, '/tenant', token({ tenant: 'globex' })), 403, claimRefused('tenant'));
    });

    it('a missing claim fails; a claim that is an array passes when it contains the value', async () => {
      expectChallenge(await request(app, '/tenant', token({})), 403, claimRefused('tenant'));
      expectOk(await request(app, '/tenant', token({ tenant: ['globex', 'acme'] })));
    });

    it('an array: any of the values', async () => {
      expectOk(await request(app, '/roles', token({ roles: 'owner' })));
      expectOk(await request(app, '/roles', token({ roles: ['viewer', 'admin'] })));
      expectChallenge(await request(app, '/roles', token({ roles: ['viewer'] })), 403, claimRefused('roles'));
      expectChallenge(await request(app, '/roles', token({ roles: [] })), 403, claimRefused('roles'));
    });

    it('a function of the value: only true passes', async () => {
      expectOk(await request(app, '/eu', token({ region: 'eu-west-1' })));
      expectChallenge(await request(app, '/eu', token({ region: 'us-east-1' })), 403, claimRefused('region'));
      expectChallenge(await request(app, '/eu', token({})), 403, claimRefused('region'));
    });

    it('every rule must pass; values are compared strictly', async () => {
      expectOk(await request(app, '/both', token({ tenant: 'acme', email_verified: true })));
      expectChallenge(await request(app, '/both', token({ tenant: 'acme', email_verified: 'true' })), 403, claimRefused('email_verified'));
    });

    it('namespaced claim names (Auth0) are plain keys', async () => {
      expectOk(await request(app, '/namespaced', token({ 'https://example.com/plan': 'pro' })));
      expectChallenge(await request(app, '/namespaced', token({ 'https://example.com/plan': 'free' })), 403, claimRefused('https://example.com/plan'));
    });

    it('authenticates first: no token is 401 without error, a bad one 401 invalid_token', async () => {
      expectChallenge(await request(app, '/tenant'), 401, `Bearer ${realm}, ${rootMetadata}`);
      const expired = as.mintJwt({ claims: { tenant: 'acme' }, expiresIn: -60 });
      const res = await request(app, '/tenant', expired);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    });

    it('after authenticate() it reads req.auth', async () => {
      expectOk(await request(app, '/api/tenant', token({ tenant: 'acme' })));
      expectChallenge(await request(app, '/api/tenant', token({ tenant: 'x' })), 403, claimRefused('tenant'));
    });

    it('introspection answers carry claims the same way', async () => {
      expectOk(await request(app, '/tenant', as.mintOpaque({ claims: { tenant: 'acme' } })));
      expectChallenge(await request(app, '/tenant', as.mintOpaque({ claims: { tenant: 'x' } })), 403, claimRefused('tenant'));
    });
  });

  describe('requireAuth', () => {
    it('true passes; false is 403 insufficient_scope without scope=', async () => {
      expectOk(await request(app, '/docs/alice', token({ sub: 'alice' })));
      expectChallenge(await request(app, '/docs/alice', token({ sub: 'bob' })), 403, policyRefused());
    });

    it('with { scope } the 403 names it', async () => {
      expectOk(await request(app, '/admin', token({ scope: 'admin' })));
      expectChallenge(await request(app, '/admin', token({ scope: 'messages:read' })), 403, policyRefused('admin'));
    });

    it('a promise is awaited', async () => {
      expectOk(await request(app, '/async/yes', token({})));
      expectChallenge(await request(app, '/async/no', token({})), 403, policyRefused());
    });

    it('only true passes, not a truthy value', async () => {
      expectChallenge(await request(app, '/truthy', token({})), 403, policyRefused());
    });

    it("the policy's own errors reach next(err): a bug is a 500, an OAuthError is answered as it is", async () => {
      const bug = await request(app, '/throws', token({}));
      expect(bug.status).toBe(500);
      expect(bug.headers['www-authenticate']).toBeUndefined();
      expectChallenge(
        await request(app, '/rejects', token({})),
        403,
        `Bearer error="insufficient_scope", error_description="tenant suspended", ${realm}, ${rootMetadata}`,
      );
    });

    it('authenticates first', async () => {
      expectChallenge(await request(app, '/admin'), 401, `Bearer ${realm}, ${rootMetadata}`);
    });
  });

  it('rules chain: scopes, then claims, then a policy, each with its own answer', async () => {
    expectOk(await request(app, '/chain', token({ scope: 'messages:read', tenant: 'acme', client_id: 'svc' })));
    expect((await request(app, '/chain', token({ scope: 'other', tenant: 'acme', client_id: 'svc' }))).headers['www-authenticate']).toMatch(
      /scope="messages:read"/,
    );
    expectChallenge(await request(app, '/chain', token({ scope: 'messages:read', tenant: 'x', client_id: 'svc' })), 403, claimRefused('tenant'));
    expectChallenge(await request(app, '/chain', token({ scope: 'messages:read', tenant: 'acme', client_id: 'web' })), 403, policyRefused());
  });

  it('requireAuth scopes join scopes_supported in the RFC 9728 document', async () => {
    const doc = expectOk(await request(app, '/.well-known/oauth-protected-resource'));
    expect(doc.scopes_supported).toEqual(expect.arrayContaining(['admin', 'messages:read']));
  });
});

describe('option validation', () => {
  const guard = createGuard({ issuer: 'https://auth.example.com', audience });
  it.each([
    [{}, /at least one/],
    [null, /object/],
    [{ tenant: {} }, /tenant/],
    [{ tenant: [] }, /tenant/],
    [{ tenant: [{ a: 1 }] }, /tenant/],
    [{ tenant: undefined }, /at least one/],
  ])('requireClaims(%j) throws', (rules, message) => {
    expect(() => guard.requireClaims(rules as never)).toThrow(TypeError);
    expect(() => guard.requireClaims(rules as never)).toThrow(message);
  });

  it('requireAuth needs a function and a valid scope', () => {
    expect(() => guard.requireAuth('x' as never)).toThrow(TypeError);
    expect(() => guard.requireAuth(() => true, { scope: 'a"b' })).toThrow(/scope/);
    expect(() => guard.requireAuth(() => true, { scope: 'a b' })).not.toThrow();
  });
});
