/**
 * Type-level test, checked by `npm run typecheck` (never run): a factory mounted where Express
 * expects a middleware — `app.use(guard.authenticate)` instead of `guard.authenticate()` — does
 * not compile, on Express 5's types here and on Express 4's (`express4`) below. Each
 * `@ts-expect-error` marks a mistake that must not compile; the lines around it are the fixes.
 */
import express, { Router } from 'express';
import express4 from 'express4';
import { createGuard, oauthErrorHandler } from '../../src/index.js';
import { standardWebhook, telnyxWebhook } from '../../src/webhooks/index.js';

const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com' });
const ok = (_req: unknown, res: { end(): void }) => res.end();

const app = express();
app.use(guard.authenticate());
// @ts-expect-error the factory, not the middleware
app.use(guard.authenticate);
// @ts-expect-error the factory, not the middleware
app.use('/api', guard.authenticate);
app.get('/.well-known/oauth-protected-resource', guard.metadata());
// @ts-expect-error the factory, not the middleware
app.get('/.well-known/oauth-protected-resource', guard.metadata);
// @ts-expect-error the factory, not the middleware
app.use(guard.metadata);
// @ts-expect-error the factory, not the middleware
app.get('/a', guard.requireScopes, ok);
// @ts-expect-error the factory, not the middleware
app.get('/a', guard.requireAnyScope, ok);
// @ts-expect-error the factory, not the middleware
app.get('/a', guard.requireClaims, ok);
// @ts-expect-error the factory, not the middleware
app.get('/a', guard.requireAuth, ok);
// @ts-expect-error the factory, not the middleware
app.get('/a', guard.requireAuthLevel, ok);
// @ts-expect-error the factory, not the middleware
app.get('/a', guard.handler);
app.use(oauthErrorHandler());
// @ts-expect-error the factory, not the error handler
app.use(oauthErrorHandler);
app.post('/hooks/telnyx', telnyxWebhook({ publicKey: 'a'.repeat(44) }), ok);
// @ts-expect-error the factory, not the middleware
app.post('/hooks/telnyx', telnyxWebhook, ok);
// @ts-expect-error the factory, not the middleware
app.post('/hooks/acme', standardWebhook, ok);

const router = Router();
// @ts-expect-error the factory, not the middleware
router.use(guard.authenticate);
// @ts-expect-error the factory, not the middleware
router.get('/', guard.metadata);

// Express 4's types also accept error handlers (err, req, res, next) wherever a middleware goes:
// the factories must not pass as one of those either.
const app4 = express4();
// @ts-expect-error the factory, not the middleware
app4.use(guard.authenticate);
// @ts-expect-error the factory, not the middleware
app4.use('/api', guard.authenticate);
// @ts-expect-error the factory, not the middleware
app4.get('/.well-known/oauth-protected-resource', guard.metadata);
// @ts-expect-error the factory, not the middleware
app4.get('/a', guard.requireScopes, ok);
// @ts-expect-error the factory, not the middleware
app4.get('/a', guard.requireAnyScope, ok);
// @ts-expect-error the factory, not the middleware
app4.get('/a', guard.requireClaims, ok);
// @ts-expect-error the factory, not the middleware
app4.get('/a', guard.requireAuth, ok);
// @ts-expect-error the factory, not the middleware
app4.get('/a', guard.requireAuthLevel, ok);
// @ts-expect-error the factory, not the middleware
app4.get('/a', guard.handler);
// @ts-expect-error the factory, not the error handler
app4.use(oauthErrorHandler);
// @ts-expect-error the factory, not the middleware
app4.post('/hooks/telnyx', telnyxWebhook, ok);
// @ts-expect-error the factory, not the middleware
app4.post('/hooks/acme', standardWebhook, ok);
const router4 = express4.Router();
// @ts-expect-error the factory, not the middleware
router4.use(guard.authenticate);
