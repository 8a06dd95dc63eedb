/**
 * A fault-injecting authorization server for resilience tests: RFC 8414 metadata (also at the
 * OIDC location), JWKS and RFC 7662 introspection on 127.0.0.1, every request counted, and
 * per endpoint a behaviour (or a sequence of them) from `fault`: down, hang, slow, 5xx, 429 +
 * Retry-After, garbage, oversized, redirect, any JSON. ETag / If-None-Match (304) and
 * Cache-Control can be switched on for metadata and JWKS.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_API_SCOPES } from '../../example-app/authorization-server.js';
import { fault, perform } from './faults.js';
import type { Behavior } from './faults.js';
import { NO_STORE, basicCredentials, pathOf, readParams, sendJson, startCountedServer } from './http-server.js';
import type { RequestCounts } from './http-server.js';
import type { AsymmetricAlg, JwsAlg, KeySet, SigningKey } from './keys.js';
import { merge } from './keys.js';
import { TokenIssuer } from './token-issuer.js';
import type { MintJwtOptions, MintOpaqueOptions } from './token-issuer.js';

export { fault } from './faults.js';
export type { Behavior } from './faults.js';

export type FaultEndpoint = 'metadata' | 'openid-configuration' | 'jwks' | 'introspection';

export interface CacheHeaders {
  /** Send a strong ETag and answer a matching If-None-Match with 304. */
  etag?: boolean;
  /** Cache-Control value, e.g. `max-age=60`. */
  cacheControl?: string;
}

export interface FaultServerOptions {
  port?: number;
  host?: string;
  /** Path of the issuer, e.g. `/tenant`: metadata then lives at `/.well-known/oauth-authorization-server/tenant`. Default ''. */
  issuerPath?: string;
  audience?: string;
  scopes?: string[];
  alg?: JwsAlg;
  keyAlgs?: AsymmetricAlg[];
  accessTokenTTL?: number;
  /** client_secret_basic or _post credentials introspection requires; `null`: none. Default `resource-server` / `resource-server-secret`. */
  introspectionClient?: { id: string; secret: string } | null;
  /** For metadata (both locations) and JWKS. Default: neither header. */
  cache?: CacheHeaders;
}

export interface FaultServer {
  readonly url: string;
  readonly port: number;
  /** `url + issuerPath`, unless `setIssuer` changed what it claims. */
  readonly issuer: string;
  readonly endpoints: Readonly<Record<FaultEndpoint, string>>;
  readonly keys: KeySet;
  readonly counts: RequestCounts;
  resetCounts(): void;
  /** Requests that reached `endpoint` since the last reset. */
  count(endpoint: FaultEndpoint): number;
  /** Each request takes the next behaviour; the last one stays. `setBehavior('jwks', fault.status(503), fault.ok)`. */
  setBehavior(endpoint: FaultEndpoint, ...sequence: Behavior[]): void;
  /** Every endpoint back to `ok`. */
  resetBehaviors(): void;
  setCache(endpoint: 'metadata' | 'openid-configuration' | 'jwks', headers: CacheHeaders): void;
  /** Change served metadata members; `undefined` removes one (e.g. `introspection_endpoint`). */
  setMetadata(patch: Record<string, unknown>): void;
  mintJwt(options?: MintJwtOptions): string;
  mintOpaque(options?: MintOpaqueOptions): string;
  revoke(token: string): boolean;
  rotateKeys(options?: { keepOld?: boolean; algs?: AsymmetricAlg[] }): Promise<SigningKey[]>;
  removeKey(kid: string): SigningKey | undefined;
  setIssuer(issuer?: string): void;
  /** Close the port: connections are refused until `resume()`. */
  stopListening(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

export async function startFaultServer(options: FaultServerOptions = {}): Promise<FaultServer> {
  const path = options.issuerPath ?? '';
  const scopes = options.scopes ?? DEFAULT_API_SCOPES;
  const client = options.introspectionClient === undefined ? { id: 'resource-server', secret: 'resource-server-secret' } : options.introspectionClient;
  const http = await startCountedServer(() => {}, options);
  const base = http.url;
  const issuer = await TokenIssuer.create(
    {
      issuer: base + path,
      audience: options.audience ?? 'https://api.example.com',
      scopes,
      clientId: 'fault-client',
      alg: options.alg ?? 'RS256',
      accessTokenTTL: options.accessTokenTTL ?? 300,
    },
    options.keyAlgs,
  );
  const paths: Record<FaultEndpoint, string> = {
    metadata: `/.well-known/oauth-authorization-server${path}`,
    'openid-configuration': `${path}/.well-known/openid-configuration`,
    jwks: `${path}/jwks`,
    introspection: `${path}/introspect`,
  };
  const endpoints = Object.fromEntries(Object.entries(paths).map(([k, p]) => [k, base + p])) as Record<FaultEndpoint, string>;
  const behaviors = new Map<FaultEndpoint, Behavior[]>();
  const cache = new Map<FaultEndpoint, CacheHeaders>();
  for (const e of ['metadata', 'openid-configuration', 'jwks'] as const) cache.set(e, { ...options.cache });
  let metadataPatch: Record<string, unknown> = {};

  const metadata = () =>
    merge(
      {
        issuer: issuer.issuer,
        token_endpoint: `${base}${path}/token`,
        jwks_uri: endpoints.jwks,
        introspection_endpoint: endpoints.introspection,
        response_types_supported: ['code'],
        grant_types_supported: ['client_credentials'],
        introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: scopes,
      },
      metadataPatch,
    );

  function cacheable(endpoint: FaultEndpoint, req: IncomingMessage, res: ServerResponse, body: unknown) {
    const text = JSON.stringify(body);
    const { etag, cacheControl } = cache.get(endpoint) ?? {};
    const headers: Record<string, string> = cacheControl ? { 'cache-control': cacheControl } : {};
    if (etag) headers.etag = etagOf(text);
    if (headers.etag && matches(req.headers['if-none-match'], headers.etag)) {
      res.writeHead(304, headers);
      return void res.end();
    }
    sendJson(res, 200, body, headers);
  }

  async function introspect(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request' }, { allow: 'POST' });
    const params = await readParams(req);
    if (!params) return sendJson(res, 400, { error: 'invalid_request', error_description: 'unreadable body' });
    const basic = basicCredentials(req);
    const id = basic?.id ?? params.client_id;
    const secret = basic?.secret ?? params.client_secret;
    if (client && (id !== client.id || secret !== client.secret)) {
      return sendJson(res, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="introspection"' });
    }
    if (!params.token) return sendJson(res, 400, { error: 'invalid_request', error_description: 'token is required' });
    sendJson(res, 200, issuer.introspect(params.token), NO_STORE);
  }

  const handlers: Record<FaultEndpoint, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>> = {
    metadata: (req, res) => cacheable('metadata', req, res, metadata()),
    'openid-configuration': (req, res) => cacheable('openid-configuration', req, res, metadata()),
    jwks: (req, res) => cacheable('jwks', req, res, issuer.keys.jwks()),
    introspection: introspect,
  };
  const byPath = new Map(Object.entries(paths).map(([e, p]) => [p, e as FaultEndpoint]));

  http.setHandler((req, res) => {
    const endpoint = byPath.get(pathOf(req));
    if (!endpoint) return sendJson(res, 404, { error: 'not_found' });
    const queue = behaviors.get(endpoint) ?? [];
    const behavior = (queue.length > 1 ? queue.shift() : queue[0]) ?? fault.ok;
    perform(behavior, req, res, () => {
      Promise.resolve(handlers[endpoint](req, res)).catch(() => {
        if (!res.headersSent) sendJson(res, 400, { error: 'invalid_request' });
        else res.destroy();
      });
    });
  });

  return {
    url: base,
    port: http.port,
    get issuer() {
      return issuer.issuer;
    },
    endpoints,
    keys: issuer.keys,
    counts: http.counts,
    resetCounts: () => http.counts.reset(),
    count: (endpoint) => http.counts.get(paths[endpoint]),
    setBehavior(endpoint, ...sequence) {
      behaviors.set(endpoint, sequence.length ? sequence : [fault.ok]);
    },
    resetBehaviors: () => behaviors.clear(),
    setCache(endpoint, headers) {
      cache.set(endpoint, { ...headers });
    },
    setMetadata(patch) {
      metadataPatch = { ...metadataPatch, ...patch };
    },
    mintJwt: (o) => issuer.mintJwt(o),
    mintOpaque: (o) => issuer.mintOpaque(o),
    revoke: (t) => issuer.revoke(t),
    rotateKeys: (o) => issuer.keys.rotate(o),
    removeKey: (kid) => issuer.keys.remove(kid),
    setIssuer: (i) => issuer.setIssuer(i),
    stopListening: () => http.close(),
    resume: () => http.reopen(),
    close: () => http.close(),
  };
}
