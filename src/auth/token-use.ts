/**
 * Claims some authorization servers put in their tokens, or their introspection answers, to
 * say what a token is for: Keycloak's `typ` (`"Bearer"` for access tokens; `"ID"`,
 * `"Refresh"`, `"Offline"`, `"Logout"` for the others), Amazon Cognito's `token_use`
 * (`"access"` or `"id"`), Ory Hydra's `token_use` at introspection (`"access_token"` or
 * `"refresh_token"`). A token that declares another use is not an access token, whatever
 * its `aud` or client say: an ID token names the client too.
 *
 * Only uses known not to be access tokens are refused, so a server with a `typ` or
 * `token_use` of its own meaning keeps working.
 */

const NOT_ACCESS = /^(?:id|id_token|refresh|refresh_token|offline|logout)$/i;

/** The claim and value by which `claims` declare a use other than an access token, if any. */
export function declaredNonAccessUse(claims: Record<string, unknown>): { claim: string; value: string } | undefined {
  for (const claim of ['token_use', 'typ']) {
    const value = claims[claim];
    if (typeof value === 'string' && NOT_ACCESS.test(value)) return { claim, value };
  }
  return undefined;
}

const ACCESS = /^(?:access|access_token|bearer|dpop)$/i;

/** True when `claims` say outright that this is an access token (Keycloak's `typ: "Bearer"`, Cognito's `token_use: "access"`). */
export function declaresAccessUse(claims: Record<string, unknown>): boolean {
  return ['token_use', 'typ'].some((claim) => typeof claims[claim] === 'string' && ACCESS.test(claims[claim]));
}

/** True when the declared use is a refresh token (answered as `refresh tokens are not access tokens`). */
export function isRefreshUse(value: string): boolean {
  return /refresh|offline/i.test(value);
}
