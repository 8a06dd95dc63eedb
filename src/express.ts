/**
 * The thin Express adapter: read the request, call the core, set `req.auth`, pass any
 * `OAuthError` to `next(err)`. Works with Express 4 and 5 (callbacks only, no promises
 * returned to the router). Nothing here decides anything about a token.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthInfo } from './auth-info.js';
import { insufficientScope, missingToken, OAuthError } from './errors.js';
import { buildMetadata, metadataUrlOf } from './metadata.js';
import { hasAllScopes, hasAnyScope } from './scopes.js';
import { extractToken } from './token.js';
import type { TokenVerifier } from './verifier.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by resource-guard once the request's token is verified. */
      auth?: AuthInfo;
    }
  }
}

/** Options of `guard.authenticate()`. */
export interface AuthenticateOptions {
  /** Let requests without any token through with `req.auth` unset. A bad token still fails. Default: false. */
  optional?: boolean;
}

/** Authenticates the request, then calls `done` with no error (req.auth may stay unset when optional). */
function authenticateRequest(
  verifier: TokenVerifier,
  req: Request,
  optional: boolean,
  done: (err?: unknown) => void,
): void {
  let token: string | undefined;
  try {
    token = extractToken(
      { headers: { ...req.headers, authorization: req.headersDistinct?.authorization ?? req.headers.authorization }, method: req.method, query: req.query, body: req.body },
      verifier.config.tokenLocations,
    );
  } catch (err) {
    done(err instanceof OAuthError ? err.withContext(verifier.challenge) : err);
    return;
  }
  if (token === undefined) {
    done(optional ? undefined : missingToken().withContext(verifier.challenge));
    return;
  }
  const hash = verifier.hash(token);
  const cached = verifier.cached(hash);
  if (cached !== undefined) {
    req.auth = cached;
    done();
    return;
  }
  verifier.verify(token, hash).then(
    (auth) => {
      req.auth = auth;
      done();
    },
    done,
  );
}

/** `guard.authenticate()`. */
export function authenticateMiddleware(verifier: TokenVerifier, options: AuthenticateOptions = {}): RequestHandler {
  const optional = options.optional ?? false;
  return function authenticate(req: Request, _res: Response, next: NextFunction) {
    if (req.auth !== undefined) return next();
    authenticateRequest(verifier, req, optional, next);
  };
}

/** `guard.requireScopes()` (every scope) and `guard.requireAnyScope()` (one of them). */
export function scopeMiddleware(verifier: TokenVerifier, scopes: readonly string[], mode: 'all' | 'any'): RequestHandler {
  const check = mode === 'all' ? hasAllScopes : hasAnyScope;
  const phrase = mode === 'all' ? 'token lacks required scope' : 'token has none of the accepted scopes';
  const authorize = (req: Request, next: NextFunction) => {
    const auth = req.auth!;
    if (check(auth.scopes, scopes)) return next();
    const missing = mode === 'all' ? scopes.filter((s) => !auth.scopes.includes(s)) : scopes;
    next(insufficientScope(scopes, `${phrase}: ${missing.join(' ')}`).withContext(verifier.challenge));
  };
  return function requireScopes(req: Request, _res: Response, next: NextFunction) {
    if (req.auth !== undefined) return authorize(req, next);
    authenticateRequest(verifier, req, false, (err) => (err === undefined ? authorize(req, next) : next(err)));
  };
}

/**
 * `guard.metadata()`: serves the RFC 9728 document. As a route handler (`app.get(path, …)`)
 * it answers on that route; with `app.use()` it answers GET/HEAD on this API's well-known
 * path (RFC 9728 §3.1) and passes everything else on.
 */
export function metadataMiddleware(verifier: TokenVerifier, scopes: ReadonlySet<string>): RequestHandler {
  const wellKnownPath = metadataUrlOf(verifier.config.resource)?.pathname;
  return function metadata(req: Request, res: Response, next: NextFunction) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (req.route === undefined && req.path !== wellKnownPath && (req.baseUrl + req.path) !== wellKnownPath) return next();
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.json(buildMetadata(verifier.config, scopes));
  };
}
