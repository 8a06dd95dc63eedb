/**
 * The guard's options, their defaults, and their validation into one frozen config.
 *
 * Everything here runs once, in `createGuard`: a bad value throws a `TypeError` naming the
 * option, so a misconfigured API fails at start-up and never per request.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { isLoopbackUrl } from './http.js';
import type { Store } from './store.js';
import { normalizeSenderOptions, type SenderConfig, type SenderConstraintOptions } from './sender-options.js';

/** Asymmetric JWS algorithms accepted by default (RFC 8725 §3.1: an explicit allow-list). */
export const ASYMMETRIC_ALGORITHMS = Object.freeze([
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const);

/** HMAC algorithms; only ever used with an explicit `hmacSecret`. */
export const HMAC_ALGORITHMS = Object.freeze(['HS256', 'HS384', 'HS512'] as const);

export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];
export type JwsAlgorithm = AsymmetricAlgorithm | HmacAlgorithm;

/** Where a bearer token may be read from (RFC 6750 §2). */
export type TokenLocation = 'header' | 'body' | 'query';

/** How the guard authenticates itself to the introspection endpoint. */
export type IntrospectionAuth = 'client_secret_basic' | 'client_secret_post' | 'bearer' | 'none';

/** Options of RFC 7662 token introspection, the path for opaque tokens. */
export interface IntrospectionOptions {
  /** Introspection endpoint. Default: the metadata's `introspection_endpoint`. */
  endpoint?: string;
  /** Client id for `client_secret_basic` / `client_secret_post`. */
  clientId?: string;
  /** Client secret for `client_secret_basic` / `client_secret_post`. Never logged. */
  clientSecret?: string;
  /**
   * Client authentication. Default: `'client_secret_basic'` when `clientId` is given,
   * `'bearer'` when `bearerToken` is given.
   */
  auth?: IntrospectionAuth;
  /** API key sent as `Authorization: Bearer` with `auth: 'bearer'` (Telnyx). Never logged. */
  bearerToken?: string;
  /** Request body encoding: RFC 7662 form (default) or JSON (Telnyx's examples). */
  encoding?: 'form' | 'json';
  /** Seconds a positive result is cached, never past the token's `exp`. Default: 300. */
  maxAge?: number;
  /** Seconds an `active: false` result is cached. Default: 10. */
  negativeMaxAge?: number;
  /** Introspection calls in flight at once; beyond it 503. Default: 64. */
  maxConcurrency?: number;
  /** Refuse active tokens whose introspection response has no `aud`. Default: false. */
  requireAudience?: boolean;
  /** Also introspect JWTs that verified locally (servers that revoke JWTs). Default: false. */
  introspectJwt?: boolean;
  /** Most cached results. Default: 10,000. */
  cacheMaxEntries?: number;
  /** Most bytes of cached results. Default: 16 MiB. */
  cacheMaxBytes?: number;
  /** Shared cache of results (e.g. `redisStore`), beside the in-process one. Default: the guard's `store`. */
  store?: Store;
}

/** Options of {@link createGuard}. Every duration is in seconds. */
export interface GuardOptions extends SenderConstraintOptions {
  /** Trusted issuer identifier(s), exactly as the `iss` claim and the metadata's `issuer`. */
  issuer: string | readonly string[];
  /** Accepted audience(s): a token passes when one of its `aud` values is one of these. */
  audience: string | readonly string[];
  /** RFC 9728 resource identifier of this API. Default: the first audience. */
  resource?: string;
  /** `realm` of every challenge. Default: the resource identifier. */
  realm?: string;
  /** Exact AS metadata URL; skips the discovery search. Only with a single issuer. */
  metadataUrl?: string;
  /** JWKS URL; overrides the metadata's `jwks_uri` (for every issuer). */
  jwksUri?: string;
  /** Allow-list of JWS algorithms. Default: every asymmetric algorithm; never `none`. */
  algorithms?: readonly JwsAlgorithm[];
  /**
   * Shared secret for HMAC-signed (HS256/384/512) access tokens.
   *
   * > [!WARNING]
   * > Anyone who holds this secret can mint tokens this API accepts. Prefer asymmetric
   * > tokens; without this option HMAC tokens go to introspection (or are refused).
   */
  hmacSecret?: string | Uint8Array | KeyObject;
  /** Seconds of leeway on `exp`, `nbf` and `iat`. Default: 5. */
  clockTolerance?: number;
  /** Refuse tokens whose `iat` is older than this many seconds. Default: no limit. */
  maxTokenAge?: number;
  /** Accept only `typ: at+jwt` (RFC 9068 §2.1). Default: false (`JWT` and no `typ` pass too). */
  strictTyp?: boolean;
  /** Seconds every outbound call may take. Default: 5. */
  timeout?: number;
  /** Seconds metadata and JWKS stay fresh; `Cache-Control: max-age` is honoured within [cooldown, jwksMaxAge]. Default: 600. */
  jwksMaxAge?: number;
  /** Seconds without a JWKS refetch for unknown `kid`s after a fetch. Default: 30. */
  cooldown?: number;
  /** Seconds cached keys keep verifying while the JWKS endpoint fails. Default: 86400. */
  maxStale?: number;
  /**
   * Start fetching the metadata and keys at construction instead of on the first request.
   * A failure never throws or crashes the process: it is reported by `guard.health()`, the
   * `resource-guard:*` events and one process warning, and the first request tries again.
   * `await guard.ready()` to wait for (and check) the result. Default: false.
   */
  warmup?: boolean;
  /**
   * What `error_description` tells clients. `'full'`: the exact reason ("token expired 42 s
   * ago", "audience mismatch"). `'minimal'`: a fixed phrase per error code ("invalid token"),
   * nothing that helps probe the guard; the full reason stays in `err.cause` and the events.
   * Default: `'minimal'` when `NODE_ENV` is `production`, else `'full'`.
   */
  errorDetail?: 'full' | 'minimal';
  /** RFC 7662 introspection for opaque tokens; `false` disables it. */
  introspection?: IntrospectionOptions | false;
  /**
   * Where tokens are read from. Default: `['header']`.
   *
   * > [!WARNING]
   * > `'query'` puts tokens in URLs, which end up in logs and browser history (RFC 6750 §5.3).
   */
  tokenLocations?: readonly TokenLocation[];
  /**
   * Allow `http://` authorization-server URLs that are not loopback.
   *
   * > [!WARNING]
   * > Keys and introspection answers fetched over plain HTTP can be forged by anyone on the path.
   */
  allowInsecureHttp?: boolean;
  /** Extra scopes to list in `scopes_supported` of the RFC 9728 document. */
  scopesSupported?: readonly string[];
  /**
   * The claims whose values make up `AuthInfo.scopes`, read in this order; each may be a
   * space-delimited string or an array of strings. Duplicates are removed, order is kept.
   * `['scope', 'permissions']` serves Auth0 RBAC, whose rights sit in a `permissions` array.
   * Default: `['scope', 'scp']`.
   */
  scopeClaims?: readonly string[];
  /** `resource_name` of the RFC 9728 document. */
  resourceName?: string;
  /** `resource_documentation` of the RFC 9728 document. */
  resourceDocumentation?: string;
  /** Verified-token cache bounds; `false` disables it. Default: 10,000 entries, 16 MiB. */
  tokenCache?: { maxEntries?: number; maxBytes?: number } | false;
  /**
   * Shared state for several instances (`redisStore` from `resource-guard/redis`): the
   * introspection cache and the DPoP `jti` replay set. Default: in-process memory only.
   */
  store?: Store;
  /**
   * When the store fails or is slower than `timeout`: `'deny'` (default) makes replay checks
   * fail closed with 503; `'allow'` lets them pass. Caches always fall back to asking the AS.
   */
  onStoreError?: 'deny' | 'allow';
}

/** Every default, on one screen. Durations in seconds. */
export const DEFAULTS = Object.freeze({
  clockTolerance: 5,
  timeout: 5,
  jwksMaxAge: 600,
  cooldown: 30,
  maxStale: 86_400,
  warmup: false,
  tokenLocations: Object.freeze(['header'] as const),
  scopeClaims: Object.freeze(['scope', 'scp'] as const),
  introspection: Object.freeze({
    encoding: 'form' as const,
    maxAge: 300,
    negativeMaxAge: 10,
    maxConcurrency: 64,
    cacheMaxEntries: 10_000,
    cacheMaxBytes: 16 * 1024 * 1024,
  }),
  tokenCache: Object.freeze({ maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 }),
  /** Largest metadata, JWKS or introspection response read. */
  maxResponseBytes: 512 * 1024,
});

/** Introspection, resolved: client auth is a strategy, every number is set. */
export interface IntrospectionConfig {
  endpoint: string | undefined;
  auth: IntrospectionAuth;
  clientId: string | undefined;
  clientSecret: string | undefined;
  bearerToken: string | undefined;
  encoding: 'form' | 'json';
  maxAge: number;
  negativeMaxAge: number;
  maxConcurrency: number;
  requireAudience: boolean;
  introspectJwt: boolean;
  cacheMaxEntries: number;
  cacheMaxBytes: number;
  store: Store | undefined;
}

/** The validated, frozen form of {@link GuardOptions}. Durations in seconds. */
export interface GuardConfig {
  issuers: readonly string[];
  audiences: readonly string[];
  resource: string;
  realm: string;
  metadataUrl: string | undefined;
  jwksUri: string | undefined;
  algorithms: ReadonlySet<string>;
  hmacKey: KeyObject | undefined;
  clockTolerance: number;
  maxTokenAge: number | undefined;
  strictTyp: boolean;
  timeout: number;
  jwksMaxAge: number;
  cooldown: number;
  maxStale: number;
  warmup: boolean;
  errorDetail: 'full' | 'minimal';
  introspection: IntrospectionConfig | undefined;
  tokenLocations: ReadonlySet<TokenLocation>;
  allowInsecureHttp: boolean;
  scopesSupported: readonly string[];
  scopeClaims: readonly string[];
  resourceName: string | undefined;
  resourceDocumentation: string | undefined;
  tokenCache: { maxEntries: number; maxBytes: number } | undefined;
  store: Store | undefined;
  onStoreError: 'deny' | 'allow';
  maxResponseBytes: number;
  /** DPoP (RFC 9449) and certificate-bound tokens (RFC 8705). */
  sender: SenderConfig;
}

/** Validates `options` and returns the frozen config. Throws `TypeError` naming the option. */
export function normalizeOptions(options: GuardOptions): GuardConfig {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createGuard() needs an options object with "issuer" and "audience"');
  }
  const allowInsecureHttp = optionalBoolean(options.allowInsecureHttp, 'allowInsecureHttp') ?? false;
  const issuers = stringList(options.issuer, 'issuer');
  for (const issuer of issuers) checkUrl(issuer, 'issuer', allowInsecureHttp);
  const audiences = stringList(options.audience, 'audience');
  const resource = optionalString(options.resource, 'resource') ?? audiences[0]!;
  const metadataUrl = optionalString(options.metadataUrl, 'metadataUrl');
  if (metadataUrl !== undefined) {
    checkUrl(metadataUrl, 'metadataUrl', allowInsecureHttp);
    if (issuers.length > 1) {
      throw new TypeError('"metadataUrl" names one server; it cannot be used with several issuers');
    }
  }
  const jwksUri = optionalString(options.jwksUri, 'jwksUri');
  if (jwksUri !== undefined) checkUrl(jwksUri, 'jwksUri', allowInsecureHttp);

  const hmacKey = toHmacKey(options.hmacSecret);
  const algorithms = toAlgorithms(options.algorithms, hmacKey !== undefined);

  const timeout = duration(options.timeout, 'timeout', DEFAULTS.timeout, { min: 0.001 });
  const cooldown = duration(options.cooldown, 'cooldown', DEFAULTS.cooldown);
  const jwksMaxAge = duration(options.jwksMaxAge, 'jwksMaxAge', DEFAULTS.jwksMaxAge);
  const store = toStore(options.store, 'store');
  if (jwksMaxAge < cooldown) throw new TypeError('"jwksMaxAge" must not be shorter than "cooldown"');

  const config: GuardConfig = {
    issuers,
    audiences,
    resource,
    realm: optionalString(options.realm, 'realm') ?? resource,
    metadataUrl,
    jwksUri,
    algorithms,
    hmacKey,
    clockTolerance: duration(options.clockTolerance, 'clockTolerance', DEFAULTS.clockTolerance),
    maxTokenAge:
      options.maxTokenAge === undefined ? undefined : duration(options.maxTokenAge, 'maxTokenAge', 0),
    strictTyp: optionalBoolean(options.strictTyp, 'strictTyp') ?? false,
    timeout,
    jwksMaxAge,
    cooldown,
    maxStale: duration(options.maxStale, 'maxStale', DEFAULTS.maxStale),
    warmup: optionalBoolean(options.warmup, 'warmup') ?? DEFAULTS.warmup,
    errorDetail: toErrorDetail(options.errorDetail),
    introspection: toIntrospection(options.introspection, allowInsecureHttp, store),
    tokenLocations: toTokenLocations(options.tokenLocations),
    allowInsecureHttp,
    scopesSupported: options.scopesSupported === undefined ? [] : stringList(options.scopesSupported, 'scopesSupported', true),
    scopeClaims: options.scopeClaims === undefined ? DEFAULTS.scopeClaims : stringList(options.scopeClaims, 'scopeClaims'),
    resourceName: optionalString(options.resourceName, 'resourceName'),
    resourceDocumentation: optionalString(options.resourceDocumentation, 'resourceDocumentation'),
    tokenCache: toTokenCache(options.tokenCache),
    store,
    onStoreError: toOnStoreError(options.onStoreError),
    maxResponseBytes: DEFAULTS.maxResponseBytes,
    sender: normalizeSenderOptions(options),
  };
  return Object.freeze(config);
}

function toIntrospection(
  options: IntrospectionOptions | false | undefined,
  allowInsecureHttp: boolean,
  guardStore: Store | undefined,
): IntrospectionConfig | undefined {
  if (options === false) return undefined;
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('"introspection" must be an object or false');
  }
  const endpoint = optionalString(options.endpoint, 'introspection.endpoint');
  if (endpoint !== undefined) checkUrl(endpoint, 'introspection.endpoint', allowInsecureHttp);
  const clientId = optionalString(options.clientId, 'introspection.clientId');
  const clientSecret = optionalString(options.clientSecret, 'introspection.clientSecret');
  const bearerToken = optionalString(options.bearerToken, 'introspection.bearerToken');
  const auth = options.auth ?? (bearerToken !== undefined ? 'bearer' : clientId !== undefined ? 'client_secret_basic' : undefined);
  switch (auth) {
    case 'client_secret_basic':
    case 'client_secret_post':
      if (clientId === undefined || clientSecret === undefined) {
        throw new TypeError(`introspection auth "${auth}" needs "introspection.clientId" and "introspection.clientSecret"`);
      }
      break;
    case 'bearer':
      if (bearerToken === undefined) throw new TypeError('introspection auth "bearer" needs "introspection.bearerToken"');
      break;
    case 'none':
      break;
    case undefined:
      // DESIGN: introspection is on only with client authentication configured; an
      // endpoint alone must not silently call it unauthenticated.
      return undefined;
    default:
      throw new TypeError(`"introspection.auth" must be one of client_secret_basic, client_secret_post, bearer, none (got ${JSON.stringify(auth)})`);
  }
  const encoding = options.encoding ?? DEFAULTS.introspection.encoding;
  if (encoding !== 'form' && encoding !== 'json') {
    throw new TypeError('"introspection.encoding" must be "form" or "json"');
  }
  const d = DEFAULTS.introspection;
  return Object.freeze({
    endpoint,
    auth,
    clientId,
    clientSecret,
    bearerToken,
    encoding,
    maxAge: duration(options.maxAge, 'introspection.maxAge', d.maxAge),
    negativeMaxAge: duration(options.negativeMaxAge, 'introspection.negativeMaxAge', d.negativeMaxAge),
    maxConcurrency: positiveInteger(options.maxConcurrency, 'introspection.maxConcurrency', d.maxConcurrency),
    requireAudience: optionalBoolean(options.requireAudience, 'introspection.requireAudience') ?? false,
    introspectJwt: optionalBoolean(options.introspectJwt, 'introspection.introspectJwt') ?? false,
    cacheMaxEntries: positiveInteger(options.cacheMaxEntries, 'introspection.cacheMaxEntries', d.cacheMaxEntries),
    cacheMaxBytes: positiveInteger(options.cacheMaxBytes, 'introspection.cacheMaxBytes', d.cacheMaxBytes),
    store: toStore(options.store, 'introspection.store') ?? guardStore,
  });
}

function toErrorDetail(value: unknown): 'full' | 'minimal' {
  if (value === undefined) return process.env.NODE_ENV === 'production' ? 'minimal' : 'full';
  if (value !== 'full' && value !== 'minimal') {
    throw new TypeError(`"errorDetail" must be "full" or "minimal" (got ${JSON.stringify(value)})`);
  }
  return value;
}

function toAlgorithms(algorithms: readonly string[] | undefined, hasHmacKey: boolean): ReadonlySet<string> {
  if (algorithms === undefined) {
    return new Set<string>(hasHmacKey ? [...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS] : ASYMMETRIC_ALGORITHMS);
  }
  const list = stringList(algorithms, 'algorithms');
  const known = new Set<string>([...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS]);
  for (const alg of list) {
    if (!known.has(alg)) {
      throw new TypeError(`"algorithms" has ${JSON.stringify(alg)}; supported: ${[...known].join(', ')}`);
    }
    if (alg.startsWith('HS') && !hasHmacKey) {
      throw new TypeError(`"algorithms" has ${alg}, which needs "hmacSecret"`);
    }
  }
  return new Set(list);
}

function toHmacKey(secret: GuardOptions['hmacSecret']): KeyObject | undefined {
  if (secret === undefined) return undefined;
  if (typeof secret === 'string') {
    if (secret.length < 32) throw new TypeError('"hmacSecret" must be at least 32 characters (RFC 7518 §3.2)');
    return createSecretKey(Buffer.from(secret, 'utf8'));
  }
  if (secret instanceof Uint8Array) {
    if (secret.byteLength < 32) throw new TypeError('"hmacSecret" must be at least 32 bytes (RFC 7518 §3.2)');
    return createSecretKey(Buffer.from(secret));
  }
  if (typeof secret === 'object' && secret !== null && (secret as KeyObject).type === 'secret') return secret;
  throw new TypeError('"hmacSecret" must be a string, a Uint8Array or a secret KeyObject');
}

function toStore(store: unknown, name: string): Store | undefined {
  if (store === undefined) return undefined;
  const s = store as Partial<Store> | null;
  if (typeof s !== 'object' || s === null || ['get', 'set', 'setIfAbsent', 'delete'].some((m) => typeof s[m as keyof Store] !== 'function')) {
    throw new TypeError(`"${name}" must be a Store (get, set, setIfAbsent, delete), e.g. redisStore(client)`);
  }
  return store as Store;
}

function toOnStoreError(value: unknown): 'deny' | 'allow' {
  if (value === undefined) return 'deny';
  if (value !== 'deny' && value !== 'allow') throw new TypeError('"onStoreError" must be "deny" or "allow"');
  return value;
}

function toTokenLocations(locations: readonly TokenLocation[] | undefined): ReadonlySet<TokenLocation> {
  if (locations === undefined) return new Set(DEFAULTS.tokenLocations);
  const list = stringList(locations, 'tokenLocations');
  for (const location of list) {
    if (location !== 'header' && location !== 'body' && location !== 'query') {
      throw new TypeError(`"tokenLocations" entries must be "header", "body" or "query" (got ${JSON.stringify(location)})`);
    }
  }
  return new Set(list as TokenLocation[]);
}

function toTokenCache(option: GuardOptions['tokenCache']): GuardConfig['tokenCache'] {
  if (option === false) return undefined;
  if (option !== undefined && (typeof option !== 'object' || option === null)) {
    throw new TypeError('"tokenCache" must be an object or false');
  }
  return Object.freeze({
    maxEntries: positiveInteger(option?.maxEntries, 'tokenCache.maxEntries', DEFAULTS.tokenCache.maxEntries),
    maxBytes: positiveInteger(option?.maxBytes, 'tokenCache.maxBytes', DEFAULTS.tokenCache.maxBytes),
  });
}

function checkUrl(value: string, name: string, allowInsecureHttp: boolean): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`"${name}" must be an absolute URL (got ${JSON.stringify(value)})`);
  }
  // fetch refuses such URLs, and every error and event naming the URL would carry the password.
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`"${name}" must not contain credentials (user:password@); the value is not shown`);
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && (allowInsecureHttp || isLoopbackUrl(url))) return;
  if (url.protocol === 'http:') {
    throw new TypeError(`"${name}" must use https: (got ${value}); set "allowInsecureHttp" to allow plain http`);
  }
  throw new TypeError(`"${name}" must be an https: URL (got ${value})`);
}

function stringList(value: unknown, name: string, allowEmpty = false): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || (!allowEmpty && list.length === 0)) {
    throw new TypeError(`"${name}" is required: a non-empty string or array of strings`);
  }
  for (const item of list) {
    if (typeof item !== 'string' || item.length === 0) {
      throw new TypeError(`"${name}" must contain only non-empty strings`);
    }
  }
  return Object.freeze([...new Set(list as string[])]);
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`"${name}" must be a non-empty string`);
  return value;
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new TypeError(`"${name}" must be a boolean`);
  return value;
}

function duration(value: unknown, name: string, fallback: number, { min = 0 } = {}): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`"${name}" must be a finite number of seconds >= ${min} (got ${String(value)})`);
  }
  return value;
}

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`"${name}" must be a positive integer (got ${String(value)})`);
  }
  return value;
}
