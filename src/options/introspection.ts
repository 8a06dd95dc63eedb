/**
 * Options of RFC 7662 token introspection, their defaults and their validation. `normalize.ts`
 * folds them into the guard's frozen config; like everything there, a bad value throws a
 * `TypeError` naming the option, once, in `createGuard`.
 */
import { checkUrl, duration, optionalBoolean, optionalString, positiveInteger, toStore } from './checks.js';
import type { Store } from '../store/memory.js';
import { checkOptionNames, optionNames } from '../errors/unknown-option.js';

/** How the guard authenticates itself to the introspection endpoint. */
export type IntrospectionAuth = 'client_secret_basic' | 'client_secret_post' | 'bearer' | 'none';

/** Options of RFC 7662 token introspection, the path for opaque tokens. */
export interface IntrospectionOptions {
  /**
   * Introspection endpoint of the (first) issuer. Default: its metadata's
   * `introspection_endpoint`. With several issuers, a JWT goes to introspection only at its
   * own issuer's endpoint (this one for the first issuer, the metadata's for the others), and
   * opaque tokens to the first issuer's.
   */
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
  /**
   * Also introspect JWTs that verified locally (servers that revoke JWTs). The answer decides
   * whether the token is active; what the signed JWT says of its issuer, audience, subject,
   * client and sender constraint (`cnf`) stays in force, and an answer that contradicts one of
   * them is refused (401 `invalid_token`). Default: false.
   */
  introspectJwt?: boolean;
  /** Most cached results. Default: 10,000. */
  cacheMaxEntries?: number;
  /** Most bytes of cached results. Default: 16 MiB. */
  cacheMaxBytes?: number;
  /** Shared cache of results (e.g. `redisStore`), beside the in-process one. Default: the guard's `store`. */
  store?: Store;
}

/** Every option name of `introspection`, for the strict check. */
export const INTROSPECTION_OPTIONS = optionNames<IntrospectionOptions>({
  endpoint: true,
  clientId: true,
  clientSecret: true,
  auth: true,
  bearerToken: true,
  encoding: true,
  maxAge: true,
  negativeMaxAge: true,
  maxConcurrency: true,
  requireAudience: true,
  introspectJwt: true,
  cacheMaxEntries: true,
  cacheMaxBytes: true,
  store: true,
});

/** Every introspection default, `DEFAULTS.introspection`. Durations in seconds. */
export const INTROSPECTION_DEFAULTS = Object.freeze({
  encoding: 'form' as const,
  maxAge: 300,
  negativeMaxAge: 10,
  maxConcurrency: 64,
  cacheMaxEntries: 10_000,
  cacheMaxBytes: 16 * 1024 * 1024,
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

/**
 * Why introspection that was configured is off, when credentials are set but no endpoint is
 * known: neither `introspection.endpoint` nor the authorization server's metadata names one.
 * Known only once the metadata is (`guard.health()`, `guard.ready()`, the first opaque token).
 */
export const NO_ENDPOINT_REASON =
  'client authentication is set, but neither "introspection.endpoint" nor the authorization server metadata names an introspection endpoint; set "introspection.endpoint"';

/**
 * Why an `introspection` option that was given is off (DESIGN: introspection is on only with
 * client authentication configured): a sentence for a warning, or `undefined` when it is on
 * or was never asked for (`false`, absent). Call after {@link normalizeIntrospectionOptions}
 * has validated the option.
 */
export function introspectionOffReason(options: IntrospectionOptions | false | undefined): string | undefined {
  if (options === false || options === undefined || clientAuthOf(options) !== undefined) return undefined;
  const fix = 'set "clientId" and "clientSecret", "bearerToken", or auth: \'none\'';
  return options.endpoint === undefined
    ? `"introspection" is set, but without client authentication; ${fix}`
    : `"introspection.endpoint" is set, but without client authentication, so it is never called; ${fix}`;
}

/** The client authentication asked for, explicitly or by the credentials given; `undefined` for none. */
function clientAuthOf(options: IntrospectionOptions): IntrospectionAuth | undefined {
  return options.auth ?? (options.bearerToken !== undefined ? 'bearer' : options.clientId !== undefined ? 'client_secret_basic' : undefined);
}

/**
 * Validates the `introspection` option of `createGuard`; `undefined` when it is off (`false`,
 * absent, or without client authentication: {@link introspectionOffReason} says which).
 */
export function normalizeIntrospectionOptions(
  options: IntrospectionOptions | false | undefined,
  allowInsecureHttp: boolean,
  guardStore: Store | undefined,
): IntrospectionConfig | undefined {
  if (options === false) return undefined;
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('"introspection" must be an object or false');
  }
  checkOptionNames(options, INTROSPECTION_OPTIONS, 'createGuard()', 'introspection.');
  const endpoint = optionalString(options.endpoint, 'introspection.endpoint');
  if (endpoint !== undefined) checkUrl(endpoint, 'introspection.endpoint', allowInsecureHttp);
  const clientId = optionalString(options.clientId, 'introspection.clientId');
  const clientSecret = optionalString(options.clientSecret, 'introspection.clientSecret');
  const bearerToken = optionalString(options.bearerToken, 'introspection.bearerToken');
  const auth = clientAuthOf(options);
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
  const encoding = options.encoding ?? INTROSPECTION_DEFAULTS.encoding;
  if (encoding !== 'form' && encoding !== 'json') {
    throw new TypeError('"introspection.encoding" must be "form" or "json"');
  }
  const d = INTROSPECTION_DEFAULTS;
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
