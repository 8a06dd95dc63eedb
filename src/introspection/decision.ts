/**
 * What an introspection answer means for this API (RFC 7662 §4): `active` is not enough, the
 * answer is still checked against the guard's own expectations, and how long it may be kept.
 *
 * @see [RFC 7662 §4 - Security Considerations](https://www.rfc-editor.org/rfc/rfc7662#section-4)
 */
import { invalidToken } from '../errors/factories.js';
import { declaredNonAccessUse, isRefreshUse } from '../auth/token-use.js';
import type { IntrospectionConfig } from '../options/introspection.js';
import type { GuardConfig } from '../options/normalize.js';
import type { IntrospectionResponse } from './request.js';

/** Refuses `response` unless it is active and fits this API: time, issuer, audience, token type. */
export function checkAnswer(
  response: IntrospectionResponse,
  config: Pick<GuardConfig, 'clockTolerance' | 'issuers' | 'audiences'>,
  options: Pick<IntrospectionConfig, 'requireAudience'>,
): void {
  if (!response.active) throw invalidToken('token is not active');
  const now = Date.now() / 1000;
  const tolerance = config.clockTolerance;
  if (response.exp !== undefined) {
    if (typeof response.exp !== 'number') throw invalidToken('introspection "exp" is not a number');
    if (now - tolerance >= response.exp) throw invalidToken(`token expired ${Math.floor(now - response.exp)} s ago`);
  }
  if (typeof response.nbf === 'number' && response.nbf > now + tolerance) {
    throw invalidToken('token not valid yet');
  }
  if (response.iss !== undefined && !config.issuers.includes(response.iss)) {
    throw invalidToken('issuer not trusted');
  }
  // Whether `aud` names this resource is checked per call (auth/audience.ts): routes may differ.
  // An `aud` naming nothing (Ory Hydra answers `aud: []`) is a mismatch for a guard with an
  // audience, and no audience for one with `clientIds` alone, which does not compare it.
  const audiences = response.aud === undefined ? [] : (Array.isArray(response.aud) ? response.aud : [response.aud]).filter((a) => typeof a === 'string');
  if (audiences.length === 0 && response.aud !== undefined && config.audiences.length > 0) throw invalidToken('audience mismatch');
  if (audiences.length === 0 && options.requireAudience) throw invalidToken('introspection response has no audience');
  // RFC 7662 lets a server answer active for a refresh token; some say which it was.
  if (typeof response.token_type === 'string' && /refresh/i.test(response.token_type)) {
    throw invalidToken('refresh tokens are not access tokens');
  }
  const use = declaredNonAccessUse(response);
  if (use !== undefined && isRefreshUse(use.value)) throw invalidToken('refresh tokens are not access tokens');
  if (use !== undefined) throw invalidToken(`token type "${use.value}" (claim ${use.claim}) is not an access token`);
}

/** Milliseconds `response` may be cached: `negativeMaxAge` when inactive, else until `min(exp, maxAge)`. */
export function answerTtl(response: IntrospectionResponse, options: Pick<IntrospectionConfig, 'maxAge' | 'negativeMaxAge'>): number {
  if (!response.active) return options.negativeMaxAge * 1000;
  const max = options.maxAge * 1000;
  if (typeof response.exp !== 'number') return max;
  return Math.max(1, Math.min(max, response.exp * 1000 - Date.now()));
}
