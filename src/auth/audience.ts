/**
 * Which audiences one call accepts, and the check itself.
 *
 * Verification (signature, `iss`, `exp`, `nbf`, `iat`) is the same for every route, so it is
 * done once and cached; whether the token was minted for *this* resource depends on the
 * route, so it is checked on every call, cache hit or not. A verified token can therefore
 * never carry one route's audience decision into another route.
 *
 * @see [RFC 9068 §4 - Validating JWT Access Tokens](https://www.rfc-editor.org/rfc/rfc9068#section-4) (step 3, `aud`)
 * @see [RFC 8707 - Resource Indicators for OAuth 2.0](https://www.rfc-editor.org/rfc/rfc8707)
 */
import type { AuthInfo } from './info.js';
import { invalidToken } from '../errors/factories.js';
import { parseExactUrl } from './request-url.js';

/** What one call accepts: a token passes when one of its `aud` values is one of `values`. */
export interface AudienceCheck {
  readonly values: readonly string[];
  /**
   * Compare as resource URLs (RFC 8707): scheme and host case-insensitively, a default port
   * and a trailing slash ignored. Otherwise values are compared exactly, as `aud` strings.
   */
  readonly resourceUrl: boolean;
  /** `aud` is not compared and may be absent: a guard configured with `clientIds` alone. */
  readonly anyAudience?: true;
}

/**
 * What a guard configured with `clientIds` and no `audience` accepts (DESIGN "clientIds"):
 * any `aud`, or none. Its client check (`client.ts`) still applies; a route's own
 * `authenticate({ audience })` still compares.
 */
export const ANY_AUDIENCE: AudienceCheck = Object.freeze({ values: Object.freeze([]), resourceUrl: false, anyAudience: true });

/** Accepts exactly these `aud` values (the guard's `audience` option, a route's `audience`). */
export function exactAudience(values: readonly string[]): AudienceCheck {
  return Object.freeze({ values: Object.freeze([...values]), resourceUrl: false });
}

/** Accepts tokens minted for the resource at `url` (RFC 8707 `resource`), compared as a URL. */
export function resourceUrlAudience(url: string): AudienceCheck {
  const normalized = normalizeResourceUrl(url);
  return Object.freeze({ values: Object.freeze(normalized === undefined ? [] : [normalized]), resourceUrl: true });
}

/**
 * Throws 401 `invalid_token` ("audience mismatch") unless the token names an accepted
 * audience. A JWT without any `aud` is refused here, per call, rather than when it is
 * verified, since a guard with `clientIds` alone accepts it where a route with its own
 * audience must not. An introspection answer that leaves `aud` out passes (unless
 * `introspection.requireAudience` refused it earlier): the authorization server vouched for
 * the token without naming a resource.
 */
export function checkAudience(auth: AuthInfo, check: AudienceCheck): void {
  if (acceptsAudience(auth, check)) return;
  throw invalidToken(auth.audience.length === 0 ? 'token has no audience' : 'audience mismatch');
}

/** {@link checkAudience} as a predicate: `true` when `check` accepts the token's audience. */
export function acceptsAudience(auth: AuthInfo, check: AudienceCheck): boolean {
  if (check.anyAudience === true) return true;
  if (auth.audience.length === 0) return auth.tokenType !== 'jwt';
  // An indexed loop, not closures or an iterator: this runs on every request, cache hits included.
  for (let i = 0; i < auth.audience.length; i++) {
    const aud = auth.audience[i]!;
    const value = check.resourceUrl ? normalizeResourceUrl(aud) : aud;
    if (value !== undefined && check.values.includes(value)) return true;
  }
  return false;
}

/**
 * `origin + path` of an http(s) URL, without a trailing slash; `undefined` for anything
 * else, for URLs with a query, fragment or credentials (never a resource indicator here), and
 * for URLs a parser would rewrite before comparing (`\`, control characters, `.`/`..`
 * segments in any spelling: `auth/request-url.ts`), so `…/orgs/evil/../victim` never
 * becomes `…/orgs/victim`.
 */
export function normalizeResourceUrl(value: string): string | undefined {
  const url = parseExactUrl(value);
  if (url === undefined) return undefined;
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return undefined;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
