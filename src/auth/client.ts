/**
 * The client check of `clientIds` (DESIGN "clientIds"), beside the audience check: for
 * authorization servers whose access tokens carry no usable `aud` (Amazon Cognito, Keycloak
 * without an audience mapper, Ory Hydra), the API pins the clients the tokens were issued to.
 *
 * Like the audience, it is checked on every call, cache hit or not, so every path (local
 * JWTs, introspection answers, cached decisions, `guard.verify`) applies it the same way.
 * A token that names no client is refused: an OpenID Connect ID token (its `aud` is the
 * client, it has no `client_id`) never passes as an access token this way.
 */
import type { AuthInfo } from './info.js';
import { invalidToken } from '../errors/factories.js';

/**
 * Throws 401 `invalid_token` unless the token's client (`AuthInfo.clientId`: `client_id`,
 * else `azp`, else `cid`) is one of `clientIds`. `undefined`: any client, or none.
 */
export function checkClient(auth: AuthInfo, clientIds: readonly string[] | undefined): void {
  if (clientIds === undefined) return;
  if (auth.clientId === undefined) throw invalidToken('token names no client (client_id, azp or cid)');
  if (!clientIds.includes(auth.clientId)) throw invalidToken('token issued to a client not accepted here');
}
