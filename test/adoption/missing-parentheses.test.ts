/**
 * A factory mounted as if it were the middleware — `app.use(guard.authenticate)`,
 * `app.get('/x', guard.metadata, h)` — fails that request at once with a 500 whose message
 * says what to write, on Express 4 and 5: never a hang, never "Converting circular structure
 * to JSON", never the route's handler. (The types reject these too: test/types/missing-parentheses.ts.)
 */
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { createGuard, oauthErrorHandler } from '../../src/index.js';
import { standardWebhook, telnyxWebhook } from '../../src/webhooks/index.js';
import { flavours } from '../support/guard-app.js';

const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com' });

/** What the mistake looks like in an app: the factory where a middleware goes (types bypassed). */
const asMiddleware = (factory: unknown) => factory as RequestHandler;

const MISTAKES: Array<{ name: string; call: string; mount: (app: Express, reached: RequestHandler) => void }> = [
  { name: 'guard.authenticate', call: 'guard.authenticate()', mount: (app, reached) => app.use(asMiddleware(guard.authenticate), reached) },
  { name: 'guard.metadata', call: 'guard.metadata()', mount: (app, reached) => app.get('/x', asMiddleware(guard.metadata), reached) },
  { name: 'guard.requireScopes', call: "guard.requireScopes('scope', …)", mount: (app, reached) => app.get('/x', asMiddleware(guard.requireScopes), reached) },
  { name: 'guard.requireAnyScope', call: "guard.requireAnyScope('scope', …)", mount: (app, reached) => app.get('/x', asMiddleware(guard.requireAnyScope), reached) },
  { name: 'guard.requireClaims', call: 'guard.requireClaims({ … })', mount: (app, reached) => app.get('/x', asMiddleware(guard.requireClaims), reached) },
  { name: 'guard.requireAuth', call: 'guard.requireAuth((auth, req) => …)', mount: (app, reached) => app.get('/x', asMiddleware(guard.requireAuth), reached) },
  { name: 'guard.requireAuthLevel', call: 'guard.requireAuthLevel({ acr, maxAge })', mount: (app, reached) => app.get('/x', asMiddleware(guard.requireAuthLevel), reached) },
  { name: 'guard.handler', call: 'guard.handler((req, res) => …)', mount: (app, reached) => app.get('/x', asMiddleware(guard.handler), reached) },
  { name: 'oauthErrorHandler', call: 'oauthErrorHandler()', mount: (app, reached) => app.use(asMiddleware(oauthErrorHandler), reached) },
  { name: 'telnyxWebhook', call: 'telnyxWebhook({ publicKey })', mount: (app, reached) => app.get('/x', asMiddleware(telnyxWebhook), reached) },
  { name: 'standardWebhook', call: 'standardWebhook({ secret })', mount: (app, reached) => app.get('/x', asMiddleware(standardWebhook), reached) },
];

/** Answers any error as JSON, so the test reads the status and message together. */
const jsonErrors: ErrorRequestHandler = (err: Error & { status?: number }, _req, res, _next) => {
  res.status(err.status ?? 500).json({ name: err.name, message: err.message });
};

describe.each(flavours)('$name', (flavour) => {
  it.each(MISTAKES)('$name without parentheses: 500 "call $call — with parentheses", at once', async ({ name, call, mount }) => {
    const app = flavour.create();
    let handlerRan = false;
    mount(app, (_req, res) => {
      handlerRan = true;
      res.end();
    });
    app.use(jsonErrors);
    const res = await supertest(app).get('/x').timeout(5_000);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ name: 'TypeError', message: `${name} is not a middleware but makes one: call ${call} — with parentheses` });
    expect(handlerRan).toBe(false);
  });

  it("Express's own error handler answers it too (500), and oauthErrorHandler() passes it on", async () => {
    for (const withOAuthHandler of [false, true]) {
      const app = flavour.create();
      app.use(asMiddleware(guard.authenticate));
      app.get('/x', (_req, res) => res.end());
      if (withOAuthHandler) app.use(oauthErrorHandler());
      const res = await supertest(app).get('/x').timeout(5_000);
      expect(res.status).toBe(500);
      expect(res.text).not.toContain('Converting circular structure');
    }
  });

  it('called with parentheses, every factory makes a middleware that runs', async () => {
    const app = flavour.create();
    app.get('/.well-known/oauth-protected-resource', guard.metadata());
    app.get('/api', guard.authenticate(), (_req, res) => res.end());
    app.use(oauthErrorHandler());
    expect((await supertest(app).get('/.well-known/oauth-protected-resource')).status).toBe(200);
    expect((await supertest(app).get('/api')).status).toBe(401);
  });
});

describe('what counts as the mistake', () => {
  it('only a request, a response and next: arguments a caller passes are left alone', () => {
    expect(() => guard.requireScopes('a', 'b', 'c')).not.toThrow();
    expect(() => guard.authenticate({ optional: true })).not.toThrow();
    expect(() => guard.requireAuth(() => true, { scope: 'admin' })).not.toThrow();
    // A hostile "request" without a response or next is an argument error as before, not a 500 answer.
    expect(() => guard.requireScopes({ method: 'GET', headers: {} } as unknown as string)).toThrow(TypeError);
  });
});
