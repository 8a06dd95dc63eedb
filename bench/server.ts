/**
 * The server under test, one per cell and round: a child process (this file transpiled to
 * `bench/.build/server.js` and run by plain `node`, pinned to its own CPU where the machine
 * has two, see harness.ts) that builds the same Express 5 app with one route,
 * `GET /api/messages`, under one of the middlewares, listens on 127.0.0.1, and talks to the
 * parent over IPC:
 *   parent → { type: 'usage' }  child → { type: 'usage', rss, maxRss, heapUsed, cpu, heap }
 *   parent → { type: 'mark' }   child → { type: 'mark', at } (µs, the CPU profile's clock)
 *   parent → { type: 'say', text }  child writes `text` and a newline to stdout, in order
 *     with V8's `--trace-gc` lines (profile.ts marks its measured window that way)
 *   parent → { type: 'heap-sampling-start' | 'heap-sampling-stop' }  the sampling heap
 *     profiler, counting objects GC already freed (allocation, not retention); the stop
 *     answer carries the profile
 *   parent → { type: 'stop' }   child exits (so `--cpu-prof` writes its profile)
 *   child → { type: 'ready', port } once listening.
 *
 * Every app ends with the same tiny error handler (status, the error's own headers, empty
 * body) so no middleware pays for Express's default HTML error page or its stderr logging.
 */
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { getHeapStatistics } from 'node:v8';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createGuard } from 'resource-guard';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import { expressjwt, type GetVerificationKey } from 'express-jwt';
import jwksRsa from 'jwks-rsa';
import { AUDIENCE, CLIENT_ID, CLIENT_SECRET, REQUIRED_SCOPE } from './constants.js';

/** Which middleware guards the route. */
export type MiddlewareId =
  | 'none' // (a) bare Express
  | 'jose' // (b) hand-written createRemoteJWKSet + jwtVerify + scope check
  | 'auth0' // (c) express-oauth2-jwt-bearer
  | 'express-jwt' // (d) express-jwt + jwks-rsa
  | 'resource-guard' // (e) resource-guard, from dist like a user
  | 'introspect'; // (f) hand-written cached introspection (opaque tokens)

export interface ServerConfig {
  middleware: MiddlewareId;
  /** The tokens' `iss`: a name, not where the authorization server listens (see as.ts). */
  issuer: string;
  /** Where its RFC 8414 metadata is served (resource-guard's `metadataUrl`). */
  metadataUrl: string;
  jwksUri: string;
  introspectionEndpoint: string;
  /** resource-guard: turn introspection on (the opaque-token scenarios). */
  introspection: boolean;
}

const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

class HttpError extends Error {
  constructor(readonly status: number) {
    super(String(status));
  }
}

function handler(_req: Request, res: Response): void {
  res.json({ ok: true });
}

/** (b): the per-request verification floor, as a user would write it with jose alone. */
function joseMiddleware(config: ServerConfig): RequestHandler {
  const jwks = createRemoteJWKSet(new URL(config.jwksUri));
  return (req, _res, next) => {
    const header = req.headers.authorization;
    if (header === undefined || !header.startsWith('Bearer ')) return next(new HttpError(401));
    jwtVerify(header.slice(7), jwks, { issuer: config.issuer, audience: AUDIENCE, algorithms: ALGORITHMS }).then(
      ({ payload }) => {
        const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
        next(scopes.includes(REQUIRED_SCOPE) ? undefined : new HttpError(403));
      },
      () => next(new HttpError(401)),
    );
  };
}

/** (d): express-jwt with jwks-rsa; express-jwt has no scope helper, so a three-line check. */
function expressJwtMiddlewares(config: ServerConfig): RequestHandler[] {
  const secret = jwksRsa.expressJwtSecret({ jwksUri: config.jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 10 });
  return [
    expressjwt({
      secret: secret as GetVerificationKey,
      audience: AUDIENCE,
      issuer: config.issuer,
      algorithms: ALGORITHMS as never,
    }),
    (req, _res, next) => {
      const scope = (req as Request & { auth?: { scope?: unknown } }).auth?.scope;
      next(typeof scope === 'string' && scope.split(' ').includes(REQUIRED_SCOPE) ? undefined : new HttpError(403));
    },
  ];
}

/**
 * (f): the hand-written floor for opaque tokens: RFC 7662 introspection with
 * client_secret_basic, results cached in a Map keyed by the token's SHA-256 until
 * min(exp, 5 min), one call shared by concurrent requests for the same token.
 */
function introspectMiddleware(config: ServerConfig): RequestHandler {
  interface Decision {
    active: boolean;
    scopes: string[];
    until: number;
  }
  const cache = new Map<string, Decision>();
  const inFlight = new Map<string, Promise<Decision>>();
  const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
  const call = async (token: string): Promise<Decision> => {
    const response = await fetch(config.introspectionEndpoint, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      signal: AbortSignal.timeout(5000),
    });
    if (response.status !== 200) throw new HttpError(503);
    const body = (await response.json()) as Record<string, unknown>;
    const now = Date.now();
    const exp = typeof body.exp === 'number' ? body.exp * 1000 : now + 300_000;
    const active = body.active === true && body.aud === AUDIENCE && exp > now;
    return { active, scopes: typeof body.scope === 'string' ? body.scope.split(' ') : [], until: Math.min(exp, now + 300_000) };
  };
  const decide = (key: string, token: string): Promise<Decision> => {
    let pending = inFlight.get(key);
    if (pending === undefined) {
      pending = call(token).then((decision) => {
        cache.set(key, decision);
        return decision;
      });
      const shared = pending.finally(() => inFlight.delete(key));
      inFlight.set(key, shared);
      pending = shared;
    }
    return pending;
  };
  const authorize = (decision: Decision, next: NextFunction) =>
    next(!decision.active ? new HttpError(401) : decision.scopes.includes(REQUIRED_SCOPE) ? undefined : new HttpError(403));
  return (req, _res, next) => {
    const header = req.headers.authorization;
    if (header === undefined || !header.startsWith('Bearer ')) return next(new HttpError(401));
    const token = header.slice(7);
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = cache.get(key);
    if (cached !== undefined && cached.until > Date.now()) return authorize(cached, next);
    decide(key, token).then((decision) => authorize(decision, next), (err: unknown) => next(err));
  };
}

function guardMiddlewares(config: ServerConfig): RequestHandler[] {
  switch (config.middleware) {
    case 'none':
      return [];
    case 'jose':
      return [joseMiddleware(config)];
    case 'auth0':
      return [auth({ issuer: config.issuer, jwksUri: config.jwksUri, audience: AUDIENCE }), requiredScopes(REQUIRED_SCOPE)];
    case 'express-jwt':
      return expressJwtMiddlewares(config);
    case 'resource-guard': {
      const guard = createGuard({
        issuer: config.issuer,
        metadataUrl: config.metadataUrl,
        audience: AUDIENCE,
        ...(config.introspection ? { introspection: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } } : {}),
      });
      return [guard.requireScopes(REQUIRED_SCOPE)];
    }
    case 'introspect':
      return [introspectMiddleware(config)];
  }
}

const errorHandler: ErrorRequestHandler = (err: { status?: number; statusCode?: number; headers?: Record<string, string> }, _req, res, _next) => {
  const status = err.status ?? err.statusCode ?? 500;
  if (status === 500) console.error('[bench server] unexpected error:', err);
  if (err.headers !== undefined) res.set(err.headers);
  res.status(status).end();
};

export function buildApp(config: ServerConfig): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/api/messages', ...guardMiddlewares(config), handler);
  app.use(errorHandler);
  return app;
}

function main(): void {
  // Run directly with tsx, source maps would be on and every formatted stack ~4× dearer;
  // a deployed API runs compiled JavaScript without them.
  process.setSourceMapsEnabled(false);
  const config = JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '') as ServerConfig;
  const server = buildApp(config).listen(0, '127.0.0.1', () => {
    process.send!({ type: 'ready', port: (server.address() as AddressInfo).port });
  });
  server.keepAliveTimeout = 60_000;
  let inspector: Session | undefined;
  process.on('message', (message: { type: string; text?: string }) => {
    if (message.type === 'usage') {
      const memory = process.memoryUsage();
      const heap = getHeapStatistics();
      process.send!({
        type: 'usage',
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        maxRss: process.resourceUsage().maxRSS * 1024,
        // All threads: the main thread, the libuv pool (crypto), V8's GC and compiler threads.
        cpu: process.cpuUsage(),
        heap: { used: heap.used_heap_size, total: heap.total_heap_size, malloced: heap.malloced_memory, external: heap.external_memory },
      });
    } else if (message.type === 'mark') {
      // The profile's clock: V8 stamps samples with the same monotonic clock, in µs.
      process.send!({ type: 'mark', at: Number(process.hrtime.bigint() / 1000n) });
    } else if (message.type === 'say') {
      // Synchronous, so the line lands between the --trace-gc lines written before and after.
      writeSync(1, `${message.text ?? ''}\n`);
      process.send!({ type: 'say' });
    } else if (message.type === 'heap-sampling-start') {
      inspector = new Session();
      inspector.connect();
      // Node's typings predate the two include flags; V8 11 (Node 20) has them.
      const sampling = { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
      void inspector.post('HeapProfiler.startSampling', sampling).then(() => process.send!({ type: 'heap-sampling-start' }));
    } else if (message.type === 'heap-sampling-stop' && inspector !== undefined) {
      const session = inspector;
      inspector = undefined;
      void session.post('HeapProfiler.stopSampling').then(({ profile }) => {
        session.disconnect();
        process.send!({ type: 'heap-sampling-stop', profile });
      });
    } else if (message.type === 'stop') {
      server.closeAllConnections();
      server.close();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.env.BENCH_SERVER_CONFIG !== undefined) main();
