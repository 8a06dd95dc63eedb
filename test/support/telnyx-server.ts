/**
 * A Telnyx-shaped authorization server on 127.0.0.1, built from Telnyx's documented endpoints
 * (API base `/v2`): the well-known documents live under `/v2`, not where RFC 8414 §3.1 puts
 * them, and introspection takes JSON (or a form) with `Authorization: Bearer <API key>`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_API_SCOPES } from '../../example-app/authorization-server.js';
import { NO_STORE, basicCredentials, bearerToken, pathOf, readParams, sendJson, startCountedServer } from './http-server.js';
import type { RequestCounts } from './http-server.js';
import type { AsymmetricAlg, JwsAlg, KeySet, SigningKey } from './keys.js';
import { TokenIssuer } from './token-issuer.js';
import type { MintJwtOptions, MintOpaqueOptions } from './token-issuer.js';

export type { MintJwtOptions, MintOpaqueOptions } from './token-issuer.js';

export interface TelnyxClient {
  id: string;
  secret: string;
  /** Scopes it may get; default all the server's scopes. */
  scopes?: string[];
}

export interface TelnyxServerOptions {
  port?: number;
  host?: string;
  /** The API key introspection requires as a bearer token. Default `KEY_test_telnyx_api_key`. */
  apiKey?: string;
  /** `aud` of the tokens it mints. Default `https://api.example.com`. */
  audience?: string;
  scopes?: string[];
  /** Signing algorithm of minted JWTs and token-endpoint tokens. Default RS256. */
  alg?: JwsAlg;
  /** Keys published at start. Default RS256, ES256, EdDSA. */
  keyAlgs?: AsymmetricAlg[];
  /** What `/v2/oauth/token` issues. Default `jwt`. */
  tokenFormat?: 'jwt' | 'opaque';
  accessTokenTTL?: number;
  /** Default one client, `telnyx-client` / `telnyx-client-secret`. */
  clients?: TelnyxClient[];
}

export interface TelnyxServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** `<url>/v2`: the API base and the issuer, unless `setIssuer` changed what it claims. */
  readonly apiBase: string;
  readonly issuer: string;
  readonly endpoints: {
    metadata: string;
    protectedResource: string;
    jwks: string;
    introspection: string;
    token: string;
  };
  readonly apiKey: string;
  readonly audience: string;
  readonly scopes: readonly string[];
  readonly clients: readonly TelnyxClient[];
  readonly keys: KeySet;
  readonly counts: RequestCounts;
  resetCounts(): void;
  tokenFormat: 'jwt' | 'opaque';
  mintJwt(options?: MintJwtOptions): string;
  mintOpaque(options?: MintOpaqueOptions): string;
  revoke(token: string): boolean;
  /** New keys sign from now on; old ones stay published unless `keepOld: false`. */
  rotateKeys(options?: { keepOld?: boolean; algs?: AsymmetricAlg[] }): Promise<SigningKey[]>;
  removeKey(kid: string): SigningKey | undefined;
  /** Claim another issuer (metadata, new tokens, introspection); no argument restores the real one. */
  setIssuer(issuer?: string): void;
  close(): Promise<void>;
}

const telnyxError = (status: number, title: string, detail: string) => ({
  errors: [{ code: String(status === 401 ? 10009 : 10015), title, detail }],
});

export async function startTelnyxServer(options: TelnyxServerOptions = {}): Promise<TelnyxServer> {
  const scopes = options.scopes ?? DEFAULT_API_SCOPES;
  const clients = options.clients ?? [{ id: 'telnyx-client', secret: 'telnyx-client-secret' }];
  const apiKey = options.apiKey ?? 'KEY_test_telnyx_api_key';
  const audience = options.audience ?? 'https://api.example.com';
  const http = await startCountedServer(() => {}, options);
  const apiBase = `${http.url}/v2`;
  const issuer = await TokenIssuer.create(
    { issuer: apiBase, audience, scopes, clientId: clients[0]?.id ?? 'telnyx-client', alg: options.alg ?? 'RS256', accessTokenTTL: options.accessTokenTTL ?? 300 },
    options.keyAlgs,
  );
  const endpoints = {
    metadata: `${apiBase}/.well-known/oauth-authorization-server`,
    protectedResource: `${apiBase}/.well-known/oauth-protected-resource`,
    jwks: `${apiBase}/oauth/jwks`,
    introspection: `${apiBase}/oauth/introspect`,
    token: `${apiBase}/oauth/token`,
  };
  let tokenFormat = options.tokenFormat ?? 'jwt';

  const metadata = () => ({
    issuer: issuer.issuer,
    authorization_endpoint: `${apiBase}/oauth/authorize`,
    token_endpoint: endpoints.token,
    introspection_endpoint: endpoints.introspection,
    jwks_uri: endpoints.jwks,
    registration_endpoint: `${apiBase}/oauth/register`,
    grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    scopes_supported: scopes,
  });

  async function introspect(req: IncomingMessage, res: ServerResponse) {
    if (bearerToken(req) !== apiKey) {
      return sendJson(res, 401, telnyxError(401, 'Authentication failed', 'The API key is missing or invalid.'));
    }
    const params = await readParams(req);
    if (!params?.token) return sendJson(res, 400, { error: 'invalid_request', error_description: 'token is required' });
    sendJson(res, 200, issuer.introspect(params.token, ['aud', 'client_id', 'exp', 'iat', 'iss', 'scope']), NO_STORE);
  }

  async function token(req: IncomingMessage, res: ServerResponse) {
    const params = (await readParams(req)) ?? {};
    const basic = basicCredentials(req);
    const id = basic?.id ?? params.client_id;
    const secret = basic?.secret ?? params.client_secret;
    const client = clients.find((c) => c.id === id && c.secret === secret);
    if (!client) return sendJson(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' });
    if (params.grant_type !== 'client_credentials') {
      return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'this test server issues client_credentials only' });
    }
    const allowed = client.scopes ?? scopes;
    const requested = params.scope ? params.scope.split(' ').filter(Boolean) : allowed;
    if (requested.some((s) => !allowed.includes(s))) return sendJson(res, 400, { error: 'invalid_scope' });
    const ttl = issuer.defaults.accessTokenTTL;
    const claims = { scope: requested.join(' '), client_id: client.id, sub: client.id, aud: params.resource ?? audience };
    const accessToken =
      tokenFormat === 'jwt' ? issuer.mintJwt({ claims, expiresIn: ttl }) : issuer.mintOpaque({ ...claims, expiresIn: ttl });
    sendJson(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, scope: claims.scope }, NO_STORE);
  }

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>> = {
    'GET /v2/.well-known/oauth-authorization-server': (_req, res) => sendJson(res, 200, metadata()),
    'GET /v2/.well-known/oauth-protected-resource': (_req, res) =>
      sendJson(res, 200, { resource: apiBase, authorization_servers: [issuer.issuer], scopes_supported: scopes, bearer_methods_supported: ['header'] }),
    'GET /v2/oauth/jwks': (_req, res) => sendJson(res, 200, issuer.keys.jwks()),
    'POST /v2/oauth/introspect': introspect,
    'POST /v2/oauth/token': token,
  };
  http.setHandler((req, res) => {
    const route = routes[`${req.method} ${pathOf(req)}`];
    if (!route) return sendJson(res, 404, telnyxError(404, 'Resource not found', `${req.method} ${pathOf(req)}`));
    Promise.resolve(route(req, res)).catch(() => {
      if (!res.headersSent) sendJson(res, 400, { error: 'invalid_request' });
      else res.destroy();
    });
  });

  return {
    url: http.url,
    port: http.port,
    apiBase,
    get issuer() {
      return issuer.issuer;
    },
    endpoints,
    apiKey,
    audience,
    scopes,
    clients,
    keys: issuer.keys,
    counts: http.counts,
    resetCounts: () => http.counts.reset(),
    get tokenFormat() {
      return tokenFormat;
    },
    set tokenFormat(format) {
      tokenFormat = format;
    },
    mintJwt: (o) => issuer.mintJwt(o),
    mintOpaque: (o) => issuer.mintOpaque(o),
    revoke: (t) => issuer.revoke(t),
    rotateKeys: (o) => issuer.keys.rotate(o),
    removeKey: (kid) => issuer.keys.remove(kid),
    setIssuer: (i) => issuer.setIssuer(i),
    close: () => http.close(),
  };
}
