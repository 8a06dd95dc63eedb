/**
 * Lifts a framework-free authorization check (`auth/rules.ts`) into an Express middleware that
 * authenticates first unless this guard did already on this request (as `requireScopes` does), so one
 * middleware can guard a route. Refusals carry the route's challenge.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthInfo } from '../auth/info.js';
import { OAuthError } from '../errors/oauth-error.js';
import { Authentication, type Continuation } from './authentication.js';
import { routeOf } from './route.js';
import { vouchedAuth } from './trust.js';
import { withSenderChallenge } from '../sender/challenge.js';
import { publishDenied } from '../verify/token-events.js';
import type { TokenVerifier } from '../verify/verifier.js';

/**
 * What a route checks once the request is authenticated: `undefined` (or a promise of it) to
 * go on, an `OAuthError` to refuse. A thrown error or a rejected promise reaches `next(err)`
 * as it is (an `OAuthError` with the route's challenge).
 */
export type AuthorizationCheck = (
  auth: AuthInfo,
  req: Request,
) => OAuthError | undefined | PromiseLike<OAuthError | undefined>;

/** `check` as a middleware named `name` (for stack traces and route listings). */
export function authorizingMiddleware(verifier: TokenVerifier, check: AuthorizationCheck, name: string): RequestHandler {
  // Like every 401 of the route (a step-up), naming each accepted scheme; a 403 the one used.
  const refuse = (req: Request, next: NextFunction, err: unknown): void => {
    if (!(err instanceof OAuthError)) return next(err);
    const scope = err.challenge.scope;
    publishDenied(err, req.auth!, typeof scope === 'string' ? scope.split(' ') : []);
    const { sender } = verifier.config;
    next(err.withContext(withSenderChallenge(routeOf(req, verifier).challenge, sender, sender.dpop, req.auth?.scheme)));
  };
  const authorize: Continuation = (req, _res, next) => {
    let outcome: ReturnType<AuthorizationCheck>;
    try {
      outcome = check(req.auth!, req);
    } catch (err) {
      return refuse(req, next, err);
    }
    if (outcome === undefined) return next();
    if (outcome instanceof OAuthError) return refuse(req, next, outcome);
    Promise.resolve(outcome).then(
      (err) => (err === undefined ? next() : refuse(req, next, err)),
      (err: unknown) => refuse(req, next, err),
    );
  };
  const authentication = new Authentication(verifier, false, verifier.config.sender.dpop, authorize);
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (vouchedAuth(verifier, req) !== undefined) return authorize(req, res, next);
    authentication.run(req, res, next);
  };
  Object.defineProperty(middleware, 'name', { value: name });
  return middleware;
}

/**
 * A request that passed the guard: `req.auth` is set, and its claims have the guard's
 * `Claims` type (`createGuard<Claims>()`). Express's own `Request` only knows
 * `auth?: AuthInfo` with untyped claims; this type is for handlers made with
 * `guard.handler()`, or for handlers you type yourself.
 *
 * @example
 * ```ts
 * interface Claims { tenant: string; roles: string[] }
 * const guard = createGuard<Claims>({ issuer, audience });
 * function listInvoices(req: AuthenticatedRequest<Claims>, res: Response) {
 *   res.json(invoicesOf(req.auth.claims.tenant));
 * }
 * app.get('/invoices', guard.handler(listInvoices));
 * ```
 */
export type AuthenticatedRequest<Claims extends object = object> = Request & {
  auth: AuthInfo<Claims>;
};

/** A route handler that runs once the request is authenticated; see `guard.handler()`. */
export type AuthenticatedHandler<Claims extends object = object> = (
  req: AuthenticatedRequest<Claims>,
  res: Response,
  next: NextFunction,
) => unknown;

/**
 * `handler` as a middleware that authenticates first unless this guard did already on this request. What it
 * throws, and what its promise rejects with, reach `next(err)` on Express 4 as on 5.
 */
export function authenticatedHandler<Claims extends object>(
  verifier: TokenVerifier,
  handler: AuthenticatedHandler<Claims>,
): RequestHandler {
  if (typeof handler !== 'function') throw new TypeError('handler() needs a function (req, res, next)');
  const run = (req: Request, res: Response, next: NextFunction) => {
    let result: unknown;
    try {
      result = handler(req as AuthenticatedRequest<Claims>, res, next);
    } catch (err) {
      next(err);
      return;
    }
    if (isThenable(result)) {
      Promise.resolve(result).then(undefined, (err: unknown) => next(err ?? new Error('handler rejected')));
    }
  };
  const authentication = new Authentication(verifier, false, verifier.config.sender.dpop, run);
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (vouchedAuth(verifier, req) !== undefined) return run(req, res, next);
    authentication.run(req, res, next);
  };
  Object.defineProperty(middleware, 'name', { value: handler.name || 'handler' });
  return middleware;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
