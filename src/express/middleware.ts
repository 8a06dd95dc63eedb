/**
 * Folder `express/`: the Express edge (middlewares, `req.auth`, route audiences, the metadata
 * route, the error handler). Its one rule: nothing here decides anything about a token; it
 * reads the request, asks `verify/`, and answers. Another framework's adapter is a sibling.
 *
 * The thin Express adapter: read the request, call the core, set `req.auth`, pass any
 * `OAuthError` to `next(err)`. Works with Express 4 and 5 (callbacks only, no promises
 * returned to the router). Nothing here decides anything about a token.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { OAuthError } from '../errors/oauth-error.js';
import { insufficientScope } from '../errors/factories.js';
import { checkOptionNames, optionNames } from '../errors/unknown-option.js';
import { hasAllScopes, hasAnyScope } from '../auth/scopes.js';
import { toDpopMode, type DpopMode } from '../options/sender.js';
import { withSenderChallenge } from '../sender/challenge.js';
import { routeSchemeError } from '../verify/sender.js';
import { publishDenied, publishRejected } from '../verify/token-events.js';
import type { TokenVerifier } from '../verify/verifier.js';
import { Authentication, type Continuation } from './authentication.js';
import { buildMetadata } from './metadata.js';
import { requestOrigin } from './request.js';
import type { ResourceRegistry } from './resources.js';
import { compileRouteAudience, routeOf } from './route.js';
import { vouchedAuth } from './trust.js';

/** Options of `guard.authenticate()`. */
export interface AuthenticateOptions {
  /**
   * Let requests without any token through with `req.auth` unset (a `req.auth` something
   * else put there is removed). A bad token still fails. Default: false.
   */
  optional?: boolean;
  /**
   * The audience(s) this route accepts instead of the guard's `audience`: a token passes
   * when one of its `aud` values is one of these. The first one is the route's resource: its
   * challenges name that resource's RFC 9728 metadata URL, and `app.use(guard.metadata())`
   * serves that document too. Later middlewares on the request (`requireScopes`, …) that
   * authenticate by themselves check this audience as well, and a `req.auth` set earlier
   * for another audience is checked again here.
   *
   * A guard takes `req.auth` as it is only when it set it itself, on this request, for an
   * audience the route accepts; one set by another guard or by the app is verified again
   * from the request's token, with this guard's issuers and audience.
   *
   * `'request-url'` (RFC 8707, as MCP clients use it): the token's `aud` must be this route's
   * resource URL, the request's origin plus {@link resourcePath}, compared as URLs (a
   * trailing slash and a default port do not matter). The origin honours Express's
   * `trust proxy` setting (`X-Forwarded-Proto`/`X-Forwarded-Host` from trusted proxies only).
   *
   * > [!WARNING]
   * > With `'request-url'` the client's `Host` header (or a trusted proxy's
   * > `X-Forwarded-Host`) picks the audience. When the authorization server also mints
   * > tokens for other resources, a token for `https://other.example.com/mcp` sent here with
   * > `Host: other.example.com` would pass: pin {@link origins}, or let only a proxy that
   * > routes by host reach the app.
   *
   * The guard's `clientIds`, when set, still apply on the route: both must hold.
   *
   * Default: the guard's `audience` (none compared for a guard with `clientIds` alone).
   *
   * @example
   * ```ts
   * app.use('/billing', guard.authenticate({ audience: 'https://api.example.com/billing' }));
   * app.use('/mcp', guard.authenticate({ audience: 'request-url' })); // aud: https://<host>/mcp
   * ```
   * @see [RFC 8707 §2 - Access Token Request](https://www.rfc-editor.org/rfc/rfc8707#section-2)
   */
  audience?: string | readonly string[] | 'request-url';
  /**
   * With `audience: 'request-url'`: the path of the resource, such as `'/mcp'`. Declaring it
   * lets `guard.metadata()` serve the resource's document before any request reached the
   * route. Default: where the middleware is mounted (`app.use('/mcp', …)` or a router at
   * `/mcp` gives `/mcp`; on a route, `app.post('/mcp', …)`, the path requested).
   */
  resourcePath?: string;
  /**
   * With `audience: 'request-url'`: the only origins the resource may have, such as
   * `['https://api.example.com']`. A request addressed to another origin accepts no token
   * (401 `invalid_token`, "audience mismatch"). Default: any origin the request names.
   */
  origins?: readonly string[];
  /**
   * DPoP (RFC 9449) on this route: `'required'` accepts only DPoP-bound tokens with a valid
   * proof, `'disabled'` does not understand the `DPoP` scheme, `'allowed'` takes both.
   * Default: the guard's `dpop` option.
   *
   * @example
   * ```ts
   * app.use('/payments', guard.authenticate({ dpop: 'required' }));
   * ```
   */
  dpop?: DpopMode;
}

/** Every option name of `authenticate()`, for the strict check. */
export const AUTHENTICATE_OPTIONS = optionNames<AuthenticateOptions>({
  optional: true,
  audience: true,
  resourcePath: true,
  origins: true,
  dpop: true,
});

/** What `authenticate()` does once the request is authenticated: nothing more. */
const passOn: Continuation = (_req, _res, next) => next();

/** `guard.authenticate()`. */
export function authenticateMiddleware(
  verifier: TokenVerifier,
  options: AuthenticateOptions = {},
  resources?: ResourceRegistry,
): RequestHandler {
  if (typeof options !== 'object' || options === null) throw new TypeError('authenticate(): options must be an object');
  checkOptionNames(options, AUTHENTICATE_OPTIONS, 'authenticate()');
  const optional = options.optional ?? false;
  const dpop = toDpopMode(options.dpop, 'authenticate(): "dpop"', verifier.config.sender.dpop);
  const resolveRoute = resources === undefined ? undefined : compileRouteAudience(verifier, resources, options);
  const authentication = new Authentication(verifier, optional, dpop, passOn);
  return function authenticate(req: Request, res: Response, next: NextFunction) {
    try {
      resolveRoute?.(req);
    } catch (err) {
      publishRejected(err, undefined, verifier.config.issuers, performance.now());
      return next(err instanceof OAuthError ? err.withContext(withSenderChallenge(verifier.challenge, verifier.config.sender, dpop)) : err);
    }
    // Verified earlier on this request by this guard, for an audience this route accepts:
    // taken as it is. Anything else is verified again from the request's token (trust.ts).
    const auth = vouchedAuth(verifier, req);
    if (auth === undefined) return authentication.run(req, res, next);
    const refused = routeSchemeError(auth, dpop);
    if (refused !== undefined) {
      return next(refused.withContext(withSenderChallenge(routeOf(req, verifier).challenge, verifier.config.sender, dpop, auth.scheme)));
    }
    next();
  };
}

/** `guard.requireScopes()` (every scope) and `guard.requireAnyScope()` (one of them). */
export function scopeMiddleware(verifier: TokenVerifier, scopes: readonly string[], mode: 'all' | 'any'): RequestHandler {
  const check = mode === 'all' ? hasAllScopes : hasAnyScope;
  const phrase = mode === 'all' ? 'token lacks required scope' : 'token has none of the accepted scopes';
  const authorize: Continuation = (req, _res, next) => {
    const auth = req.auth!;
    if (check(auth.scopes, scopes)) return next();
    const missing = mode === 'all' ? scopes.filter((s) => !auth.scopes.includes(s)) : scopes;
    const denied = insufficientScope(scopes, `${phrase}: ${missing.join(' ')}`);
    publishDenied(denied, auth, scopes);
    next(denied.withContext({ ...routeOf(req, verifier).challenge, scheme: auth.scheme }));
  };
  const authentication = new Authentication(verifier, false, verifier.config.sender.dpop, authorize);
  return function requireScopes(req: Request, res: Response, next: NextFunction) {
    if (vouchedAuth(verifier, req) !== undefined) return authorize(req, res, next);
    authentication.run(req, res, next);
  };
}

/**
 * `guard.metadata()`: serves the RFC 9728 document. As a route handler (`app.get(path, …)`)
 * it answers on that route; with `app.use()` it answers GET/HEAD on this API's well-known
 * path (RFC 9728 §3.1) and passes everything else on.
 */
export function metadataMiddleware(
  verifier: TokenVerifier,
  scopes: ReadonlySet<string>,
  resources: ResourceRegistry,
): RequestHandler {
  return function metadata(req: Request, res: Response, next: NextFunction) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    // Each resource of this API (the guard's, routes' audiences, 'request-url' routes) at its
    // own well-known path; as a route handler, the guard's document wherever it is mounted.
    const origin = requestOrigin(req);
    const resource =
      resources.resourceAt(req.baseUrl + req.path, origin) ??
      resources.resourceAt(req.path, origin) ??
      (req.route === undefined ? undefined : verifier.config.resource);
    if (resource === undefined) return next();
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.json(buildMetadata(verifier.config, scopes, resource));
  };
}
