/**
 * `scopeClaims`: where a token's rights come from. Auth0 RBAC puts them in a `permissions`
 * array; `['scope', 'permissions']` makes them scopes (duplicates removed, order kept), for
 * JWTs and introspection answers alike. Tokens are minted by hand on a local server.
 */
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type AuthInfo, type GuardOptions } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { audience, expectChallenge, expectOk, realm, request, rootMetadata } from './helpers.js';

let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer({ audience });
});
afterAll(() => as.close());

const introspection = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };

describe.each(flavours)('$name', (flavour) => {
  const appFor = (options: Partial<GuardOptions> = {}) => {
    const guard = createGuard({ issuer: as.issuer, audience, ...options });
    const app = flavour.create();
    app.get('/.well-known/oauth-protected-resource', guard.metadata());
    app.get('/messages', guard.requireScopes('read:messages'), (req, res) => {
      res.json(req.auth);
    });
    app.delete('/messages', guard.requireScopes('delete:messages'), (req, res) => {
      res.json(req.auth);
    });
    app.get('/admin', guard.requireAnyScope('admin', 'read:reports'), (req, res) => {
      res.json(req.auth);
    });
    return app;
  };
  let rbac: ReturnType<typeof appFor>;
  beforeAll(() => {
    rbac = appFor({ scopeClaims: ['scope', 'permissions'] });
  });

  it('Auth0 RBAC: permissions alone grant the route', async () => {
    const token = as.mintJwt({ claims: { scope: undefined, permissions: ['read:messages', 'read:reports'] } });
    const auth = expectOk<AuthInfo>(await request(rbac, '/messages', token));
    expect(auth.scopes).toEqual(['read:messages', 'read:reports']);
    expectOk(await request(rbac, '/admin', token));
  });

  it('scope first, then permissions: duplicates removed, order kept', async () => {
    const token = as.mintJwt({
      claims: { scope: 'openid profile read:messages', permissions: ['read:messages', 'delete:messages', 'openid'] },
    });
    const auth = expectOk<AuthInfo>(await request(rbac, '/messages', token));
    expect(auth.scopes).toEqual(['openid', 'profile', 'read:messages', 'delete:messages']);
    expect(auth.claims.permissions).toEqual(['read:messages', 'delete:messages', 'openid']);
  });

  it('a permission the token lacks is 403 insufficient_scope naming it', async () => {
    const token = as.mintJwt({ claims: { scope: undefined, permissions: ['read:messages'] } });
    expectOk(await request(rbac, '/messages', token));
    expectChallenge(
      await supertest(rbac).delete('/messages').set('Authorization', `Bearer ${token}`),
      403,
      `Bearer error="insufficient_scope", error_description="token lacks required scope: delete:messages", scope="delete:messages", ${realm}, ${rootMetadata}`,
    );
  });

  it('by default (scope, scp) a permissions array grants nothing; scp arrays still do', async () => {
    const plain = appFor();
    const token = as.mintJwt({ claims: { scope: undefined, permissions: ['read:messages'] } });
    expectChallenge(
      await request(plain, '/messages', token),
      403,
      `Bearer error="insufficient_scope", error_description="token lacks required scope: read:messages", scope="read:messages", ${realm}, ${rootMetadata}`,
    );
    const scp = as.mintJwt({ claims: { scope: undefined, scp: ['read:messages', 'admin'] } });
    expect(expectOk<AuthInfo>(await request(plain, '/messages', scp)).scopes).toEqual(['read:messages', 'admin']);
  });

  it('only the listed claims count: ["permissions"] ignores scope', async () => {
    const only = appFor({ scopeClaims: ['permissions'] });
    const token = as.mintJwt({ claims: { scope: 'read:messages', permissions: ['admin'] } });
    expectChallenge(
      await request(only, '/messages', token),
      403,
      `Bearer error="insufficient_scope", error_description="token lacks required scope: read:messages", scope="read:messages", ${realm}, ${rootMetadata}`,
    );
    expect(expectOk<AuthInfo>(await request(only, '/admin', token)).scopes).toEqual(['admin']);
  });

  it('a space-delimited string in a listed claim counts too; non-strings are skipped', async () => {
    const token = as.mintJwt({ claims: { scope: undefined, permissions: 'read:messages  admin' } });
    expect(expectOk<AuthInfo>(await request(rbac, '/messages', token)).scopes).toEqual(['read:messages', 'admin']);
    const odd = as.mintJwt({ claims: { scope: undefined, permissions: [42, null, 'read:messages', { a: 1 }] } });
    expect(expectOk<AuthInfo>(await request(rbac, '/messages', odd)).scopes).toEqual(['read:messages']);
  });

  it('introspection answers map the same way', async () => {
    const app = appFor({ scopeClaims: ['scope', 'permissions'], introspection });
    const token = as.mintOpaque({ scope: 'openid', claims: { permissions: ['read:messages', 'openid'] } });
    const auth = expectOk<AuthInfo>(await request(app, '/messages', token));
    expect(auth).toMatchObject({ tokenType: 'opaque', scopes: ['openid', 'read:messages'] });
    const readOnly = as.mintOpaque({ scope: 'read:messages', claims: { permissions: [] } });
    expectOk(await request(app, '/messages', readOnly));
    expectChallenge(
      await supertest(app).delete('/messages').set('Authorization', `Bearer ${readOnly}`),
      403,
      `Bearer error="insufficient_scope", error_description="token lacks required scope: delete:messages", scope="delete:messages", ${realm}, ${rootMetadata}`,
    );
  });
});

describe('option validation', () => {
  it.each([[[]], [['scope', '']], ['permissions' as unknown as string[]], [[42]]])('scopeClaims %j', (scopeClaims) => {
    const create = () => createGuard({ issuer: 'https://auth.example.com', audience, scopeClaims: scopeClaims as string[] });
    if (typeof scopeClaims === 'string') {
      expect(create).not.toThrow();
    } else {
      expect(create).toThrow(TypeError);
      expect(create).toThrow(/scopeClaims/);
    }
  });

  it('guard.verify maps permissions without Express', async () => {
    const guard = createGuard({ issuer: as.issuer, audience, scopeClaims: ['permissions', 'scope'] });
    const auth = await guard.verify(as.mintJwt({ claims: { scope: 'b a', permissions: ['c', 'a'] } }));
    expect(auth.scopes).toEqual(['c', 'a', 'b']);
  });
});
