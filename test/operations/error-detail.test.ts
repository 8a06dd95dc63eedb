/**
 * `errorDetail`: what clients are told (fixed phrases with `'minimal'`), what operators keep
 * (`err.cause`, events), the NODE_ENV default; and answering with a JSON body, with
 * `oauthErrorHandler()` or an app's own handler, without losing `WWW-Authenticate`.
 */
import type { ErrorRequestHandler } from 'express';
import supertest from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGuard, oauthErrorHandler, OAuthError, type Guard, type GuardOptions } from '../../src/index.js';
import { parseChallenges, type Challenge } from '../support/challenge.js';
import { recordEvents } from '../support/events.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours, get, guardedApp } from '../support/guard-app.js';

const audience = 'https://api.example.com';
/** The `Bearer` challenge of a `WWW-Authenticate` value (a `DPoP` one may follow it). */
function parseChallenge(header: string | undefined): Challenge {
  const bearer = parseChallenges(header ?? '').find((c) => c.scheme === 'Bearer');
  if (bearer === undefined) throw new Error(`no Bearer challenge in ${header}`);
  return bearer;
}
const refusal = (promise: Promise<unknown>): Promise<OAuthError> =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e as OAuthError,
  );

let as: FaultServer;
beforeEach(async () => {
  as = await startFaultServer();
});
afterEach(() => as.close());

const guardFor = (options: Partial<GuardOptions> = {}): Guard =>
  createGuard({ issuer: as.issuer, audience, errorDetail: 'minimal', ...options });

describe("errorDetail: 'minimal'", () => {
  it('clients get a fixed phrase; err.cause keeps the full reason', async () => {
    const guard = guardFor({ cooldown: 30 });
    await guard.verify(as.mintJwt());
    const cases: Array<[string, string, RegExp]> = [
      [as.mintJwt({ expiresIn: -120 }), 'token expired', /^token expired 2 min ago$/],
      [as.mintJwt({ kid: 'probe-1' }), 'invalid token', /key 'probe-1' not found/],
      [as.mintJwt({ claims: { aud: 'https://other.example.com' } }), 'invalid token', /audience mismatch/],
      [`${as.mintJwt().slice(0, -4)}AAAA`, 'invalid token', /invalid signature/],
      [as.mintJwt({ header: { typ: 'JWT', crit: ['exp'], exp: 1 } }), 'invalid token', /critical header/],
      ['opaque', 'invalid token', /opaque tokens need introspection/],
    ];
    for (const [token, phrase, full] of cases) {
      const err = await refusal(guard.verify(token));
      expect(err).toBeInstanceOf(OAuthError);
      expect(err).toMatchObject({ status: 401, code: 'invalid_token', description: phrase, message: phrase });
      expect(err.challenge.error_description).toBe(phrase);
      expect(parseChallenge(err.headers['WWW-Authenticate']).params.error_description).toBe(phrase);
      expect(err.cause).toBeInstanceOf(OAuthError);
      expect((err.cause as OAuthError).description).toMatch(full);
      expect(err.stack?.split('\n')[0]).toBe(`OAuthError: ${phrase}`);
    }
  });

  it('503 keeps Retry-After; 500 says "server error", not the configuration', async () => {
    as.setBehavior('jwks', fault.down);
    const unavailable = await refusal(guardFor().verify(as.mintJwt()));
    expect(unavailable).toMatchObject({ status: 503, code: 'temporarily_unavailable', description: 'temporarily unavailable, retry later' });
    expect(Number(unavailable!.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect((unavailable!.cause as OAuthError).description).toMatch(/JWKS/);

    as.resetBehaviors();
    const token = as.mintJwt();
    const guard = guardFor();
    as.setIssuer('https://impostor.example.com');
    const misconfigured = await refusal(guard.verify(token));
    expect(misconfigured).toMatchObject({ status: 500, code: 'server_error', description: 'server error' });
    expect((misconfigured!.cause as OAuthError).description).toMatch(/issuer mismatch/);
    // The shared failure the metadata cache keeps is not rewritten for the next caller or for health.
    expect(guard.health().issuers[0]!.metadata.lastError).toMatch(/issuer mismatch/);
    expect((await refusal(guard.verify(token)))!.description).toBe('server error');
  });

  it('events keep the full description', async () => {
    const events = recordEvents();
    try {
      await refusal(guardFor().verify(as.mintJwt({ claims: { aud: 'https://other.example.com' } })));
      expect(events.of('resource-guard:token:rejected')).toEqual([
        expect.objectContaining({ reason: 'audience', description: 'audience mismatch' }),
      ]);
    } finally {
      events.stop();
    }
  });

  it.each(flavours)('over Express ($name): 400, 401 and 403 phrases; the 403 still names the scopes needed', async (flavour) => {
    const app = guardedApp(flavour, guardFor());
    const malformed = await supertest(app).get('/api/messages').set('Authorization', 'Bearer a b');
    expect(malformed.status).toBe(400);
    expect(parseChallenge(malformed.headers['www-authenticate']).params).toMatchObject({ error: 'invalid_request', error_description: 'malformed request' });

    const expired = await get(app, '/api/messages', as.mintJwt({ expiresIn: -60 }));
    expect(parseChallenge(expired.headers['www-authenticate']).params).toMatchObject({ error: 'invalid_token', error_description: 'token expired' });

    const forbidden = await supertest(app).post('/api/messages').set('Authorization', `Bearer ${as.mintJwt({ claims: { scope: 'messages:read' } })}`);
    expect(forbidden.status).toBe(403);
    expect(parseChallenge(forbidden.headers['www-authenticate']).params).toMatchObject({
      error: 'insufficient_scope',
      error_description: 'insufficient scope',
      scope: 'messages:write messages:read',
    });

    const missing = await get(app, '/api/messages');
    expect(missing.status).toBe(401);
    expect(parseChallenge(missing.headers['www-authenticate']).params.error).toBeUndefined();
  });
});

describe('the default follows NODE_ENV', () => {
  const saved = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = saved;
  });

  it("'minimal' in production, 'full' otherwise; an explicit option wins", async () => {
    const expired = as.mintJwt({ expiresIn: -60 });
    process.env.NODE_ENV = 'production';
    expect((await refusal(createGuard({ issuer: as.issuer, audience }).verify(expired)))!.description).toBe('token expired');
    expect((await refusal(createGuard({ issuer: as.issuer, audience, errorDetail: 'full' }).verify(expired)))!.description).toMatch(/ s ago$/);
    process.env.NODE_ENV = 'development';
    expect((await refusal(createGuard({ issuer: as.issuer, audience }).verify(expired)))!.description).toMatch(/ s ago$/);
  });

  it('anything else is refused at once', () => {
    expect(() => createGuard({ issuer: as.issuer, audience, errorDetail: 'terse' as never })).toThrow(/"errorDetail" must be "full" or "minimal"/);
  });
});

describe('a JSON body without losing WWW-Authenticate', () => {
  it.each(flavours)('oauthErrorHandler() ($name): status, headers and {error, error_description}', async (flavour) => {
    const app = guardedApp(flavour, createGuard({ issuer: as.issuer, audience }));
    app.get('/boom', () => {
      throw new Error('not an OAuthError');
    });
    app.use(oauthErrorHandler());
    app.use(((err: Error, _req, res, _next) => void res.status(418).json({ other: err.message })) as ErrorRequestHandler);

    const res = await get(app, '/api/messages', as.mintJwt({ expiresIn: -60 }));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: expect.stringMatching(/^token expired \d+ s ago$/) });
    expect(parseChallenge(res.headers['www-authenticate']).params).toMatchObject({ error: 'invalid_token', realm: audience });
    expect(res.headers['cache-control']).toBe('no-store');

    const none = await get(app, '/api/messages');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: 'missing_token', error_description: 'no bearer token' });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer realm=/);

    as.setBehavior('jwks', fault.down);
    const guard503 = guardedApp(flavour, createGuard({ issuer: as.issuer, audience }));
    guard503.use(oauthErrorHandler());
    const down = await get(guard503, '/api/messages', as.mintJwt());
    expect(down.status).toBe(503);
    expect(Number(down.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(down.body.error).toBe('temporarily_unavailable');

    expect((await supertest(app).get('/boom')).body).toEqual({ other: 'not an OAuthError' });
  });

  it.each(flavours)("an app's own handler ($name) keeps the challenge by copying err.headers", async (flavour) => {
    const guard = createGuard({ issuer: as.issuer, audience });
    // The recipe of docs/operations.md.
    const ownHandler: ErrorRequestHandler = (err, _req, res, next) => {
      if (!(err instanceof OAuthError)) return next(err);
      res.set(err.headers).status(err.status).json({ error: err.code, error_description: err.description });
    };
    const app = guardedApp(flavour, guard);
    app.use(ownHandler);
    const res = await get(app, '/api/messages', as.mintJwt({ claims: { aud: 'https://other.example.com' } }));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'audience mismatch' });
    expect(parseChallenge(res.headers['www-authenticate']).params).toMatchObject({ error: 'invalid_token', error_description: 'audience mismatch' });

    // Without copying the headers the challenge is lost: what the recipe prevents.
    const careless = guardedApp(flavour, guard);
    careless.use(((err: OAuthError, _req, res, _next) => void res.status(err.status).json({ error: err.code })) as ErrorRequestHandler);
    const lost = await get(careless, '/api/messages', as.mintJwt({ claims: { aud: 'https://other.example.com' } }));
    expect(lost.status).toBe(401);
    expect(lost.headers['www-authenticate']).toBeUndefined();
  });
});
