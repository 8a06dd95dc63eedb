/**
 * Which `req.auth` a guard may take as it is: only the `AuthInfo` it set on this very request
 * itself, and only while the audience of the route in effect accepts it. Anything else on
 * `req.auth` (another guard's, the app's own, one this guard produced for another audience,
 * one copied from another request) is verified again from the request's token: with two
 * guards on one app, a token of one must never pass the other's routes because the first
 * one vouched for it.
 *
 * Kept per guard (its verifier) in a `WeakMap` keyed by the request: no allocation per
 * request, nothing added to Express's `Request`, gone with the request.
 */
import type { Request } from 'express';
import { acceptsAudience } from '../auth/audience.js';
import { clientRefusal } from '../auth/client.js';
import type { AuthInfo } from '../auth/info.js';
import type { TokenVerifier } from '../verify/verifier.js';
import { routeOf } from './route.js';

const VOUCHED = new WeakMap<TokenVerifier, WeakMap<Request, AuthInfo>>();

/** Sets `req.auth` to `auth`, which `verifier` has just verified for this request. */
export function vouch(verifier: TokenVerifier, req: Request, auth: AuthInfo): void {
  let vouched = VOUCHED.get(verifier);
  if (vouched === undefined) {
    vouched = new WeakMap();
    VOUCHED.set(verifier, vouched);
  }
  vouched.set(req, auth);
  req.auth = auth;
}

/**
 * `req.auth` when `verifier` set it on this request and the route's audience and client rule
 * accept it;
 * `undefined` otherwise, and the caller authenticates the request itself.
 */
export function vouchedAuth(verifier: TokenVerifier, req: Request): AuthInfo | undefined {
  const auth = req.auth;
  if (auth === undefined || VOUCHED.get(verifier)?.get(req) !== auth) return undefined;
  const { audience } = routeOf(req, verifier);
  const accepted = acceptsAudience(auth, audience) && clientRefusal(auth, verifier.config.clientIds, audience.anyAudience !== true) === undefined;
  return accepted ? auth : undefined;
}
