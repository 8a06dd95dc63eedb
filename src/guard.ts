/**
 * `createGuard`: validates the options once and wires the parts together.
 */
import type { RequestHandler } from 'express';
import type { AuthInfo } from './auth-info.js';
import {
  authenticateMiddleware,
  metadataMiddleware,
  scopeMiddleware,
  type AuthenticateOptions,
} from './express.js';
import { metadataUrlOf } from './metadata.js';
import { normalizeOptions, type GuardOptions } from './options.js';
import { checkScopeNames } from './scopes.js';
import { TokenVerifier } from './verifier.js';

/** A configured guard: Express middlewares plus a framework-free `verify`. */
export interface Guard {
  /**
   * Verifies a token without Express: resolves with its {@link AuthInfo} or rejects with an
   * `OAuthError` (status, code, description, headers ready to send).
   *
   * @example
   * ```ts
   * const auth = await guard.verify(token);
   * ```
   */
  verify(token: string): Promise<AuthInfo>;
  /**
   * Middleware that requires a valid bearer token and sets `req.auth`. Failures reach
   * `next(err)` as `OAuthError`: 401 (no or bad token), 400 (malformed request), 503 (the
   * authorization server could not decide).
   *
   * @example
   * ```ts
   * app.use('/api', guard.authenticate());
   * app.get('/api/me', guard.authenticate({ optional: true }), handler);
   * ```
   */
  authenticate(options?: AuthenticateOptions): RequestHandler;
  /**
   * Middleware that requires every one of `scopes` (403 `insufficient_scope` otherwise).
   * Authenticates first when `req.auth` is not set yet.
   *
   * @example
   * ```ts
   * app.post('/api/messages', guard.requireScopes('messages:write'), handler);
   * ```
   */
  requireScopes(...scopes: string[]): RequestHandler;
  /**
   * Middleware that requires at least one of `scopes` (403 `insufficient_scope` otherwise).
   * Authenticates first when `req.auth` is not set yet.
   *
   * @example
   * ```ts
   * app.get('/api/report', guard.requireAnyScope('reports:read', 'admin'), handler);
   * ```
   */
  requireAnyScope(...scopes: string[]): RequestHandler;
  /**
   * Serves this API's RFC 9728 protected resource metadata.
   *
   * @example
   * ```ts
   * app.get('/.well-known/oauth-protected-resource', guard.metadata());
   * ```
   * @see [RFC 9728 §3](https://www.rfc-editor.org/rfc/rfc9728#section-3)
   */
  metadata(): RequestHandler;
}

/**
 * Creates a guard for one API. Validates `options` at once: a bad option throws a
 * `TypeError` naming it. Nothing is fetched until the first request.
 *
 * @example
 * ```ts
 * const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com' });
 * app.use('/api', guard.authenticate());
 * app.get('/api/messages', guard.requireScopes('messages:read'), handler);
 * ```
 */
export function createGuard(options: GuardOptions): Guard {
  const config = normalizeOptions(options);
  const verifier = new TokenVerifier(config, {
    realm: config.realm,
    resourceMetadata: metadataUrlOf(config.resource)?.href,
  });
  const declaredScopes = new Set<string>();
  const declare = (scopes: string[], method: string) => {
    const checked = checkScopeNames(scopes, method);
    for (const scope of checked) declaredScopes.add(scope);
    return checked;
  };
  return {
    verify: (token) => verifier.verify(token),
    authenticate: (authOptions) => authenticateMiddleware(verifier, authOptions),
    requireScopes: (...scopes) => scopeMiddleware(verifier, declare(scopes, 'requireScopes'), 'all'),
    requireAnyScope: (...scopes) => scopeMiddleware(verifier, declare(scopes, 'requireAnyScope'), 'any'),
    metadata: () => metadataMiddleware(verifier, declaredScopes),
  };
}
