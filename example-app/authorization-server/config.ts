/** oidc-provider 9 configuration for the local authorization server, and a quiet way to load it. */
import { randomBytes } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import type { BaseToken, Client, ClientMetadata, Configuration, KoaContextWithOIDC, Provider, ResourceServer } from 'oidc-provider';
import type { MemoryStorage } from './memory-adapter.js';

/** Algorithms oidc-provider can sign JWT access tokens with, given our keys. */
export type AccessTokenAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA' | 'Ed25519';

export interface ClientCredentials {
  id: string;
  secret: string;
}

/** Everything the configuration depends on; `alg` may change while the server runs. */
export interface ProviderSettings {
  apiResource: string;
  apiScopes: string[];
  opaqueResource: string;
  opaqueScopes: string[];
  accessTokenTTL: number;
  alg: AccessTokenAlg;
  clients: {
    api: ClientCredentials;
    limited: ClientCredentials & { scopes: string[] };
    spa: { id: string; redirectUri: string };
    resourceServer: ClientCredentials;
  };
  cookieKeys: string[];
  /** `auth_time` and `acr` in user tokens; see `AuthorizationServerOptions.authenticationClaims`. */
  authenticationClaims?: { acr: string } | undefined;
  /** RFC 8705 certificate-bound tokens for the `mtls-client`; see `AuthorizationServerOptions.mtls`. */
  mtls?: boolean | undefined;
  /** `enabledJWA.dPoPSigningAlgValues`; see `AuthorizationServerOptions.dpopSigningAlgValues`. */
  dpopSigningAlgValues?: string[] | undefined;
}

type ProviderModule = typeof import('oidc-provider');

// Notices that are expected here and say nothing actionable: we run the devInteractions on
// purpose, and oidc-provider 9 prefers Node 22 but works on the Node 20 we support.
const EXPECTED_NOTICES = ['Unsupported runtime', 'a quick start development-only feature devInteractions'];

function quietly<T>(fn: () => T): T {
  const { warn, info } = console;
  const filter = (log: (...args: unknown[]) => void) => (...args: unknown[]) => {
    const first = String(args[0]);
    if (first.includes('oidc-provider') && EXPECTED_NOTICES.some((n) => first.includes(n))) return;
    log(...args);
  };
  console.warn = filter(warn);
  console.info = filter(info);
  const restore = () => {
    console.warn = warn;
    console.info = info;
  };
  try {
    const out = fn();
    if (out instanceof Promise) return out.finally(restore) as T;
    restore();
    return out;
  } catch (err) {
    restore();
    throw err;
  }
}

let loading: Promise<ProviderModule> | undefined;

/** `import('oidc-provider')` without its expected start-up notices. */
export function loadOidcProvider(): Promise<ProviderModule> {
  loading ??= quietly(() => import('oidc-provider'));
  return loading;
}

/** `new Provider(issuer, configuration)` without its expected start-up notices. */
export async function createProvider(issuer: string, configuration: Configuration): Promise<Provider> {
  const { Provider: ProviderClass } = await loadOidcProvider();
  return quietly(() => new ProviderClass(issuer, configuration));
}

export function defaultCookieKeys(): string[] {
  return [randomBytes(32).toString('base64url')];
}

function clients(s: ProviderSettings): ClientMetadata[] {
  const every = [...new Set([...s.apiScopes, ...s.opaqueScopes])].join(' ');
  const none = { grant_types: [], response_types: [], redirect_uris: [] };
  return [
    { client_id: s.clients.api.id, client_secret: s.clients.api.secret, ...none, grant_types: ['client_credentials'], scope: every },
    {
      client_id: s.clients.limited.id,
      client_secret: s.clients.limited.secret,
      ...none,
      grant_types: ['client_credentials'],
      scope: s.clients.limited.scopes.join(' '),
    },
    {
      client_id: s.clients.spa.id,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [s.clients.spa.redirectUri],
      scope: `openid offline_access ${every}`,
    },
    { client_id: s.clients.resourceServer.id, client_secret: s.clients.resourceServer.secret, ...none },
    ...(s.mtls
      ? [{ client_id: 'mtls-client', client_secret: 'mtls-client-secret', ...none, grant_types: ['client_credentials'], scope: every, tls_client_certificate_bound_access_tokens: true }]
      : []),
  ];
}

/**
 * `extraTokenClaims` giving user tokens the login behind them (RFC 9068 §2.2.1): the
 * authorization code or refresh token being exchanged carries the session's `authTime`/`acr`.
 */
function authenticationClaims(defaultAcr: string) {
  return (ctx: KoaContextWithOIDC, token: BaseToken): Record<string, unknown> | undefined => {
    if (typeof token.accountId !== 'string') return undefined;
    const entities = (ctx.oidc.entities ?? {}) as Record<string, { authTime?: unknown; acr?: unknown } | undefined>;
    const grant = entities.AuthorizationCode ?? entities.RefreshToken;
    if (grant === undefined) return undefined;
    return { auth_time: grant.authTime, acr: typeof grant.acr === 'string' ? grant.acr : defaultAcr };
  };
}

export function providerConfiguration(s: ProviderSettings, jwks: JsonWebKey[], storage: MemoryStorage): Configuration {
  const resourceServer = (indicator: string): ResourceServer | undefined => {
    if (indicator === s.apiResource) {
      return {
        scope: s.apiScopes.join(' '),
        audience: s.apiResource,
        accessTokenTTL: s.accessTokenTTL,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: s.alg } },
      };
    }
    if (indicator === s.opaqueResource) {
      return { scope: s.opaqueScopes.join(' '), audience: s.opaqueResource, accessTokenTTL: s.accessTokenTTL, accessTokenFormat: 'opaque' };
    }
    return undefined;
  };
  const ttl = (seconds: number) => () => seconds;
  const ownOrResourceServer = (client: Client, token: { clientId?: string }) =>
    token.clientId === client.clientId || client.clientId === s.clients.resourceServer.id;

  return {
    ...(s.authenticationClaims === undefined ? {} : { extraTokenClaims: authenticationClaims(s.authenticationClaims.acr) }),
    ...(s.dpopSigningAlgValues === undefined ? {} : { enabledJWA: { dPoPSigningAlgValues: s.dpopSigningAlgValues } }),
    adapter: storage.factory(),
    clients: clients(s),
    jwks: { keys: jwks },
    scopes: ['openid', 'offline_access', ...new Set([...s.apiScopes, ...s.opaqueScopes])],
    cookies: { keys: s.cookieKeys },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    clientBasedCORS: (_ctx, origin, client) =>
      Array.isArray(client.redirectUris) && client.redirectUris.some((uri) => URL.canParse(uri) && new URL(uri).origin === origin),
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? s.accessTokenTTL,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? s.accessTokenTTL,
      AuthorizationCode: ttl(60),
      IdToken: ttl(3600),
      RefreshToken: ttl(24 * 3600),
      Interaction: ttl(600),
      Session: ttl(24 * 3600),
      Grant: ttl(24 * 3600),
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      ...(s.mtls
        ? {
            // Plain HTTP here: the client certificate arrives as a proxy would forward it.
            mTLS: {
              enabled: true,
              certificateBoundAccessTokens: true,
              getCertificate: (ctx: KoaContextWithOIDC) => {
                const header = (ctx as unknown as { get(name: string): string }).get('x-client-certificate');
                return header ? decodeURIComponent(header) : undefined;
              },
            },
          }
        : {}),
      // Any confidential client (the resource server) may introspect; a public one only its own tokens.
      introspection: { enabled: true, allowedPolicy: (_ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId },
      revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => ownOrResourceServer(client, token) },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? s.apiResource,
        useGrantedResource: () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          const found = resourceServer(indicator);
          if (found) return found;
          const { errors } = await loadOidcProvider();
          throw new errors.InvalidTarget();
        },
      },
    },
  };
}
