/**
 * `GuardOptions`, what `createGuard` accepts, each option documented with its default;
 * normalize.ts validates them once into the frozen `GuardConfig`.
 */
import type { KeyObject } from 'node:crypto';
import type { TokenLocation } from '../auth/extract.js';
import type { Store } from '../store/memory.js';
import type { JwsAlgorithm } from './algorithms.js';
import type { IntrospectionOptions } from './introspection.js';
import type { SenderConstraintOptions } from './sender.js';
import { optionNames } from '../errors/unknown-option.js';

/**
 * Options of {@link createGuard}. Every duration is in seconds. `audience`, `clientIds` or
 * both must be given: they say whom a token must be for ({@link RecipientOptions}).
 */
export type GuardOptions = GuardBaseOptions & RecipientOptions;

/**
 * Whom a token must be for: two independent checks, at least one configured, both applied
 * when both are (and to introspected tokens too).
 *
 * - `audience`: the token's `aud` must name one of these; a token without `aud` is refused.
 * - `clientIds`: the token's client — `client_id`, else `azp`, else `cid`, what
 *   `AuthInfo.clientId` holds — must be one of these; a token without a client is refused.
 *   For servers whose access tokens carry no usable `aud`: Amazon Cognito (only
 *   `client_id`), Keycloak without an audience mapper (`aud: "account"`), Ory Hydra
 *   (`aud: []`). With `clientIds` alone `aud` is not compared and may be absent; an OpenID
 *   Connect ID token, whose `aud` is the client and which has no `client_id`, never passes.
 *
 * @example
 * ```ts
 * const cognito = createGuard({
 *   issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
 *   clientIds: ['1example23456789'],
 * });
 * ```
 */
export type RecipientOptions =
  | {
      /** Accepted audience(s): a token passes when one of its `aud` values is one of these. Required unless `clientIds` is given. */
      audience: string | readonly string[];
      /** Accepted clients (`client_id`, else `azp`, else `cid`). Default: any client. */
      clientIds?: string | readonly string[];
    }
  | {
      /** Accepted audience(s): a token passes when one of its `aud` values is one of these. Default: `aud` not compared. */
      audience?: string | readonly string[];
      /** Accepted clients (`client_id`, else `azp`, else `cid`); a token without a client is refused. Required unless `audience` is given. */
      clientIds: string | readonly string[];
    };

/** The options of {@link createGuard} besides {@link RecipientOptions}. Every duration is in seconds. */
export interface GuardBaseOptions extends SenderConstraintOptions {
  /** Trusted issuer identifier(s), exactly as the `iss` claim and the metadata's `issuer`. */
  issuer: string | readonly string[];
  /**
   * RFC 9728 resource identifier of this API. Default: the first audience. Without
   * `audience` and without `resource` the API has no resource identifier: challenges carry
   * no `resource_metadata`, and `guard.metadata()` throws.
   */
  resource?: string;
  /** `realm` of every challenge. Default: the resource identifier (none without one). */
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
  /**
   * Refuse tokens whose `iat` is older than this many seconds (plus `clockTolerance`): JWTs and
   * introspected tokens alike, and a token without `iat` is refused. A cached decision ends
   * when the token reaches that age, never later. Default: no limit.
   */
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
   * > Answers to such requests get `Cache-Control: private` (RFC 6750 §2.3) before the handler
   * > runs (an earlier directive is kept, minus `public`/`s-maxage`); a handler that sets
   * > `Cache-Control` itself replaces it.
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
   * A store full of unexpired replay marks is not a failure: new proofs get 503 either way.
   */
  onStoreError?: 'deny' | 'allow';
}

/** Every option name `createGuard` knows, for the strict check (`errors/unknown-option.ts`). */
export const GUARD_OPTIONS = optionNames<GuardOptions>({
  issuer: true,
  audience: true,
  clientIds: true,
  resource: true,
  realm: true,
  metadataUrl: true,
  jwksUri: true,
  algorithms: true,
  hmacSecret: true,
  clockTolerance: true,
  maxTokenAge: true,
  strictTyp: true,
  timeout: true,
  jwksMaxAge: true,
  cooldown: true,
  maxStale: true,
  warmup: true,
  errorDetail: true,
  introspection: true,
  tokenLocations: true,
  allowInsecureHttp: true,
  scopesSupported: true,
  scopeClaims: true,
  resourceName: true,
  resourceDocumentation: true,
  tokenCache: true,
  store: true,
  onStoreError: true,
  dpop: true,
  dpopAlgorithms: true,
  dpopProofWindow: true,
  dpopNonce: true,
  publicBaseUrl: true,
  clientCertificateHeader: true,
});

/** The option names of `tokenCache`. */
export const TOKEN_CACHE_OPTIONS = optionNames<Exclude<GuardBaseOptions['tokenCache'], false | undefined>>({
  maxEntries: true,
  maxBytes: true,
});
