/**
 * The client check of `clientIds` (DESIGN "clientIds"), beside the audience check: for
 * authorization servers whose access tokens carry no usable `aud` (Amazon Cognito, Keycloak
 * without an audience mapper, Ory Hydra), the API pins the clients the tokens were issued to.
 *
 * Like the audience, it is checked on every call, cache hit or not, so every path (local
 * JWTs, introspection answers, cached decisions, `guard.verify`) applies it the same way.
 *
 * An OpenID Connect ID token must never pass as an access token. Most name their client only
 * in `aud`, so they name no client here and are refused. Some servers also put it in `azp`
 * (Spring Authorization Server, Google): when `aud` is not compared, a JWT whose client comes
 * from `azp` and whose only `aud` is that same client is taken for what it looks like, an ID
 * token, unless it declares itself an access token (Keycloak's `typ: "Bearer"`, Cognito's
 * `token_use: "access"`). Access tokens for the API name the API in `aud`, not their client.
 */
import type { AuthInfo } from './info.js';
import { invalidToken } from '../errors/factories.js';
import { declaresAccessUse } from './token-use.js';

/**
 * Throws 401 `invalid_token` unless the token's client (`AuthInfo.clientId`: `client_id`,
 * else `azp`, else `cid`) is one of `clientIds`. `undefined`: any client, or none.
 * `audienceCompared`: whether this call checks `aud` too (false for a guard with `clientIds`
 * alone and no route audience).
 */
export function checkClient(auth: AuthInfo, clientIds: readonly string[] | undefined, audienceCompared: boolean): void {
  const refusal = clientRefusal(auth, clientIds, audienceCompared);
  if (refusal !== undefined) throw invalidToken(refusal);
}

/** Why {@link checkClient} refuses `auth`, or `undefined` when it accepts it. */
export function clientRefusal(auth: AuthInfo, clientIds: readonly string[] | undefined, audienceCompared: boolean): string | undefined {
  if (clientIds === undefined) return undefined;
  if (auth.clientId === undefined) return 'token names no client (client_id, azp or cid)';
  if (!clientIds.includes(auth.clientId)) return 'token issued to a client not accepted here';
  if (!audienceCompared && looksLikeIdToken(auth)) return 'an ID token (its aud is its own client), not an access token';
  return undefined;
}

function looksLikeIdToken(auth: AuthInfo): boolean {
  const claims = auth.claims as Record<string, unknown>;
  return (
    auth.tokenType === 'jwt' &&
    claims.client_id === undefined &&
    claims.azp === auth.clientId &&
    auth.audience.length === 1 &&
    auth.audience[0] === auth.clientId &&
    !declaresAccessUse(claims)
  );
}
