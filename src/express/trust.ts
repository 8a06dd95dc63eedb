/**
 * Which `req.auth` a guard may take as it is: only an `AuthInfo` this guard itself set on a
 * request (DESIGN: "a guard trusts only an AuthInfo it produced itself"), and only while the
 * audience and client rule of the route in effect accept it. Anything else on `req.auth`
 * (another guard's, one the app built, one this guard verified for another audience) is
 * verified again from the request's token: with two guards on one app, a token of one must
 * never pass the other's routes because the first one vouched for it.
 *
 * Kept as a `WeakSet` of the guard's `AuthInfo`s, not as a mark on each request: a cached
 * decision is one shared object, so a request that reuses it adds nothing (a per-request
 * `WeakMap` entry or property cost ~3 µs a request, measured), and the set forgets an
 * `AuthInfo` with its last reference.
 */
import type { Request } from 'express';
import { acceptsAudience } from '../auth/audience.js';
import { clientRefusal } from '../auth/client.js';
import type { AuthInfo } from '../auth/info.js';
import type { TokenVerifier } from '../verify/verifier.js';
import { routeOf } from './route.js';

const VOUCHED = new WeakMap<TokenVerifier, WeakSet<AuthInfo>>();

/** Sets `req.auth` to `auth`, which `verifier` has just verified for this request. */
export function vouch(verifier: TokenVerifier, req: Request, auth: AuthInfo): void {
  let vouched = VOUCHED.get(verifier);
  if (vouched === undefined) VOUCHED.set(verifier, (vouched = new WeakSet()));
  vouched.add(auth);
  req.auth = auth;
}

/**
 * `req.auth` when `verifier` produced it and the route's audience and client rule accept it;
 * `undefined` otherwise, and the caller authenticates the request itself.
 */
export function vouchedAuth(verifier: TokenVerifier, req: Request): AuthInfo | undefined {
  const auth = req.auth;
  if (auth === undefined || VOUCHED.get(verifier)?.has(auth) !== true) return undefined;
  const { audience } = routeOf(req, verifier);
  const accepted = acceptsAudience(auth, audience) && clientRefusal(auth, verifier.config.clientIds, audience.anyAudience !== true) === undefined;
  return accepted ? auth : undefined;
}
