/**
 * Per-route audiences: `authenticate({ audience })` decides which resource a route serves,
 * every later middleware of the request keeps to it, the token cache never carries one
 * route's decision into another, and challenges and RFC 9728 documents name the route's
 * resource. Tokens are minted by hand on a local server (JWTs and opaque ones).
 */
import type { Express } from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, OAuthError, type AuthInfo, type Guard } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { audience, expectChallenge, expectOk, realm, request, rootMetadata } from './helpers.js';

const billing = 'https://api.example.com/billing';
const billingMetadata = `resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/billing"`;
const reports = 'https://reports.example.com';

let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer({ audience });
});
afterAll(() => as.close());

const introspection = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };
const echo = (req: { auth?: AuthInfo }, res: { json: (body: unknown) => void }) => res.json(req.auth ?? null);

function routes(app: Express, guard: Guard): Express {
  app.use(guard.metadata());
  app.use('/billing', guard.authenticate({ audience: billing }));
  app.get('/billing/invoices', guard.requireScopes('invoices:read'), echo);
  app.get('/api/messages', guard.requireScopes('messages:read'), echo);
  app.get('/reports', guard.authenticate({ audience: [reports, 'urn:example:reports'] }), echo);
  app.use('/optional', guard.authenticate({ audience: billing, optional: true }));
  app.get('/optional/invoices', guard.requireScopes('invoices:read'), echo);
  app.use('/layered', guard.authenticate());
  app.get('/layered/billing', guard.authenticate({ audience: billing }), echo);
  return app;
}

describe.each(flavours)('$name', (flavour) => {
  let guard: Guard;
  let app: Express;
  beforeAll(() => {
    guard = createGuard({ issuer: as.issuer, audience, introspection });
    app = routes(flavour.create(), guard);
  });
  const billingToken = (scope = 'invoices:read') => as.mintJwt({ claims: { aud: billing, scope } });
  const apiToken = (scope = 'messages:read invoices:read') => as.mintJwt({ claims: { aud: audience, scope } });

  it('a route accepts its own audience and refuses the guard default', async () => {
    const token = billingToken();
    expect(expectOk<AuthInfo>(await request(app, '/billing/invoices', token)).audience).toEqual([billing]);
    expectChallenge(
      await request(app, '/billing/invoices', apiToken()),
      401,
      `Bearer error="invalid_token", error_description="audience mismatch", ${realm}, ${billingMetadata}`,
    );
  });

  it('routes without an override keep the guard audience', async () => {
    expectOk(await request(app, '/api/messages', apiToken()));
    expectChallenge(
      await request(app, '/api/messages', billingToken('messages:read')),
      401,
      `Bearer error="invalid_token", error_description="audience mismatch", ${realm}, ${rootMetadata}`,
    );
  });

  it("the route's challenges name its own resource metadata", async () => {
    expectChallenge(await request(app, '/billing/invoices'), 401, `Bearer ${realm}, ${billingMetadata}`);
    expectChallenge(
      await request(app, '/billing/invoices', billingToken('invoices:write')),
      403,
      `Bearer error="insufficient_scope", error_description="token lacks required scope: invoices:read", scope="invoices:read", ${realm}, ${billingMetadata}`,
    );
    expectChallenge(await request(app, '/api/messages'), 401, `Bearer ${realm}, ${rootMetadata}`);
  });

  it('an audience list: any of them passes; the first names the resource', async () => {
    expectOk(await request(app, '/reports', as.mintJwt({ claims: { aud: ['urn:example:reports', 'https://x.example'] } })));
    expectOk(await request(app, '/reports', as.mintJwt({ claims: { aud: reports } })));
    expectChallenge(
      await request(app, '/reports', apiToken()),
      401,
      `Bearer error="invalid_token", error_description="audience mismatch", ${realm}, resource_metadata="${reports}/.well-known/oauth-protected-resource"`,
    );
  });

  it('the token cache never carries one route audience into another', async () => {
    const cases: Array<[string, number[]]> = [
      [billingToken('invoices:read messages:read'), [200, 401]],
      [apiToken(), [401, 200]],
    ];
    for (const [token, statuses] of cases) {
      for (let i = 0; i < 5; i++) {
        const [b, a] = await Promise.all([request(app, '/billing/invoices', token), request(app, '/api/messages', token)]);
        expect([b.status, a.status]).toEqual(statuses);
      }
    }
  });

  it('a later middleware that authenticates by itself keeps the route audience', async () => {
    expectChallenge(await request(app, '/optional/invoices'), 401, `Bearer ${realm}, ${billingMetadata}`);
    expectChallenge(
      await request(app, '/optional/invoices', apiToken()),
      401,
      `Bearer error="invalid_token", error_description="audience mismatch", ${realm}, ${billingMetadata}`,
    );
    expectOk(await request(app, '/optional/invoices', billingToken()));
  });

  it('req.auth set earlier for another audience is checked again by the route', async () => {
    expectChallenge(
      await request(app, '/layered/billing', apiToken()),
      401,
      `Bearer error="invalid_token", error_description="audience mismatch", ${realm}, ${billingMetadata}`,
    );
    // The guard-wide authenticate in front refuses the billing token first: layer audiences on purpose.
    expectChallenge(
      await request(app, '/layered/billing', billingToken()),
      401,
      `Bearer error="invalid_token", error_description="audience mismatch", ${realm}, ${rootMetadata}`,
    );
  });

  it('opaque tokens: one introspection call, the audience checked per route', async () => {
    const token = as.mintOpaque({ aud: billing, scope: 'invoices:read messages:read' });
    as.resetCounts();
    expectOk(await request(app, '/billing/invoices', token));
    expectChallenge(
      await request(app, '/api/messages', token),
      401,
      `Bearer error="invalid_token", error_description="audience mismatch", ${realm}, ${rootMetadata}`,
    );
    expectOk(await request(app, '/billing/invoices', token));
    expect(as.count('introspection')).toBe(1);
  });

  it('RFC 9728: each route resource has its document at its own well-known URL', async () => {
    const root = expectOk(await request(app, '/.well-known/oauth-protected-resource'));
    expect(root).toMatchObject({ resource: audience, authorization_servers: [as.issuer] });
    const doc = expectOk(await request(app, '/.well-known/oauth-protected-resource/billing'));
    expect(doc).toMatchObject({ resource: billing, authorization_servers: [as.issuer] });
    expect(doc.scopes_supported).toEqual(expect.arrayContaining(['invoices:read', 'messages:read']));
    expect((await request(app, '/.well-known/oauth-protected-resource/nothing')).status).toBe(404);
  });
});

describe('guard.verify', () => {
  const guard = () => createGuard({ issuer: as.issuer, audience, introspection });

  it('checks the guard audience by default and options.audience when given', async () => {
    const token = as.mintJwt({ claims: { aud: billing } });
    const g = guard();
    await expect(g.verify(token)).rejects.toMatchObject({ status: 401, code: 'invalid_token', description: 'audience mismatch' });
    await expect(g.verify(token, { audience: billing })).resolves.toMatchObject({ audience: [billing] });
    await expect(g.verify(token, { audience: ['urn:x', billing] })).resolves.toMatchObject({ audience: [billing] });
    await expect(g.verify(token)).rejects.toBeInstanceOf(OAuthError);
    await expect(g.verify(as.mintJwt(), { audience: billing })).rejects.toMatchObject({ description: 'audience mismatch' });
  });

  it('opaque tokens too', async () => {
    const token = as.mintOpaque({ aud: [billing] });
    const g = guard();
    await expect(g.verify(token, { audience: billing })).resolves.toMatchObject({ tokenType: 'opaque' });
    await expect(g.verify(token)).rejects.toMatchObject({ description: 'audience mismatch' });
  });

  it('a bad audience option is a TypeError', async () => {
    await expect(guard().verify('x', { audience: [] })).rejects.toThrow(TypeError);
    await expect(guard().verify('x', { audience: '' })).rejects.toThrow(TypeError);
  });
});

describe('authenticate() option validation', () => {
  const g = createGuard({ issuer: 'https://auth.example.com', audience });
  it.each([
    [{ audience: [] }, /audience/],
    [{ audience: '' }, /audience/],
    [{ audience: ['request-url', billing] }, /stands alone/],
    [{ resourcePath: '/mcp' }, /request-url/],
    [{ audience: 'request-url', resourcePath: 'mcp' }, /resourcePath/],
    [{ audience: 'request-url', origins: [] }, /origins/],
    [{ audience: 'request-url', origins: ['https://api.example.com/path'] }, /origins/],
  ])('%j throws', (options, message) => {
    expect(() => g.authenticate(options as Parameters<Guard['authenticate']>[0])).toThrow(message);
  });

  it('a token needs some audience, whatever the route accepts', async () => {
    const guard = createGuard({ issuer: as.issuer, audience });
    await expect(guard.verify(as.mintJwt({ claims: { aud: [42] } }))).rejects.toMatchObject({ description: 'token has no audience' });
    await expect(guard.verify(as.mintJwt({ claims: { aud: [] } }))).rejects.toMatchObject({ description: 'token has no audience' });
    const app = flavours[0]!.create();
    app.get('/x', guard.authenticate({ audience: billing }), echo);
    expect((await supertest(app).get('/x').set('Authorization', `Bearer ${as.mintJwt({ claims: { aud: [42] } })}`)).status).toBe(401);
  });
});
