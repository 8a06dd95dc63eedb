/**
 * A real OAuth 2.0 authorization server (node oidc-provider 9) on 127.0.0.1, for the example
 * app and for integration tests, which count the requests that reach it.
 *
 * Resource indicators (RFC 8707) decide the token format: the API resource gets JWT access
 * tokens (RFC 9068, `typ: at+jwt`), the opaque resource gets opaque ones, which only
 * introspection (RFC 7662) can decide. Client credentials without `resource` get the API.
 *
 * oidc-provider 9 publishes the same metadata at `/.well-known/oauth-authorization-server`
 * (RFC 8414) and `/.well-known/openid-configuration`; `discovery` hides one of them to act
 * like servers that only have the other (Auth0 and Entra ID: OIDC only).
 */
import { pathToFileURL } from 'node:url';
import type { Provider } from 'oidc-provider';
import { authorizationCodeFlow } from './authorization-server/code-flow.js';
import type { TokenResponse } from './authorization-server/code-flow.js';
import { createProvider, defaultCookieKeys, providerConfiguration } from './authorization-server/config.js';
import type { AccessTokenAlg, ClientCredentials, ProviderSettings } from './authorization-server/config.js';
import { startCountedServer } from './authorization-server/counted-server.js';
import type { RequestCounts } from './authorization-server/counted-server.js';
import { generateSigningKey } from './authorization-server/keys.js';
import type { SigningKey } from './authorization-server/keys.js';
import { MemoryStorage } from './authorization-server/memory-adapter.js';

export type { AccessTokenAlg, ClientCredentials } from './authorization-server/config.js';
export type { TokenResponse } from './authorization-server/code-flow.js';
export type { RecordedRequest, RequestCounts } from './authorization-server/counted-server.js';
export type { SigningKey } from './authorization-server/keys.js';

export const DEFAULT_API_RESOURCE = 'https://api.example.com';
export const DEFAULT_OPAQUE_RESOURCE = 'https://opaque.example.com';
/** The client whose tokens are certificate-bound when the server runs with `mtls: true`. */
export const MTLS_CLIENT: Readonly<ClientCredentials> = Object.freeze({ id: 'mtls-client', secret: 'mtls-client-secret' });
export const DEFAULT_API_SCOPES = ['messages:read', 'messages:write', 'webhooks:deliver', 'admin', 'reports:read'];

export interface AuthorizationServerOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Resource indicator (and `aud`) of the API that receives JWT access tokens. */
  apiResource?: string;
  apiScopes?: string[];
  /** Resource indicator (and `aud`) of the API that receives opaque access tokens. */
  opaqueResource?: string;
  /** Default: the API scopes. */
  opaqueScopes?: string[];
  /** JWT access token signing algorithm, default RS256; `setAccessTokenAlg` changes it later. */
  accessTokenAlg?: AccessTokenAlg;
  /** Access token lifetime in seconds, default 300. */
  accessTokenTTL?: number;
  /** Which metadata locations answer (the other answers 404). Default `both`. */
  discovery?: 'both' | 'openid-only' | 'oauth-only';
  /**
   * Put the login behind user tokens (code and refresh grants) into their access tokens and
   * introspection answers, as RFC 9068 §2.2.1 claims: `auth_time` (when the user logged in)
   * and `acr` (the session's, else this value: devInteractions' password login names none).
   * For step-up tests (RFC 9470); oidc-provider leaves both out by default.
   */
  authenticationClaims?: { acr: string };
  /**
   * Certificate-bound access tokens (RFC 8705 §3) for the {@link MTLS_CLIENT}: oidc-provider's
   * `features.mTLS` with `certificateBoundAccessTokens`. The server runs plain HTTP, so it reads
   * the client certificate from the `x-client-certificate` header (URL-encoded PEM), as a
   * TLS-terminating proxy would forward it; `clientCredentialsToken({ certificate })` sends it.
   * Default: false. (DPoP, RFC 9449, is on in oidc-provider 9 by default: a token request
   * with a `DPoP` proof gets a DPoP-bound token.)
   */
  mtls?: boolean;
  /**
   * JWS algorithms the token endpoint accepts in DPoP proofs (oidc-provider's
   * `enabledJWA.dPoPSigningAlgValues`). Default: oidc-provider's own (`ES256`, `Ed25519`, `EdDSA`).
   */
  dpopSigningAlgValues?: string[];
  clients?: {
    api?: Partial<ClientCredentials>;
    limited?: Partial<ClientCredentials & { scopes: string[] }>;
    spa?: Partial<{ id: string; redirectUri: string }>;
    resourceServer?: Partial<ClientCredentials>;
  };
}

export interface AuthorizationServer {
  /** `http://127.0.0.1:<port>`; also the issuer. */
  readonly url: string;
  readonly issuer: string;
  readonly port: number;
  /** The running Provider; a new instance after `rotateKeys()`. */
  readonly provider: Provider;
  readonly endpoints: {
    openidConfiguration: string;
    oauthMetadata: string;
    jwks: string;
    token: string;
    introspection: string;
    revocation: string;
    authorization: string;
  };
  readonly apiResource: string;
  readonly apiScopes: readonly string[];
  readonly opaqueResource: string;
  readonly opaqueScopes: readonly string[];
  readonly clients: ProviderSettings['clients'];
  /** Requests per path, counted before the provider sees them (helpers' own requests included). */
  readonly counts: RequestCounts;
  resetCounts(): void;
  readonly accessTokenAlg: AccessTokenAlg;
  setAccessTokenAlg(alg: AccessTokenAlg): void;
  /** Keys published at `/jwks`, newest first (signing uses the first of each type). */
  readonly keys: readonly SigningKey[];
  /** POST /token, grant client_credentials, client_secret_basic. Default client: `clients.api`. */
  clientCredentialsToken(options?: {
    clientId?: string;
    clientSecret?: string;
    scope?: string;
    resource?: string;
    /** A DPoP proof (RFC 9449 §4) for POST /token: the token comes back DPoP-bound (`cnf.jkt`). */
    dpop?: string;
    /** PEM client certificate, for the {@link MTLS_CLIENT} of a server started with `mtls: true`. */
    certificate?: string;
  }): Promise<TokenResponse>;
  /** The PKCE code flow of the public client, driven through devInteractions. */
  authorizationCodeToken(options?: { scope?: string; resource?: string; accountId?: string }): Promise<TokenResponse>;
  /** POST /token/introspection as the resource-server client. */
  introspect(token: string): Promise<Record<string, unknown>>;
  /** POST /token/revocation as the resource-server client (opaque tokens; JWTs cannot be revoked). */
  revoke(token: string): Promise<void>;
  /** New RSA/EC/OKP keys sign from now on; the old ones stay published unless `keepOld: false`. Tokens survive. */
  rotateKeys(options?: { keepOld?: boolean }): Promise<SigningKey[]>;
  close(): Promise<void>;
}

async function generateKeys(alg: AccessTokenAlg): Promise<SigningKey[]> {
  return Promise.all([
    generateSigningKey(alg === 'PS256' ? 'PS256' : 'RS256'),
    generateSigningKey('ES256'),
    generateSigningKey(alg === 'Ed25519' ? 'Ed25519' : 'EdDSA'),
  ]);
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function postForm(url: string, form: Record<string, string>, authorization?: string, extra: Record<string, string> = {}): Promise<Response> {
  const headers: Record<string, string> = authorization ? { authorization, ...extra } : { ...extra };
  return fetch(url, { method: 'POST', headers, body: new URLSearchParams(form) });
}

async function jsonOrThrow<T>(res: Response, what: string): Promise<T> {
  const body = (await res.json()) as T & { error?: string; error_description?: string };
  if (!res.ok) throw new Error(`${what}: ${res.status} ${body.error}: ${body.error_description}`);
  return body;
}

export async function startAuthorizationServer(options: AuthorizationServerOptions = {}): Promise<AuthorizationServer> {
  const apiScopes = options.apiScopes ?? DEFAULT_API_SCOPES;
  const c = options.clients ?? {};
  const settings: ProviderSettings = {
    apiResource: options.apiResource ?? DEFAULT_API_RESOURCE,
    apiScopes,
    opaqueResource: options.opaqueResource ?? DEFAULT_OPAQUE_RESOURCE,
    opaqueScopes: options.opaqueScopes ?? apiScopes,
    accessTokenTTL: options.accessTokenTTL ?? 300,
    alg: options.accessTokenAlg ?? 'RS256',
    clients: {
      api: { id: c.api?.id ?? 'api-client', secret: c.api?.secret ?? 'api-client-secret' },
      limited: {
        id: c.limited?.id ?? 'limited-client',
        secret: c.limited?.secret ?? 'limited-client-secret',
        scopes: c.limited?.scopes ?? ['messages:read'],
      },
      spa: { id: c.spa?.id ?? 'spa-client', redirectUri: c.spa?.redirectUri ?? 'http://localhost:8080/callback' },
      resourceServer: { id: c.resourceServer?.id ?? 'resource-server', secret: c.resourceServer?.secret ?? 'resource-server-secret' },
    },
    cookieKeys: defaultCookieKeys(),
    authenticationClaims: options.authenticationClaims,
    mtls: options.mtls ?? false,
    dpopSigningAlgValues: options.dpopSigningAlgValues,
  };
  const storage = new MemoryStorage();
  const pending = generateKeys(settings.alg);
  const http = await startCountedServer((_req, res) => res.writeHead(503).end(), options);
  const issuer = http.url;
  let keys = await pending;
  let provider: Provider;

  const install = async () => {
    provider = await createProvider(issuer, providerConfiguration(settings, keys.map((k) => k.privateJwk), storage));
    const handle = provider.callback();
    const hidden = { both: undefined, 'openid-only': '/.well-known/oauth-authorization-server', 'oauth-only': '/.well-known/openid-configuration' }[
      options.discovery ?? 'both'
    ];
    http.setHandler((req, res) => {
      if (hidden && req.url?.split('?')[0] === hidden) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"invalid_request","error_description":"unrecognized route"}');
        return;
      }
      handle(req, res);
    });
  };
  try {
    await install();
  } catch (err) {
    await http.close();
    throw err;
  }

  const endpoints = {
    openidConfiguration: `${issuer}/.well-known/openid-configuration`,
    oauthMetadata: `${issuer}/.well-known/oauth-authorization-server`,
    jwks: `${issuer}/jwks`,
    token: `${issuer}/token`,
    introspection: `${issuer}/token/introspection`,
    revocation: `${issuer}/token/revocation`,
    authorization: `${issuer}/auth`,
  };
  const rs = settings.clients.resourceServer;
  const secretOf = (id: string) =>
    [settings.clients.api, settings.clients.limited, rs].find((client) => client.id === id)?.secret ?? '';

  return {
    url: issuer,
    issuer,
    port: http.port,
    get provider() {
      return provider;
    },
    endpoints,
    apiResource: settings.apiResource,
    apiScopes: settings.apiScopes,
    opaqueResource: settings.opaqueResource,
    opaqueScopes: settings.opaqueScopes,
    clients: settings.clients,
    counts: http.counts,
    resetCounts: () => http.counts.reset(),
    get accessTokenAlg() {
      return settings.alg;
    },
    setAccessTokenAlg(alg) {
      if (!keys.some((k) => k.alg === alg)) {
        throw new Error(`no published key signs ${alg}; start the server with accessTokenAlg: '${alg}'`);
      }
      settings.alg = alg;
    },
    get keys() {
      return keys;
    },
    async clientCredentialsToken({ clientId = settings.clients.api.id, clientSecret = secretOf(clientId), scope, resource, dpop, certificate } = {}) {
      const form: Record<string, string> = { grant_type: 'client_credentials' };
      if (scope !== undefined) form.scope = scope;
      if (resource !== undefined) form.resource = resource;
      const extra: Record<string, string> = {};
      if (dpop !== undefined) extra.dpop = dpop;
      if (certificate !== undefined) extra['x-client-certificate'] = encodeURIComponent(certificate);
      return jsonOrThrow<TokenResponse>(await postForm(endpoints.token, form, basic(clientId, clientSecret), extra), 'client_credentials');
    },
    authorizationCodeToken({ scope = 'messages:read', resource = settings.apiResource, accountId = 'user-1' } = {}) {
      const { id: clientId, redirectUri } = settings.clients.spa;
      return authorizationCodeFlow(issuer, { clientId, redirectUri, scope, resource, accountId });
    },
    async introspect(token) {
      return jsonOrThrow(await postForm(endpoints.introspection, { token }, basic(rs.id, rs.secret)), 'introspection');
    },
    async revoke(token) {
      const res = await postForm(endpoints.revocation, { token }, basic(rs.id, rs.secret));
      if (!res.ok) await jsonOrThrow(res, 'revocation');
      else await res.body?.cancel();
    },
    async rotateKeys({ keepOld = true } = {}) {
      const fresh = await generateKeys(settings.alg);
      keys = keepOld ? [...fresh, ...keys] : fresh;
      await install();
      return fresh;
    },
    close: () => http.close(),
  };
}

// `node --import tsx example-app/authorization-server.ts` runs it alone (PORT, default ephemeral).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const as = await startAuthorizationServer({ port: Number(process.env.PORT ?? 0) });
  console.log(`authorization server: ${as.issuer}  (client ${as.clients.api.id} / ${as.clients.api.secret})`);
}
