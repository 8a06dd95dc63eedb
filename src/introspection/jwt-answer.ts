/**
 * A JWT decided by introspection (`introspectJwt`, or a JWT local checks cannot decide): the
 * answer says whether the token is active, the JWT says what it is. What the JWT says about
 * its issuer, audience, subject, client and sender constraint (`cnf`) stays in force: an
 * answer that leaves one out does not remove it (a DPoP-bound JWT whose answer omits `cnf`
 * is still DPoP-bound), and an answer that contradicts one is a refusal, since the server then
 * describes another token than the one presented.
 *
 * @see [RFC 7662 §2.2 - Introspection Response](https://www.rfc-editor.org/rfc/rfc7662#section-2.2)
 * @see [RFC 9449 §6.2 - JWK Thumbprint Confirmation Method in Token Introspection](https://www.rfc-editor.org/rfc/rfc9449#section-6.2)
 */
import { invalidToken } from '../errors/factories.js';
import type { OAuthError } from '../errors/oauth-error.js';
import type { IntrospectionResponse } from './request.js';

/** The JWT an introspection call is about: the issuer it names and its payload, as sent. */
export interface IntrospectedJwt {
  readonly issuer: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

/**
 * The claims of a JWT decided by `answer`: the answer's members over the JWT's, with every
 * bound member (`iss`, `aud`, `sub`, the client, `cnf`) the JWT's when the answer leaves it
 * out. Throws 401 `invalid_token` when the answer contradicts one of them.
 */
export function claimsOfIntrospectedJwt(jwt: IntrospectedJwt, answer: IntrospectionResponse): Record<string, unknown> {
  const { payload } = jwt;
  if (differ(payload.iss, answer.iss)) throw contradiction('issuer');
  if (differ(audiencesOf(payload.aud), audiencesOf(answer.aud))) throw contradiction('audience');
  if (differ(payload.sub, answer.sub)) throw contradiction('subject');
  if (differ(clientOf(payload), clientOf(answer))) throw contradiction('client');
  // A cnf only the answer names binds the token too, but to what the JWT does not say: refused.
  if (answer.cnf !== undefined && canonicalJson(payload.cnf) !== canonicalJson(answer.cnf)) throw contradiction('cnf');
  return { ...payload, ...answer };
}

/** True when both say something and it is not the same thing. */
function differ(fromJwt: unknown, fromAnswer: unknown): boolean {
  return fromJwt !== undefined && fromAnswer !== undefined && canonicalJson(fromJwt) !== canonicalJson(fromAnswer);
}

/** `aud` as a sorted, de-duplicated list (a string and a one-element array say the same). */
function audiencesOf(aud: unknown): unknown {
  if (aud === undefined) return undefined;
  const list: unknown[] = Array.isArray(aud) ? aud : [aud];
  return [...new Set(list.map((a) => JSON.stringify(a)))].sort();
}

/** The client the claims name: `client_id`, else `azp`, else `cid` (as `AuthInfo.clientId`). */
function clientOf(claims: Readonly<Record<string, unknown>>): unknown {
  return claims.client_id ?? claims.azp ?? claims.cid;
}

/** JSON with object members in sorted order, so equal values compare equal as strings. */
function canonicalJson(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, member: unknown) =>
    typeof member === 'object' && member !== null && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}

function contradiction(member: string): OAuthError {
  return invalidToken(`introspection answer contradicts the token: ${member}`);
}
