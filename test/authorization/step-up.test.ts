/**
 * Step-up authentication (RFC 9470): `requireAuthLevel({ acr, maxAge })` checks the login
 * behind the token and answers 401 `insufficient_user_authentication` with `acr_values` and
 * `max_age` exactly as RFC 9470 §3 shows them. User tokens come from the local oidc-provider's
 * code flow, configured (test-only `authenticationClaims`) to put `acr` and `auth_time` into
 * access tokens and introspection answers, which it leaves out by default; tokens with a
 * chosen `auth_time` are minted by hand.
 */
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type AuthorizationServer } from '../../example-app/authorization-server.js';
import { createGuard, type AuthInfo, type GuardOptions } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { audience, expectChallenge, expectOk, now, realm, request, rootMetadata, sleep } from './helpers.js';

const echo = (req: { auth?: AuthInfo }, res: { json: (body: unknown) => void }) => res.json(req.auth ?? null);
const stepUp = (description: string, params: string) =>
  `Bearer error="insufficient_user_authentication", error_description="${description}", ${params}, ${realm}, ${rootMetadata}`;
const LEVEL = 'A different authentication level is required';
const RECENT = 'More recent authentication is required';

let as: AuthorizationServer;
let fault: FaultServer;
beforeAll(async () => {
  [as, fault] = await Promise.all([
    startAuthorizationServer({ authenticationClaims: { acr: 'phr' } }),
    startFaultServer({ audience }),
  ]);
});
afterAll(() => Promise.all([as.close(), fault.close()]));

function routes(app: Express, options: GuardOptions): Express {
  const guard = createGuard(options);
  app.get('/transfers', guard.requireAuthLevel({ acr: ['phr', 'phrh'], maxAge: 300 }), echo);
  app.get('/strong', guard.requireAuthLevel({ acr: ['phrh', 'mfa'], maxAge: 300 }), echo);
  app.get('/acr-only', guard.requireAuthLevel({ acr: 'phrh' }), echo);
  app.get('/recent', guard.requireAuthLevel({ maxAge: 300 }), echo);
  app.get('/very-recent', guard.requireAuthLevel({ maxAge: 1 }), echo);
  app.get('/scoped', guard.requireScopes('messages:read'), guard.requireAuthLevel({ acr: 'phr' }), echo);
  app.use('/api', guard.authenticate());
  app.get('/api/transfers', guard.requireAuthLevel({ acr: ['phr', 'phrh'], maxAge: 300 }), echo);
  return app;
}

describe.each(flavours)('$name', (flavour) => {
  describe('user tokens from oidc-provider (JWT)', () => {
    let app: Express;
    let userToken: string;
    beforeAll(async () => {
      app = routes(flavour.create(), { issuer: as.issuer, audience, clockTolerance: 0 });
      userToken = (await as.authorizationCodeToken({ scope: 'messages:read' })).access_token;
    });

    it('the token carries acr and auth_time, and passes a matching level', async () => {
      const auth = expectOk<AuthInfo>(await request(app, '/transfers', userToken));
      expect(auth.claims).toMatchObject({ acr: 'phr', sub: 'user-1' });
      expect(now() - (auth.claims.auth_time as number)).toBeLessThan(60);
      expectOk(await request(app, '/recent', userToken));
      expectOk(await request(app, '/api/transfers', userToken));
      expectOk(await request(app, '/scoped', userToken));
    });

    it('another acr: 401 with acr_values and max_age, exactly as RFC 9470 §3', async () => {
      const res = await request(app, '/strong', userToken);
      const params = expectChallenge(res, 401, stepUp(LEVEL, 'acr_values="phrh mfa", max_age=300'));
      expect(params).toMatchObject({ error: 'insufficient_user_authentication', acr_values: 'phrh mfa', max_age: '300' });
    });

    it('the whole header: exactly the Bearer challenge with dpop disabled; DPoP listed after it otherwise', async () => {
      const bearerOnly = routes(flavour.create(), { issuer: as.issuer, audience, dpop: 'disabled' });
      const res = await request(bearerOnly, '/strong', userToken);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe(stepUp(LEVEL, 'acr_values="phrh mfa", max_age=300'));
      const both = await request(app, '/strong', userToken);
      expect(both.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_user_authentication", .*, DPoP algs="[^"]+"/);
    });

    it('acr only: no max_age', async () => {
      expectChallenge(await request(app, '/acr-only', userToken), 401, stepUp(LEVEL, 'acr_values="phrh"'));
    });

    it('a login older than maxAge: 401 "More recent authentication is required"', async () => {
      await sleep(2100);
      expectChallenge(await request(app, '/very-recent', userToken), 401, stepUp(RECENT, 'max_age=1'));
    });

    it('client-credentials tokens have no login: every level refuses them', async () => {
      const { access_token } = await as.clientCredentialsToken({ scope: 'messages:read' });
      expectChallenge(await request(app, '/transfers', access_token), 401, stepUp(LEVEL, 'acr_values="phr phrh", max_age=300'));
      expectChallenge(await request(app, '/recent', access_token), 401, stepUp(RECENT, 'max_age=300'));
    });

    it('authenticates first; scopes are still checked first where declared first', async () => {
      expectChallenge(await request(app, '/transfers'), 401, `Bearer ${realm}, ${rootMetadata}`);
      const { access_token } = await as.authorizationCodeToken({ scope: 'admin' });
      const res = await request(app, '/scoped', access_token);
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);
    });
  });

  describe('opaque user tokens (introspection answers with acr and auth_time)', () => {
    let app: Express;
    let userToken: string;
    beforeAll(async () => {
      app = routes(flavour.create(), {
        issuer: as.issuer,
        audience,
        introspection: { clientId: as.clients.resourceServer.id, clientSecret: as.clients.resourceServer.secret },
      });
      // The opaque resource gets opaque tokens; the guard below accepts that audience.
      userToken = (await as.authorizationCodeToken({ scope: 'messages:read', resource: as.opaqueResource })).access_token;
    });

    it('pass and fail the same way', async () => {
      const opaqueApp = routes(flavour.create(), {
        issuer: as.issuer,
        audience: as.opaqueResource,
        resource: audience,
        introspection: { clientId: as.clients.resourceServer.id, clientSecret: as.clients.resourceServer.secret },
      });
      expect(userToken.split('.')).toHaveLength(1);
      const auth = expectOk<AuthInfo>(await request(opaqueApp, '/transfers', userToken));
      expect(auth).toMatchObject({ tokenType: 'opaque', claims: { acr: 'phr' } });
      expectChallenge(await request(opaqueApp, '/strong', userToken), 401, stepUp(LEVEL, 'acr_values="phrh mfa", max_age=300'));
      // …and a guard for another audience refuses the token before any level is looked at.
      const res = await request(app, '/transfers', userToken);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token", error_description="audience mismatch"/);
    });
  });

  describe('hand-minted auth_time around maxAge and the clock tolerance', () => {
    let app: Express;
    beforeAll(() => {
      app = routes(flavour.create(), { issuer: fault.issuer, audience, clockTolerance: 5 });
    });
    const login = (age: number, acr = 'phr') => fault.mintJwt({ claims: { acr, auth_time: now() - age } });

    it('within maxAge + clockTolerance passes, beyond it fails', async () => {
      expectOk(await request(app, '/transfers', login(10)));
      expectOk(await request(app, '/transfers', login(302)));
      expectChallenge(await request(app, '/transfers', login(320)), 401, stepUp(RECENT, 'acr_values="phr phrh", max_age=300'));
      expectChallenge(await request(app, '/transfers', login(10, 'pwd')), 401, stepUp(LEVEL, 'acr_values="phr phrh", max_age=300'));
    });

    it('auth_time that is not a number counts as no login time', async () => {
      const token = fault.mintJwt({ claims: { acr: 'phr', auth_time: String(now()) } });
      expectChallenge(await request(app, '/recent', token), 401, stepUp(RECENT, 'max_age=300'));
    });

    it('acr must be a string equal to one of the accepted values', async () => {
      const token = fault.mintJwt({ claims: { acr: ['phr'], auth_time: now() } });
      expectChallenge(await request(app, '/acr-only', token), 401, stepUp(LEVEL, 'acr_values="phrh"'));
    });
  });
});

describe('option validation', () => {
  const guard = createGuard({ issuer: 'https://auth.example.com', audience });
  it.each([
    [{}, /acr.*maxAge/],
    [{ acr: [] }, /acr/],
    [{ acr: 'has space' }, /acr value/],
    [{ acr: 'quo"te' }, /acr value/],
    [{ maxAge: -1 }, /maxAge/],
    [{ maxAge: 1.5 }, /maxAge/],
    [{ maxAge: Number.NaN }, /maxAge/],
  ])('requireAuthLevel(%j) throws', (level, message) => {
    expect(() => guard.requireAuthLevel(level as never)).toThrow(TypeError);
    expect(() => guard.requireAuthLevel(level as never)).toThrow(message);
  });

  it('guard.verify leaves levels to the routes', async () => {
    const token = fault.mintJwt({ claims: { acr: 'pwd' } });
    const auth = await createGuard({ issuer: fault.issuer, audience }).verify(token);
    expect(auth.claims.acr).toBe('pwd');
  });
});
