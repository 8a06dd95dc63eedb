/**
 * `AuthInfo`, what a verified request carries as `req.auth`, and the one function that maps
 * a token's claims (a JWT payload or an introspection response) onto it.
 */
import { DEFAULT_SCOPE_CLAIMS, parseScopes } from './scopes.js';

/**
 * The verified identity of a request. A plain, JSON-serialisable object: arrays, no
 * getters. Cached decisions are shared between requests, so it is frozen.
 *
 * @typeParam Claims the shape of the token's claims, for typed access to custom claims.
 */
export interface AuthInfo<Claims extends object = Record<string, unknown>> {
  /** The access token as presented. */
  token: string;
  /** `'jwt'` when verified locally, `'opaque'` when decided by introspection. */
  tokenType: 'jwt' | 'opaque';
  /** The issuer that vouched for the token. */
  issuer: string;
  /** `sub`: the resource owner, or the client for client-credentials tokens. */
  subject?: string;
  /** `client_id` (or `azp`/`cid` where servers use those). */
  clientId?: string;
  /** `aud`, always as an array. */
  audience: string[];
  /** Granted scopes from the `scopeClaims` (default `scope`, `scp`), duplicates removed, order kept. */
  scopes: string[];
  /** `exp`, seconds since the epoch. */
  expiresAt?: number;
  /** The JWT payload or the introspection response, as received. */
  claims: Claims;
}

/** Maps claims onto {@link AuthInfo}; leaves out fields the claims do not carry. */
export function toAuthInfo(
  token: string,
  tokenType: AuthInfo['tokenType'],
  issuer: string,
  claims: Record<string, unknown>,
  scopeClaims: readonly string[] = DEFAULT_SCOPE_CLAIMS,
): AuthInfo {
  const info: AuthInfo = {
    token,
    tokenType,
    issuer,
    audience: toStringArray(claims.aud),
    scopes: parseScopes(claims, scopeClaims),
    claims,
  };
  if (typeof claims.sub === 'string') info.subject = claims.sub;
  const clientId = firstString(claims.client_id, claims.azp, claims.cid);
  if (clientId !== undefined) info.clientId = clientId;
  if (typeof claims.exp === 'number') info.expiresAt = claims.exp;
  return deepFreeze(info);
}

function toStringArray(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((v): v is string => typeof v === 'string');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
