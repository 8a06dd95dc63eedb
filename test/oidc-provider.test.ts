/**
 * The guard against a real authorization server: node oidc-provider on 127.0.0.1, issuing
 * JWT access tokens for the API's resource and opaque tokens for a second resource.
 */
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type AuthorizationServer } from '../example-app/authorization-server.js';
import { createGuard, type Guard } from '../src/index.js';
import { expectFailure, flavours, get, guardedApp } from './support/guard-app.js';

let as: AuthorizationServer;
beforeAll(async () => {
  as = await startAuthorizationServer();
});
afterAll(() => as.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(flavours)('$name', (flavour) => {
  let guard: Guard;
  let app: ReturnType<typeof guardedApp>;
  beforeAll(() => {
    guard = createGuard({
      issuer: as.issuer,
      audience: [as.apiResource, as.opaqueResource],
      introspection: { clientId: 'resource-server', clientSecret: 'resource-server-secret' },
    });
    app = guardedApp(flavour, guard);
  });

  it('accepts a client_credentials JWT access token and fills req.auth', async () => {
    const { access_token: token } = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.apiResource });
    const res = await get(app, '/api/messages', token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      tokenType: 'jwt',
      issuer: as.issuer,
      clientId: 'api-client',
      audience: [as.apiResource],
      scopes: ['messages:read'],
    });
    expect(res.body.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });

  it('enforces scopes on its tokens: 403 insufficient_scope naming the need', async () => {
    const { access_token: token } = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.apiResource });
    const res = await supertest(app).post('/api/messages').set('Authorization', `Bearer ${token}`);
    expect(expectFailure(res, 403, 'insufficient_scope')?.params.scope).toBe('messages:write messages:read');
    const { access_token: writer } = await as.clientCredentialsToken({ scope: 'messages:read messages:write', resource: as.apiResource });
    expect((await supertest(app).post('/api/messages').set('Authorization', `Bearer ${writer}`)).status).toBe(201);
  });

  it('a token for a resource this API does not serve is refused', async () => {
    const other = createGuard({ issuer: as.issuer, audience: 'https://not-this-api.example.com' });
    const { access_token: token } = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.apiResource });
    await expect(other.verify(token)).rejects.toMatchObject({ status: 401, description: 'audience mismatch' });
  });

  it('accepts an opaque token through introspection', async () => {
    const { access_token: token } = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.opaqueResource });
    expect(token.split('.')).toHaveLength(1);
    const res = await get(app, '/api/messages', token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tokenType: 'opaque', clientId: 'api-client', scopes: ['messages:read'] });
  });

  it('accepts a user token from the authorization code + PKCE flow', async () => {
    const { access_token: token } = await as.authorizationCodeToken({ scope: 'messages:read', resource: as.apiResource });
    const res = await get(app, '/api/messages', token);
    expect(res.status).toBe(200);
    expect(res.body.subject).toBe('user-1');
  });
});

describe('real-server behaviour', () => {
  it('fetches discovery and the JWKS once for many requests', async () => {
    const guard = createGuard({ issuer: as.issuer, audience: as.apiResource });
    as.resetCounts();
    const tokens = await Promise.all(
      Array.from({ length: 5 }, () => as.clientCredentialsToken({ scope: 'messages:read', resource: as.apiResource })),
    );
    await Promise.all(tokens.flatMap(({ access_token: t }) => Array.from({ length: 10 }, () => guard.verify(t))));
    expect(as.counts.get('/.well-known/oauth-authorization-server') + as.counts.get('/.well-known/openid-configuration')).toBe(1);
    expect(as.counts.get('/jwks')).toBe(1);
  });

  it.each(['ES256', 'EdDSA'] as const)('verifies %s access tokens', async (alg) => {
    const guard = createGuard({ issuer: as.issuer, audience: as.apiResource });
    as.setAccessTokenAlg(alg);
    try {
      const { access_token: token } = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.apiResource });
      await expect(guard.verify(token)).resolves.toMatchObject({ tokenType: 'jwt' });
    } finally {
      as.setAccessTokenAlg('RS256');
    }
  });

  it('picks up rotated keys after the cooldown', async () => {
    const guard = createGuard({ issuer: as.issuer, audience: as.apiResource, cooldown: 0.2 });
    const before = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.apiResource });
    await guard.verify(before.access_token);
    await as.rotateKeys();
    await sleep(250);
    const after = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.apiResource });
    await expect(guard.verify(after.access_token)).resolves.toMatchObject({ tokenType: 'jwt' });
    await expect(guard.verify(before.access_token)).resolves.toMatchObject({ tokenType: 'jwt' });
  });

  it('a revoked opaque token is refused once the cache max age has passed', async () => {
    const guard = createGuard({
      issuer: as.issuer,
      audience: as.opaqueResource,
      introspection: { clientId: 'resource-server', clientSecret: 'resource-server-secret', maxAge: 0.3 },
    });
    const { access_token: token } = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.opaqueResource });
    await guard.verify(token);
    await as.revoke(token);
    await sleep(350);
    await expect(guard.verify(token)).rejects.toMatchObject({ status: 401, description: 'token is not active' });
  });

  it('the RFC 9728 document names this server', async () => {
    const guard = createGuard({ issuer: as.issuer, audience: as.apiResource, resourceName: 'Messages API' });
    const app = guardedApp(flavours[0]!, guard);
    const res = await get(app, '/.well-known/oauth-protected-resource');
    expect(res.body).toMatchObject({ resource: as.apiResource, authorization_servers: [as.issuer], resource_name: 'Messages API' });
  });
});
