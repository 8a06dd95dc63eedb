/**
 * The example API, built the way a user of the package would build theirs: it imports
 * `resource-guard` by name (resolved through the package's `exports` map to `dist/`), never
 * `../src`. Nothing here knows whether the authorization server is embedded or external.
 */
import express, { type ErrorRequestHandler, type Express, type Request, type RequestHandler } from 'express';
import { createGuard, OAuthError, type AuthInfo, type GuardOptions } from 'resource-guard';
import { standardWebhook, telnyxWebhook, WebhookError, type Ed25519PublicKeyInput } from 'resource-guard/webhooks';
import { Registry } from 'prom-client';
import { DEV_KIT_PATH, type DevKit } from './dev-kit.js';
import { collectGuardMetrics } from './metrics.js';

export interface AppOptions {
  guard: GuardOptions;
  /** Verifies `POST /webhooks/telnyx`; without it the route is not mounted. */
  telnyxPublicKey?: Ed25519PublicKeyInput | undefined;
  /** Verifies `POST /webhooks/standard`; without it the route is not mounted. */
  standardWebhookSecret?: string | undefined;
  /** DEV ONLY, embedded mode only: served at `GET /dev/demo-kit` for `npm run demo`. */
  devKit?: DevKit | undefined;
  /** One line per request (method, path, status); no query strings, headers or bodies. */
  log?: ((line: string) => void) | undefined;
}

interface Message {
  id: number;
  text: string;
  /** Who posted it: the client of a client_credentials token, else the user. */
  author: string | undefined;
  createdAt: string;
}

const MAX_MESSAGES = 100;
const MAX_TEXT = 500;

export function createApp(options: AppOptions): Express {
  const guard = createGuard(options.guard);
  const app = express();
  const messages: Message[] = [];
  let nextId = 1;

  app.disable('x-powered-by');
  if (options.log) app.use(requestLog(options.log));

  app.get('/', (_req, res) => {
    res.json({ name: 'resource-guard example API', routes: routeList(options) });
  });

  // Operations (docs/operations.md): readiness for a probe, Prometheus metrics from the guard's
  // diagnostics_channel events. Open here for the demo; keep them off the public internet.
  app.get('/healthz', (_req, res) => {
    const health = guard.health();
    res.status(health.status === 'down' ? 503 : 200).set('Cache-Control', 'no-store').json(health);
  });
  const registry = guardMetrics(); // now: counting starts before the first scrape
  app.get('/metrics', (_req, res, next) => {
    registry.metrics().then((text) => void res.set('Content-Type', registry.contentType).send(text), next);
  });

  // RFC 9728: how clients learn which authorization server to ask. The route answers the
  // conventional path; `app.use` also answers §3.1's path when the resource has one
  // (`https://api.example.com/v1` → `/.well-known/oauth-protected-resource/v1`).
  app.get('/.well-known/oauth-protected-resource', guard.metadata());
  app.use(guard.metadata());

  // Signed webhooks verify the exact bytes that were signed, so they come before any body parser.
  if (options.telnyxPublicKey !== undefined) {
    app.post('/webhooks/telnyx', telnyxWebhook({ publicKey: options.telnyxPublicKey }), (req, res) => {
      const event = (req.body as { data?: { event_type?: unknown } }).data;
      res.json({ received: req.webhook?.id, event_type: event?.event_type });
    });
  }
  if (options.standardWebhookSecret !== undefined) {
    app.post('/webhooks/standard', standardWebhook({ secret: options.standardWebhookSecret }), (req, res) => {
      res.json({ received: req.webhook?.id });
    });
  }
  // A partner that delivers with a bearer token instead of a signature.
  app.post('/webhooks/partner', guard.requireScopes('webhooks:deliver'), express.json({ limit: '64kb' }), (req, res) => {
    res.json({ received: true, from: caller(req.auth!) });
  });

  // Anonymous callers are welcome here, so it is declared before the /api gate below.
  app.get('/api/me', guard.authenticate({ optional: true }), (req, res) => {
    res.json(req.auth ? { anonymous: false, ...caller(req.auth) } : { anonymous: true });
  });
  app.use('/api', guard.authenticate());
  // Parsed only once the caller is authenticated: strangers don't get to make us parse JSON.
  app.use('/api', express.json({ limit: '16kb' }));
  app.get('/api/messages', guard.requireScopes('messages:read'), (req, res) => {
    res.json({ messages, caller: caller(req.auth!) });
  });
  app.post('/api/messages', guard.requireScopes('messages:write'), (req, res) => {
    const text = (req.body as { text?: unknown } | undefined)?.text;
    if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TEXT) {
      res.status(400).json({ error: 'bad_request', error_description: `"text" must be a string of 1 to ${MAX_TEXT} characters` });
      return;
    }
    const message: Message = { id: nextId++, text, author: req.auth!.clientId ?? req.auth!.subject, createdAt: new Date().toISOString() };
    messages.push(message);
    if (messages.length > MAX_MESSAGES) messages.shift();
    res.status(201).json(message);
  });

  if (options.devKit !== undefined) {
    const devKit = options.devKit;
    app.get(DEV_KIT_PATH, (_req, res) => {
      res.set('Cache-Control', 'no-store').json(devKit);
    });
  }

  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  app.use(errorHandler(options.log));
  return app;
}

let metricsRegistry: Registry | undefined;

/** One registry per process: the guard's events are process-wide, whatever the number of apps. */
function guardMetrics(): Registry {
  if (metricsRegistry === undefined) {
    metricsRegistry = new Registry();
    collectGuardMetrics(metricsRegistry);
  }
  return metricsRegistry;
}

/** What the API tells a caller about their token: never the token itself. */
function caller(auth: AuthInfo) {
  return { clientId: auth.clientId, subject: auth.subject, scopes: auth.scopes, tokenType: auth.tokenType };
}

/**
 * `OAuthError` and `WebhookError` carry their status and headers (`WWW-Authenticate`,
 * `Retry-After`); copying the headers is the one thing a custom handler must not forget.
 */
function errorHandler(log: AppOptions['log']): ErrorRequestHandler {
  return (err: unknown, _req, res, _next) => {
    if (err instanceof OAuthError || err instanceof WebhookError) {
      // 500 (misconfiguration) and 503 (authorization server down) are ours to look at.
      if (err.status >= 500) log?.(`  ${err.name} ${err.code}: ${err.description}`);
      res.set(err.headers).status(err.status).json({ error: err.code, error_description: err.description });
      return;
    }
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500 && (err as { expose?: unknown }).expose === true) {
      res.status(status).json({ error: 'bad_request', error_description: (err as Error).message });
      return;
    }
    log?.(`  unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    res.status(500).json({ error: 'server_error' });
  };
}

/** `GET /api/messages → 401`: the path only, since query strings can carry tokens or secrets. */
function requestLog(log: (line: string) => void): RequestHandler {
  return (req: Request, res, next) => {
    const path = req.path;
    res.once('finish', () => log(`${req.method} ${path} → ${res.statusCode}`));
    next();
  };
}

function routeList(options: AppOptions): string[] {
  return [
    'GET /.well-known/oauth-protected-resource',
    'GET /healthz (guard.health())',
    'GET /metrics (Prometheus)',
    'GET /api/messages (messages:read)',
    'POST /api/messages (messages:write)',
    'GET /api/me (token optional)',
    ...(options.telnyxPublicKey !== undefined ? ['POST /webhooks/telnyx (Ed25519 signature)'] : []),
    ...(options.standardWebhookSecret !== undefined ? ['POST /webhooks/standard (Standard Webhooks signature)'] : []),
    'POST /webhooks/partner (webhooks:deliver)',
  ];
}
