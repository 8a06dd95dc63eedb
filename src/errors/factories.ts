/**
 * The refusals the guard answers with, one factory per RFC 6750 / RFC 9470 case, so every
 * layer words its status, code and challenge the same way.
 *
 * @see [RFC 6750 §3.1 - Error Codes](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
 */
import { OAuthError } from './oauth-error.js';

/** 400 `invalid_request`: the request itself is malformed. */
export function invalidRequest(description: string, cause?: unknown): OAuthError {
  return new OAuthError({ status: 400, code: 'invalid_request', description, cause });
}

/** 401 `invalid_token`: the token was decided and refused. */
export function invalidToken(description: string, cause?: unknown): OAuthError {
  return new OAuthError({ status: 401, code: 'invalid_token', description, cause });
}

/** 401 without an `error`: no bearer credentials were presented (RFC 6750 §3.1). */
export function missingToken(): OAuthError {
  return new OAuthError({ status: 401, code: 'missing_token', description: 'no bearer token' });
}

/** 403 `insufficient_scope`, naming every scope the route needs. */
export function insufficientScope(needed: readonly string[], description: string): OAuthError {
  return new OAuthError({
    status: 403,
    code: 'insufficient_scope',
    description,
    challenge: needed.length > 0 ? { scope: needed.join(' ') } : {},
  });
}

/**
 * 401 `insufficient_user_authentication` (RFC 9470 §3): the token is good but the login behind
 * it is too weak or too old. `acr_values` (quoted, space-separated) and `max_age` (seconds,
 * rendered unquoted) tell the client what to ask the authorization server for.
 */
export function insufficientUserAuthentication(
  description: string,
  requirement: { acr_values?: string | undefined; max_age?: number | undefined },
): OAuthError {
  return new OAuthError({
    status: 401,
    code: 'insufficient_user_authentication',
    description,
    challenge: { acr_values: requirement.acr_values, max_age: requirement.max_age },
  });
}

/** 503 with `Retry-After`: the authorization server could not decide the token. */
export function temporarilyUnavailable(
  description: string,
  retryAfter: number,
  cause?: unknown,
): OAuthError {
  return new OAuthError({
    status: 503,
    code: 'temporarily_unavailable',
    description,
    retryAfter,
    cause,
  });
}

/** 500: configuration found wrong at run time (issuer mismatch, no metadata anywhere). */
export function serverError(description: string, cause?: unknown): OAuthError {
  return new OAuthError({ status: 500, code: 'server_error', description, cause });
}
