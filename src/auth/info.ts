/**
 * Folder `auth/`: what a request presents and what a verified token grants (`AuthInfo`,
 * RFC 6750 extraction, audience, scopes, claim rules, refusal reasons). Its one rule: pure
 * functions of strings, headers and `AuthInfo`; no I/O and no caches of tokens.
 *
 * `AuthInfo`, what a verified request carries as `req.auth`, and the one function that maps
 * a token's claims (a JWT payload or an introspection response) onto it.
 */
import { DEFAULT_SCOPE_CLAIMS, parseScopes } from './scopes.js';

/**
 * The verified identity of a request. A plain, JSON-serialisable object: arrays, no
 * getters. Cached decisions are shared between requests, so it is frozen.
 *
 * Its `token` is readable but not enumerable: `JSON.stringify(req.auth)`, `util.inspect`,
 * `console.log` and loggers never print the bearer credential (only an explicit request for
 * hidden properties would: `util.inspect` with `showHidden`, the `%o` format). For the same
 * reason a copy made with object spread (`{ ...req.auth }`) has no `token`.
 *
 * @typeParam Claims the shape of the token's claims, for typed access to custom claims.
 */
export interface AuthInfo<Claims extends object = object> {
  /** The access token as presented. Not enumerable, so never serialised or logged with the rest. */
  token: string;
  /** `'jwt'` when verified locally, `'opaque'` when decided by introspection. */
  tokenType: 'jwt' | 'opaque';
  /** How the token was presented: `Bearer` (RFC 6750) or `DPoP` with a valid proof (RFC 9449). */
  scheme: 'Bearer' | 'DPoP';
  /**
   * The token's sender constraint (`cnf`), checked for this request: `jkt` is the RFC 7638
   * thumbprint of the DPoP key (RFC 9449 §6), `x5t` the `x5t#S256` client-certificate
   * thumbprint as sent, base64url (RFC 8705 §3). Empty for plain bearer tokens.
   */
  confirmation: { jkt?: string; x5t?: string };
  /** The issuer that vouched for the token. */
  issuer: string;
  /** `sub`: the resource owner, or the client for client-credentials tokens. */
  subject?: string;
  /**
   * The client the token was issued to: `client_id`, else `azp`, else `cid` (Okta); the first
   * of them the token carries, which must then be a string. What `clientIds` compares.
   */
  clientId?: string;
  /** `aud`, always as an array. */
  audience: string[];
  /** Granted scopes from the `scopeClaims` (default `scope`, `scp`), duplicates removed, order kept. */
  scopes: string[];
  /** `exp`, seconds since the epoch. */
  expiresAt?: number;
  /**
   * The JWT payload or the introspection response, as received. With `createGuard<Claims>()`
   * the declared claims are typed; any other claim a token carries reads as `unknown`.
   */
  claims: Claims & Record<string, unknown>;
}

/** Maps claims onto {@link AuthInfo}; leaves out fields the claims do not carry. */
export function toAuthInfo(
  token: string,
  tokenType: AuthInfo['tokenType'],
  issuer: string,
  claims: Record<string, unknown>,
  scopeClaims: readonly string[] = DEFAULT_SCOPE_CLAIMS,
): AuthInfo {
  const info: Omit<AuthInfo, 'token'> = {
    tokenType,
    issuer,
    audience: toStringArray(claims.aud),
    scopes: parseScopes(claims, scopeClaims),
    scheme: 'Bearer',
    confirmation: toConfirmation(claims.cnf),
    claims,
  };
  if (typeof claims.sub === 'string') info.subject = claims.sub;
  const clientId = firstPresent(claims.client_id, claims.azp, claims.cid);
  if (clientId !== undefined) info.clientId = clientId;
  if (typeof claims.exp === 'number') info.expiresAt = claims.exp;
  return deepFreeze(withToken(info, token));
}

/**
 * `auth` with another `scheme` or `tokenType`: a new frozen `AuthInfo` sharing the same
 * (frozen) claims and arrays. The one way to vary an `AuthInfo`: object spread would drop the
 * non-enumerable `token`.
 */
export function withAuthFields(auth: AuthInfo, changes: Partial<Pick<AuthInfo, 'scheme' | 'tokenType'>>): AuthInfo {
  return Object.freeze(withToken({ ...auth, ...changes }, auth.token));
}

/** Sets `token` readable, read-only and not enumerable, so serialising `info` leaves it out. */
function withToken(info: Omit<AuthInfo, 'token'>, token: string): AuthInfo {
  return Object.defineProperty(info, 'token', { value: token, enumerable: false, writable: false, configurable: false }) as AuthInfo;
}

function toConfirmation(cnf: unknown): AuthInfo['confirmation'] {
  const confirmation: AuthInfo['confirmation'] = {};
  if (typeof cnf !== 'object' || cnf === null) return confirmation;
  const { jkt, 'x5t#S256': x5t } = cnf as Record<string, unknown>;
  if (typeof jkt === 'string') confirmation.jkt = jkt;
  if (typeof x5t === 'string') confirmation.x5t = x5t;
  return confirmation;
}

function toStringArray(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/**
 * The first value present, when it is a string. A present but malformed `client_id` does not
 * fall through to `azp`: a token must not name one client for the checks and carry another.
 */
function firstPresent(...values: unknown[]): string | undefined {
  const value = values.find((v) => v !== undefined && v !== null);
  return typeof value === 'string' ? value : undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
