/**
 * The `resource-guard:token:*` and `resource-guard:authorization:denied` events: built from
 * what was decided, never from the token itself (only its kind, and its `iss` when that is
 * one of the configured issuers). Nothing is computed unless someone subscribes.
 */
import type { AuthInfo } from '../auth/info.js';
import { OAuthError } from '../errors/oauth-error.js';
import { CHANNELS, isObserved, publish, secondsSince } from '../events/channels.js';
import { decodeJws } from '../jwt/verify.js';
import { fullDescriptionOf, reasonOf } from '../auth/reasons.js';

type Scheme = 'Bearer' | 'DPoP';

function schemeOf(auth: AuthInfo): Scheme {
  return (auth as { scheme?: Scheme }).scheme ?? 'Bearer';
}

/** A token was verified; `start` is a `performance.now()` reading. */
export function publishAccepted(auth: AuthInfo, start: number, cached: boolean): void {
  // On the hot path: not even the payload's closure unless someone listens.
  if (!isObserved(CHANNELS.tokenAccepted)) return;
  publish(CHANNELS.tokenAccepted, () => ({
    issuer: auth.issuer,
    tokenType: auth.tokenType,
    scheme: schemeOf(auth),
    clientId: auth.clientId,
    cached,
    duration: secondsSince(start),
  }));
}

/** A request's credentials were refused; `token` is `undefined` when none was presented. */
export function publishRejected(
  err: unknown,
  token: string | undefined,
  issuers: readonly string[],
  start: number,
  scheme: Scheme = 'Bearer',
): void {
  if (!isObserved(CHANNELS.tokenRejected)) return;
  publish(CHANNELS.tokenRejected, () => {
    const decoded = typeof token === 'string' && token.length > 0 ? decodeJws(token) : undefined;
    const iss = decoded?.payload.iss;
    const oauth = err instanceof OAuthError ? err : undefined;
    return {
      status: oauth?.status ?? 500,
      code: oauth?.code ?? 'server_error',
      reason: reasonOf(err),
      description: oauth === undefined ? 'internal error' : fullDescriptionOf(oauth),
      issuer: typeof iss === 'string' && issuers.includes(iss) ? iss : undefined,
      tokenType: typeof token !== 'string' || token.length === 0 ? undefined : decoded === undefined ? 'opaque' : 'jwt',
      scheme,
      duration: secondsSince(start),
    };
  });
}

/** A valid token lacked what the route requires (403). */
export function publishDenied(err: OAuthError, auth: AuthInfo, required: readonly string[]): void {
  publish(CHANNELS.authorizationDenied, () => ({
    status: err.status,
    code: err.code,
    description: fullDescriptionOf(err),
    issuer: auth.issuer,
    tokenType: auth.tokenType,
    clientId: auth.clientId,
    required: [...required],
  }));
}
