/**
 * Folder `options/`: validation and defaults, once, into a frozen config. Its one rule: runs
 * at creation only; a mistake is a `TypeError` naming the option, never a request-time failure.
 *
 * The guard's options, their defaults, and their validation into one frozen config.
 *
 * Everything here runs once, in `createGuard`: a bad value throws a `TypeError` naming the
 * option, so a misconfigured API fails at start-up and never per request.
 */
import type { KeyObject } from 'node:crypto';
import type { TokenLocation } from '../auth/extract.js';
import type { Store } from '../store/memory.js';
import { toAlgorithms, toHmacKey } from './algorithms.js';
import { checkUrl, duration, optionalBoolean, optionalString, positiveInteger, stringList, toStore } from './checks.js';
import { GUARD_OPTIONS, TOKEN_CACHE_OPTIONS, type GuardOptions } from './guard-options.js';
import { checkOptionNames } from '../errors/unknown-option.js';
import { INTROSPECTION_DEFAULTS, introspectionOffReason, normalizeIntrospectionOptions, type IntrospectionConfig } from './introspection.js';
import { normalizeSenderOptions, type SenderConfig } from './sender.js';

// Moved to their own files; still importable from here, as before.
export { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS } from './algorithms.js';
export type { AsymmetricAlgorithm, HmacAlgorithm, JwsAlgorithm } from './algorithms.js';
export type { IntrospectionAuth, IntrospectionConfig, IntrospectionOptions } from './introspection.js';
export type { TokenLocation } from '../auth/extract.js';
export type { GuardBaseOptions, GuardOptions, RecipientOptions } from './guard-options.js';

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
  introspection: INTROSPECTION_DEFAULTS, // listed in introspection.ts
  tokenCache: Object.freeze({ maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 }),
  /** Largest metadata, JWKS or introspection response read. */
  maxResponseBytes: 512 * 1024,
});

/** The validated, frozen form of {@link GuardOptions}. Durations in seconds. */
export interface GuardConfig {
  issuers: readonly string[];
  /** Empty when only `clientIds` is configured: `aud` is then not compared. */
  audiences: readonly string[];
  /** `undefined`: any client (only `audience` is configured). */
  clientIds: readonly string[] | undefined;
  /** `undefined` without `audience` and `resource`: the API has no resource identifier. */
  resource: string | undefined;
  realm: string | undefined;
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
  /** Why an `introspection` option that was given is off anyway (no client authentication). */
  introspectionOff: string | undefined;
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
  checkOptionNames(options, GUARD_OPTIONS, 'createGuard()');
  const allowInsecureHttp = optionalBoolean(options.allowInsecureHttp, 'allowInsecureHttp') ?? false;
  const issuers = stringList(options.issuer, 'issuer');
  for (const issuer of issuers) checkUrl(issuer, 'issuer', allowInsecureHttp);
  const { audiences, clientIds } = toRecipients(options);
  const resource = optionalString(options.resource, 'resource') ?? audiences[0];
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
    clientIds,
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
    introspectionOff: introspectionOffReason(options.introspection),
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

/**
 * `audience` and `clientIds`: two independent checks, at least one configured (DESIGN
 * "clientIds"). Neither is a `TypeError` naming both, so a guard never accepts any token
 * of its issuer for want of a recipient.
 */
function toRecipients(options: GuardOptions): Pick<GuardConfig, 'audiences' | 'clientIds'> {
  if (options.audience === undefined && options.clientIds === undefined) {
    throw new TypeError(
      '"audience" is required (the aud your tokens carry), or "clientIds" (the client_id/azp/cid they carry), or both',
    );
  }
  return {
    audiences: options.audience === undefined ? Object.freeze([]) : stringList(options.audience, 'audience'),
    clientIds: options.clientIds === undefined ? undefined : stringList(options.clientIds, 'clientIds'),
  };
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
  if (option !== undefined) checkOptionNames(option, TOKEN_CACHE_OPTIONS, 'createGuard()', 'tokenCache.');
  return Object.freeze({
    maxEntries: positiveInteger(option?.maxEntries, 'tokenCache.maxEntries', DEFAULTS.tokenCache.maxEntries),
    maxBytes: positiveInteger(option?.maxBytes, 'tokenCache.maxBytes', DEFAULTS.tokenCache.maxBytes),
  });
}
