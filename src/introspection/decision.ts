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

/**
 * Refuses `response` unless it is active and fits this API: time, issuer, audience, token
 * type. `issuer` is the one whose endpoint answered: an answer naming another issuer (even a
 * trusted one) is refused, since a server speaks only for its own tokens.
 */
export function checkAnswer(
  response: IntrospectionResponse,
  config: Pick<GuardConfig, 'clockTolerance' | 'issuers' | 'maxTokenAge' | 'audiences'>,
  options: Pick<IntrospectionConfig, 'requireAudience'>,
  issuer: string,
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
  // Checked on every use, cache hits included: a cached answer never outlives the age.
  if (config.maxTokenAge !== undefined) {
    if (typeof response.iat !== 'number') throw invalidToken("token has no 'iat' and a maximum age is required");
    if (now - response.iat - tolerance > config.maxTokenAge) throw invalidToken(`token older than ${config.maxTokenAge} s`);
  }
  if (response.iss !== undefined && response.iss !== issuer) {
    throw invalidToken(config.issuers.includes(response.iss) ? 'introspection answer names another issuer' : 'issuer not trusted');
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

/**
 * Milliseconds `response` may be cached: `negativeMaxAge` when inactive, else `maxAge`, never
 * past `exp`, nor past `iat + maxTokenAge + clockTolerance` with a `maxTokenAge`.
 */
export function answerTtl(
  response: IntrospectionResponse,
  options: Pick<IntrospectionConfig, 'maxAge' | 'negativeMaxAge'>,
  config: Pick<GuardConfig, 'clockTolerance' | 'maxTokenAge'>,
): number {
  if (!response.active) return options.negativeMaxAge * 1000;
  let ttl = options.maxAge * 1000;
  const now = Date.now();
  if (typeof response.exp === 'number') ttl = Math.min(ttl, response.exp * 1000 - now);
  if (config.maxTokenAge !== undefined && typeof response.iat === 'number') {
    ttl = Math.min(ttl, (response.iat + config.maxTokenAge + config.clockTolerance) * 1000 - now);
  }
  return Math.max(1, ttl);
}
