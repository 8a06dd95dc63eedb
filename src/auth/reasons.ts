/**
 * Two views of one refusal: a stable reason code for metrics and events, and the fixed
 * phrase `errorDetail: 'minimal'` sends to clients.
 *
 * The reason is read from the error's code and, for `invalid_token`, from the description
 * the guard itself wrote (never a library's message): the table below is the one place that
 * knows those phrases, and `test/operations/reasons.test.ts` pins every one of them, so a
 * reworded check fails a test instead of silently becoming `'other'`.
 *
 * Minimal phrases tell a client what to do (get a new token, fix the request, retry later)
 * and nothing an attacker could probe with: not which claim failed, not whether a key id
 * exists, not what the server's libraries said. "Expired" stays, since the client can read
 * `exp` from its own token and it tells it to refresh.
 */
import { OAuthError, type OAuthErrorCode } from '../errors/oauth-error.js';

/**
 * Why a token was refused, as a short stable code with a bounded set of values (fit for a
 * metrics label). `description` in the event says it in words.
 */
export type RejectionReason =
  | 'missing'
  | 'malformed_request'
  | 'malformed'
  | 'too_large'
  | 'algorithm'
  | 'type'
  | 'issuer'
  | 'unknown_key'
  | 'signature'
  | 'audience'
  | 'client'
  | 'expired'
  | 'not_yet_valid'
  | 'claims'
  | 'inactive'
  | 'not_verifiable'
  | 'binding'
  | 'proof'
  | 'step_up'
  | 'unavailable'
  | 'configuration'
  | 'other';

/** `errorDetail`: what clients are told about a refusal. */
export type ErrorDetail = 'full' | 'minimal';

const INVALID_TOKEN_REASONS: ReadonlyArray<readonly [RegExp, RejectionReason]> = [
  // First: "malformed JWT: …" may name any part of a token (its header, its alg).
  [/^malformed/, 'malformed'],
  [/cnf|DPoP|sender-constrained|bound by a confirmation/, 'binding'],
  [/^token expired/, 'expired'],
  [/not valid (?:yet|before)|issued in the future/, 'not_yet_valid'],
  [/audience/, 'audience'],
  [/names no client|to a client not accepted/, 'client'],
  [/signature|cannot be verified with the issuer's key/, 'signature'],
  [/issuer/, 'issuer'],
  [/not found in the JWKS|^no key for /, 'unknown_key'],
  [/algorithm|alg 'none'/, 'algorithm'],
  [/token type|an ID token/, 'type'],
  [/not active|refresh tokens/, 'inactive'],
  [/need introspection|cannot be verified locally/, 'not_verifiable'],
  [/too large/, 'too_large'],
  [/malformed|empty token|critical header/, 'malformed'],
  [/'exp'|'nbf'|'iat'|"exp"|older than|contradicts the token/, 'claims'],
];

/** The stable reason of a refusal. */
export function reasonOf(err: unknown): RejectionReason {
  if (!(err instanceof OAuthError)) return 'other';
  switch (err.code) {
    case 'missing_token':
      return 'missing';
    case 'invalid_request':
      return 'malformed_request';
    case 'temporarily_unavailable':
      return 'unavailable';
    case 'server_error':
      return 'configuration';
    case 'invalid_dpop_proof':
    case 'use_dpop_nonce':
      return 'proof';
    case 'insufficient_user_authentication':
      return 'step_up';
    case 'invalid_token': {
      const description = fullDescriptionOf(err);
      return INVALID_TOKEN_REASONS.find(([pattern]) => pattern.test(description))?.[1] ?? 'other';
    }
    default:
      return 'other';
  }
}

const MINIMAL_PHRASES: Readonly<Partial<Record<OAuthErrorCode | (string & {}), string>>> = Object.freeze({
  invalid_request: 'malformed request',
  invalid_token: 'invalid token',
  insufficient_scope: 'insufficient scope',
  insufficient_user_authentication: 'stronger or more recent authentication required',
  invalid_dpop_proof: 'invalid DPoP proof',
  use_dpop_nonce: 'use the DPoP nonce',
  temporarily_unavailable: 'temporarily unavailable, retry later',
  server_error: 'server error',
  missing_token: 'no bearer token',
});

/** The fixed phrase a client gets for `err` under `errorDetail: 'minimal'`. */
export function minimalDescription(err: OAuthError): string {
  if (err.code === 'invalid_token' && /^token expired/.test(fullDescriptionOf(err))) return 'token expired';
  return MINIMAL_PHRASES[err.code] ?? 'request refused';
}

/**
 * The description as the guard wrote it: the error's own, or, for an error already reduced
 * to a minimal phrase, its cause's.
 */
export function fullDescriptionOf(err: OAuthError): string {
  let current: OAuthError = err;
  while (current.cause instanceof OAuthError && current.cause.code === current.code) current = current.cause;
  return current.description;
}
