/**
 * The guard's options, their defaults, and their validation into one frozen config.
 *
 * Everything here runs once, in `createGuard`: a bad value throws a `TypeError` naming the
 * option, so a misconfigured API fails at start-up and never per request.
 */
import type { KeyObject } from 'node:crypto';
import type { Store } from '../store/memory.js';
import { toAlgorithms, toHmacKey, type JwsAlgorithm } from './algorithms.js';
import {
  INTROSPECTION_DEFAULTS,
  normalizeIntrospectionOptions,
  type IntrospectionConfig,
  type IntrospectionOptions,
} from './introspection.js';
import { checkUrl, duration, optionalBoolean, optionalString, positiveInteger, stringList, toStore } from './checks.js';
import { normalizeSenderOptions, type SenderConfig, type SenderConstraintOptions } from './sender.js';

// Moved to their own files; still importable from here, as before.
export { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS } from './algorithms.js';
export type { AsymmetricAlgorithm, HmacAlgorithm, JwsAlgorithm } from './algorithms.js';
export type { IntrospectionAuth, IntrospectionConfig, IntrospectionOptions } from './introspection.js';

/** Where a bearer token may be read from (RFC 6750 §2). */
export type TokenLocation = 'header' | 'body' | 'query';

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
  introspection: INTROSPECTION_DEFAULTS, // listed in introspection-options.ts
  tokenCache: Object.freeze({ maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 }),
  /** Largest metadata, JWKS or introspection response read. */
  maxResponseBytes: 512 * 1024,
});

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
    introspection: normalizeIntrospectionOptions(options.introspection, allowInsecureHttp, store),
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

function toErrorDetail(value: unknown): 'full' | 'minimal' {
  if (value === undefined) return process.env.NODE_ENV === 'production' ? 'minimal' : 'full';
  if (value !== 'full' && value !== 'minimal') {
    throw new TypeError(`"errorDetail" must be "full" or "minimal" (got ${JSON.stringify(value)})`);
  }
  return value;
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
