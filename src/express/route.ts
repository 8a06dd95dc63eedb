/**
 * Per-route audiences for the Express adapter: what `authenticate({ audience })` accepts on
 * each request, which resource its challenges name, and where the later middlewares of the
 * same request (`requireScopes`, `requireClaims`, …) find both when they authenticate by
 * themselves.
 *
 * The route's decision is kept per guard, beside the request (a `WeakMap` keyed by the
 * request), so Express's global `Request` type gains nothing beyond `req.auth`, and one
 * guard's route audience never becomes another guard's: with two guards on one request,
 * each checks its own.
 */
import type { Request } from 'express';
import { exactAudience, resourceUrlAudience, type AudienceCheck } from '../auth/audience.js';
import type { ChallengeContext } from '../errors/oauth-error.js';
import { metadataUrlOf } from './metadata.js';
import { requestUrl } from './request.js';
import type { ResourceRegistry } from './resources.js';
import type { TokenVerifier } from '../verify/verifier.js';

/** What one request's route accepts, and the challenge context its failures render with. */
export interface RouteContext {
  readonly audience: AudienceCheck;
  readonly challenge: ChallengeContext;
}

/** The route audience options of `guard.authenticate()`. */
export interface RouteAudienceOptions {
  audience?: string | readonly string[] | 'request-url' | undefined;
  resourcePath?: string | undefined;
  origins?: readonly string[] | undefined;
}

/** Per guard (its verifier), the route context its middlewares set on each request. */
const ROUTES = new WeakMap<TokenVerifier, WeakMap<Request, RouteContext>>();

function routesOf(verifier: TokenVerifier): WeakMap<Request, RouteContext> {
  let routes = ROUTES.get(verifier);
  if (routes === undefined) {
    routes = new WeakMap();
    ROUTES.set(verifier, routes);
  }
  return routes;
}

/** The route context a middleware of this guard set earlier on this request, or the guard's. */
export function routeOf(req: Request, verifier: TokenVerifier): RouteContext {
  return ROUTES.get(verifier)?.get(req) ?? verifier;
}

/**
 * Validates `authenticate()`'s audience options once, at start-up, and returns what runs per
 * request: it resolves the route context and leaves it on the request, or throws 400
 * `invalid_request` when a `'request-url'` route cannot tell which URL the request addressed.
 * `undefined` when the route keeps the guard's audience.
 */
export function compileRouteAudience(
  verifier: TokenVerifier,
  registry: ResourceRegistry,
  options: RouteAudienceOptions,
): ((req: Request) => RouteContext) | undefined {
  const { audience, resourcePath, origins } = options;
  const routes = routesOf(verifier);
  if (audience !== 'request-url') {
    if (resourcePath !== undefined || origins !== undefined) {
      throw new TypeError('authenticate(): "resourcePath" and "origins" go with audience: \'request-url\'');
    }
    if (audience === undefined) return undefined;
    const route = fixedRoute(verifier, registry, audienceList(audience));
    return (req) => {
      routes.set(req, route);
      return route;
    };
  }
  const declaredPath = resourcePath === undefined ? undefined : checkResourcePath(resourcePath);
  if (declaredPath !== undefined) registry.addRequestPath(declaredPath);
  const allowed = origins === undefined ? undefined : new Set(originList(origins));
  const refuseAll: RouteContext = { audience: exactAudience([]), challenge: verifier.challenge };
  return (req) => {
    // Throws 400 for a malformed Host or a path that could be read as another one.
    const { origin } = requestUrl(req, undefined);
    let route = refuseAll;
    if (allowed === undefined || allowed.has(origin)) {
      const path = declaredPath ?? mountPath(req);
      if (declaredPath === undefined) registry.addRequestPath(path, true);
      const resource = `${origin}${path}`;
      route = {
        audience: resourceUrlAudience(resource),
        challenge: { realm: verifier.challenge.realm, resourceMetadata: metadataUrlOf(resource)?.href, describe: verifier.challenge.describe },
      };
    }
    routes.set(req, route);
    return route;
  };
}

function fixedRoute(verifier: TokenVerifier, registry: ResourceRegistry, audiences: readonly string[]): RouteContext {
  const resource = audiences[0]!;
  registry.addResource(resource);
  return Object.freeze({
    audience: exactAudience(audiences),
    challenge: Object.freeze({
      realm: verifier.challenge.realm,
      resourceMetadata: metadataUrlOf(resource)?.href ?? verifier.challenge.resourceMetadata,
      describe: verifier.challenge.describe,
    }),
  });
}

function audienceList(audience: string | readonly string[]): readonly string[] {
  const list = typeof audience === 'string' ? [audience] : audience;
  if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== 'string' || a.length === 0)) {
    throw new TypeError('authenticate(): "audience" must be a non-empty string, an array of them, or \'request-url\'');
  }
  if (list.includes('request-url')) {
    throw new TypeError('authenticate(): \'request-url\' stands alone, not in an audience list');
  }
  return [...new Set(list as string[])];
}

function checkResourcePath(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new TypeError(`authenticate(): "resourcePath" must be a path starting with "/" (got ${JSON.stringify(path)})`);
  }
  return path.replace(/\/+$/, '');
}

function originList(origins: readonly string[]): string[] {
  if (!Array.isArray(origins) || origins.length === 0) {
    throw new TypeError('authenticate(): "origins" must be a non-empty array of origins');
  }
  return origins.map((origin) => {
    const url = typeof origin === 'string' && URL.canParse(origin) ? new URL(origin) : undefined;
    if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '') {
      throw new TypeError(`authenticate(): "origins" entries must be origins like "https://api.example.com" (got ${JSON.stringify(origin)})`);
    }
    return url.origin;
  });
}

/**
 * Where the middleware is mounted: `app.use('/mcp', …)` (or a router mounted there) gives
 * `/mcp`; on a route (`app.post('/mcp', …)`) the route's path as requested. No trailing slash.
 */
function mountPath(req: Request): string {
  const path = req.route === undefined ? req.baseUrl : `${req.baseUrl}${req.path}`;
  return path.replace(/\/+$/, '');
}
