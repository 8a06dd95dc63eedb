/**
 * Finding 1 (issue 17): a guard trusted any `req.auth` already on the request. An app with
 * two guards (`publicGuard.authenticate({ optional: true })` everywhere, `corpGuard.requireScopes`
 * on `/ops`) let a token of the public issuer, for the public audience, into `/ops`.
 *
 * A guard trusts only an `AuthInfo` it set on this request itself, for the audience of the
 * route in effect; anything else (another guard's, the app's own, one this guard produced for
 * another audience) is verified again from the request's token. Every middleware that
 * authenticates by itself goes through that rule.
 */
import type { Express, RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type AuthInfo, type Guard } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { recordEvents } from '../support/events.js';
import { expectOk, request } from '../authorization/helpers.js';
import { withVisibleToken } from './data-app.js';

const publicAudience = 'https://public.example.com';
const corpAudience = 'https://corp.example.com';

let publicAs: FaultServer;
let corpAs: FaultServer;
beforeAll(async () => {
  [publicAs, corpAs] = await Promise.all([
    startFaultServer({ audience: publicAudience }),
    startFaultServer({ audience: corpAudience }),
  ]);
});
afterAll(() => Promise.all([publicAs.close(), corpAs.close()]));

const echo: RequestHandler = (req, res) => {
  res.json(withVisibleToken(req.auth));
};
const scope = 'ops:read ops:write';

/** Every middleware of `guard` that authenticates by itself when `req.auth` is set, on its own route. */
function protectedRoutes(app: Express, guard: Guard, prefix: string): void {
  app.get(`${prefix}/scopes`, guard.requireScopes('ops:read'), echo);
  app.get(`${prefix}/any-scope`, guard.requireAnyScope('ops:read', 'admin'), echo);
  app.get(`${prefix}/claims`, guard.requireClaims({ scope }), echo);
  app.get(`${prefix}/policy`, guard.requireAuth(() => true), echo);
  app.get(`${prefix}/level`, guard.requireAuthLevel({ maxAge: 300 }), echo);
  app.get(`${prefix}/handler`, guard.handler((req, res) => res.json(withVisibleToken(req.auth))));
  app.get(`${prefix}/authenticate`, guard.authenticate(), echo);
  app.get(`${prefix}/optional`, guard.authenticate({ optional: true }), echo);
  app.get(`${prefix}/route-audience`, guard.authenticate({ audience: corpAudience }), echo);
}

const paths = ['scopes', 'any-scope', 'claims', 'policy', 'level', 'handler', 'authenticate', 'optional', 'route-audience'];

describe.each(flavours)('$name', (flavour) => {
  const corpToken = () =>
    corpAs.mintJwt({ claims: { scope, auth_time: Math.floor(Date.now() / 1000) } });
  const publicToken = () =>
    publicAs.mintJwt({ claims: { scope, auth_time: Math.floor(Date.now() / 1000) } });

  describe('two guards, two issuers', () => {
    let app: Express;
    beforeAll(() => {
      const publicGuard = createGuard({ issuer: publicAs.issuer, audience: publicAudience });
      const corpGuard = createGuard({ issuer: corpAs.issuer, audience: corpAudience });
      app = flavour.create();
      app.use(publicGuard.authenticate({ optional: true }));
      protectedRoutes(app, corpGuard, '/ops');
    });

    it.each(paths)("/ops/%s refuses the other guard's req.auth", async (path) => {
      const res = await request(app, `/ops/${path}`, publicToken());
      expect({ status: res.status, error: res.headers['www-authenticate'] }).toMatchObject({
        status: 401,
        error: expect.stringMatching(/^Bearer error="invalid_token", error_description="issuer not trusted"/),
      });
    });

    it.each(paths)('/ops/%s accepts its own token', async (path) => {
      // The public guard refuses the corp token first ("a bad token still fails"): serve it without.
      const own = flavour.create();
      protectedRoutes(own, createGuard({ issuer: corpAs.issuer, audience: corpAudience }), '/ops');
      expect(expectOk<AuthInfo>(await request(own, `/ops/${path}`, corpToken())).issuer).toBe(corpAs.issuer);
    });
  });

  describe('two guards, one issuer, two audiences', () => {
    let app: Express;
    beforeAll(() => {
      // Both APIs trust the same authorization server; each must keep to its own audience.
      const publicGuard = createGuard({ issuer: corpAs.issuer, audience: publicAudience });
      const corpGuard = createGuard({ issuer: corpAs.issuer, audience: corpAudience });
      app = flavour.create();
      app.use('/a', publicGuard.authenticate({ optional: true }));
      // A route audience of the other guard must not become this guard's route audience.
      app.use('/b', publicGuard.authenticate({ audience: publicAudience, optional: true }));
      protectedRoutes(app, corpGuard, '/a/ops');
      protectedRoutes(app, corpGuard, '/b/ops');
    });

    const forPublic = () => corpAs.mintJwt({ claims: { aud: publicAudience, scope, auth_time: Math.floor(Date.now() / 1000) } });
    const forCorp = () => corpAs.mintJwt({ claims: { aud: [publicAudience, corpAudience], scope, auth_time: Math.floor(Date.now() / 1000) } });

    it.each(paths.flatMap((p) => [`/a/ops/${p}`, `/b/ops/${p}`]))('%s refuses a token for the other audience', async (path) => {
      const res = await request(app, path, forPublic());
      expect({ status: res.status, error: res.headers['www-authenticate'] }).toMatchObject({
        status: 401,
        error: expect.stringMatching(/^Bearer error="invalid_token", error_description="audience mismatch"/),
      });
    });

    it.each(paths.flatMap((p) => [`/a/ops/${p}`, `/b/ops/${p}`]))('%s accepts a token that names both', async (path) => {
      expect(expectOk<AuthInfo>(await request(app, path, forCorp())).audience).toContain(corpAudience);
    });
  });

  describe('one guard', () => {
    let app: Express;
    let guard: Guard;
    beforeAll(() => {
      guard = createGuard({ issuer: corpAs.issuer, audience: corpAudience });
      app = flavour.create();
      // What the app puts on the request itself is not the guard's to trust.
      app.use('/forged', (req, _res, next) => {
        req.auth = {
          token: 'forged', tokenType: 'jwt', scheme: 'Bearer', confirmation: {}, issuer: corpAs.issuer,
          audience: [corpAudience], scopes: ['ops:read', 'ops:write'], claims: { scope, auth_time: Math.floor(Date.now() / 1000) },
        };
        next();
      });
      protectedRoutes(app, guard, '/forged');
      // An AuthInfo the guard produced, but for another audience (guard.verify with its own audience).
      app.use('/other-audience', (req, _res, next) => {
        const token = req.get('authorization')!.slice('Bearer '.length);
        guard.verify(token, { audience: publicAudience }).then((auth) => {
          req.auth = auth;
          next();
        }, next);
      });
      protectedRoutes(app, guard, '/other-audience');
      app.use('/layered', guard.authenticate());
      protectedRoutes(app, guard, '/layered');
    });

    it.each(paths.filter((p) => p !== 'optional'))('/forged/%s: without a token, 401 and no error code', async (path) => {
      const res = await request(app, `/forged/${path}`);
      expect({ status: res.status, challenge: res.headers['www-authenticate'] }).toMatchObject({
        status: 401,
        challenge: expect.stringMatching(/^Bearer realm=/),
      });
    });

    it('/forged/optional: without a token the forged req.auth is cleared', async () => {
      expect(expectOk(await request(app, '/forged/optional'))).toBeNull();
    });

    it.each(paths)('/forged/%s: with a real token, its own verification decides', async (path) => {
      const token = corpToken();
      expect(expectOk<AuthInfo>(await request(app, `/forged/${path}`, token)).token).toBe(token);
    });

    it.each(paths)('/other-audience/%s refuses an AuthInfo made for another audience', async (path) => {
      const token = corpAs.mintJwt({ claims: { aud: publicAudience, scope, auth_time: Math.floor(Date.now() / 1000) } });
      const res = await request(app, `/other-audience/${path}`, token);
      expect({ status: res.status, challenge: res.headers['www-authenticate'] }).toMatchObject({
        status: 401,
        challenge: expect.stringMatching(/^Bearer error="invalid_token", error_description="audience mismatch"/),
      });
    });

    it.each(paths)('/layered/%s trusts what the same guard set on this request: one verification', async (path) => {
      const events = recordEvents();
      try {
        const token = corpToken();
        expectOk(await request(app, `/layered/${path}`, token));
        expect(events.of('resource-guard:token:accepted')).toHaveLength(1);
        expect(events.of('resource-guard:token:rejected')).toHaveLength(0);
      } finally {
        events.stop();
      }
    });
  });
});
