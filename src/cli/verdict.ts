/**
 * Doctor's verdict: a real guard's `verify()`, so "accepted" or "refused, because …" is
 * exactly what the API would answer, then the scopes a route needs, and a hint per refusal
 * reason.
 */
import { createGuard } from '../guard.js';
import { OAuthError } from '../errors/oauth-error.js';
import type { RejectionReason } from '../events/channels.js';
import type { GuardOptions } from '../options/normalize.js';
import { reasonOf } from '../auth/reasons.js';
import type { Add, Section } from './report.js';

/** The guard's own answer, from a real `verify()`, then the scopes the route needs. */
export async function decide(section: Section, token: string, options: GuardOptions, requiredScopes: readonly string[], add: Add): Promise<void> {
  const guard = createGuard({ ...options, tokenCache: false, errorDetail: 'full', warmup: false });
  try {
    const auth = await guard.verify(token);
    section.data = {
      accepted: true,
      tokenType: auth.tokenType,
      issuer: auth.issuer,
      subject: auth.subject,
      clientId: auth.clientId,
      scopes: auth.scopes,
      expiresAt: auth.expiresAt,
    };
    add(section, 'ok', `accepted: ${auth.tokenType === 'jwt' ? 'signature and claims verified locally' : 'active by introspection'}`, [
      `issuer   ${auth.issuer}`,
      ...(auth.subject === undefined ? [] : [`subject  ${auth.subject}`]),
      ...(auth.clientId === undefined ? [] : [`client   ${auth.clientId}`]),
      `scopes   ${auth.scopes.length === 0 ? '(none)' : auth.scopes.join(' ')}`,
    ]);
    if (requiredScopes.length > 0) {
      const missing = requiredScopes.filter((s) => !auth.scopes.includes(s));
      section.data.requiredScopes = requiredScopes;
      section.data.missingScopes = missing;
      if (missing.length === 0) add(section, 'ok', `has every scope asked for: ${requiredScopes.join(' ')}`);
      else add(section, 'fail', `a route requiring ${requiredScopes.join(' ')} would answer 403 insufficient_scope: lacks ${missing.join(' ')}`);
    }
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    section.data = { accepted: false, status: err.status, code: err.code, reason: reasonOf(err), description: err.description };
    const what = err.status === 503 ? 'undecided' : 'refused';
    add(section, 'fail', `${what}: ${err.status} ${err.code}: ${err.description}`, explain(err));
  }
}

const HINTS: Partial<Record<RejectionReason, string>> = {
  expired: 'the client must get a new token (if fresh tokens fail too, compare the clocks of the API and the authorization server)',
  not_yet_valid: 'the token is dated in the future: compare the clocks of the API and the authorization server',
  audience: 'the token was issued for another API: the client must ask for this audience (e.g. the "resource" or "audience" parameter of the token request)',
  client: 'the token was issued to a client this API does not list: add it to clientIds (--client-id) if it may call this API',
  issuer: 'the token comes from an authorization server this API does not trust: another environment or tenant?',
  unknown_key: 'signed with a key this JWKS does not publish: a token from another server or environment, or a key that was rotated out',
  signature: 'the token was altered, or signed by a different key that reuses a published kid',
  algorithm: 'the signing algorithm is not allowed here (--algorithms)',
  type: 'not an access token (an ID token or a DPoP proof?)',
  not_verifiable: 'only introspection can decide this token: configure --introspection-*',
  inactive: 'the authorization server says the token is not active: revoked, expired, or never issued',
  unavailable: 'the authorization server could not decide the token (unreachable, or it answered with an error); clients are told to retry (Retry-After), not to drop the token',
  malformed: 'not a well-formed JWT: check that the whole token was copied, and nothing else (no "Bearer " prefix, no line break)',
  configuration: 'a configuration problem: every token would get this answer',
};

/**
 * Hints for one cause among the refusals of a reason: a 503 because the introspection endpoint
 * refused the guard's own credentials is the operator's to fix, not an outage to wait out.
 */
const CAUSE_HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /refused the guard's credentials/,
    "the introspection endpoint refused this API's own credentials: check --introspection-client-id and the secret (or the bearer token and --introspection-auth)",
  ],
];

function explain(err: OAuthError): string[] {
  const hint = CAUSE_HINTS.find(([cause]) => cause.test(err.description))?.[1] ?? HINTS[reasonOf(err)];
  return hint === undefined ? [] : [hint];
}
