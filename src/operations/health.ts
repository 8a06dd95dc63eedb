/**
 * Folder `operations/`: `ready()` and `health()`. Its one rule: read the state the parts below
 * already keep; fetch only through their own caches, never around them.
 *
 * `guard.health()`: what the guard knows about its authorization servers, as a plain,
 * JSON-serialisable object built from the caches' own state. No I/O, no secrets: errors are
 * messages only (URLs without credentials), never a token, a client secret or an API key.
 *
 * `status` sums it up for a readiness probe:
 * - `ok`: every document the guard needs is cached and its last refresh succeeded;
 * - `starting`: something is not fetched yet and nothing has failed (lazy start, no traffic);
 * - `degraded`: tokens still verify, but a refresh failed (cached keys served stale, a
 *   circuit open, introspection failing);
 * - `down`: some issuer's tokens cannot be verified: its keys were never fetched, or are
 *   older than `maxStale`, and the last fetch failed.
 */
import type { CircuitState } from '../remote/backoff.js';
import { redact } from '../events/channels.js';
import type { GuardConfig } from '../options/normalize.js';
import { NO_ENDPOINT_REASON } from '../options/introspection.js';
import type { Remote, RemoteState } from '../remote/document.js';
import type { TokenVerifier } from '../verify/verifier.js';

/** Health of one cached document (AS metadata or a JWKS). Durations in seconds. */
export interface DocumentHealth {
  /** Where it comes from, once known. */
  url: string | undefined;
  /** The guard needs this document (metadata is skipped with `jwksUri` and a known introspection endpoint). */
  required: boolean;
  /** A copy is cached. */
  cached: boolean;
  /** Seconds since the last successful fetch (a 304 counts). */
  age: number | undefined;
  /** Seconds of freshness left; 0 once it is due for a refresh. */
  freshFor: number | undefined;
  /** Freshness the last fetch granted: `Cache-Control: max-age` within [cooldown, jwksMaxAge]. */
  maxAge: number | undefined;
  /** The cached copy is being used although its refresh failed (stale-if-error). */
  servingStale: boolean;
  /** Why the last fetch failed; cleared by the next success. Message only. */
  lastError: string | undefined;
  /** The back-off of this endpoint: `open` means calls wait, `half-open` lets one through. */
  circuit: CircuitState;
  /** Fetches started since the guard was created, and how many of them answered 304. */
  fetches: number;
  notModified: number;
  /** A refresh is in flight (maybe in the background, ahead of expiry). */
  refreshing: boolean;
}

/** Health of one trusted issuer. */
export interface IssuerHealth {
  issuer: string;
  status: HealthStatus;
  metadata: DocumentHealth;
  jwks: DocumentHealth & {
    /** Usable keys cached. */
    keys: number;
    /** Their key ids. */
    kids: string[];
  };
}

export interface IntrospectionHealth {
  endpoint: string | undefined;
  /** Cached results. */
  cacheSize: number;
  /** Distinct calls in flight. */
  inFlight: number;
  /** Calls made since the guard was created. */
  calls: number;
  circuit: CircuitState;
  lastError: string | undefined;
}

export type HealthStatus = 'ok' | 'starting' | 'degraded' | 'down';

/** What `guard.health()` returns. */
export interface GuardHealth {
  status: HealthStatus;
  issuers: IssuerHealth[];
  /** `undefined` when introspection is off. */
  introspection: IntrospectionHealth | undefined;
  /** The verified-token cache; `undefined` when it is off. */
  tokenCache: { size: number; maxEntries: number; maxBytes: number } | undefined;
  /**
   * Checks that were configured but are off, each with the reason: `introspection` given
   * without client authentication, or with credentials while no introspection endpoint is
   * known (neither the option nor the metadata names one). Empty when nothing is. These do not
   * change `status`: they are configuration to fix, not an outage.
   */
  warnings: string[];
}

const SEVERITY: Record<HealthStatus, number> = { ok: 0, starting: 1, degraded: 2, down: 3 };

function worst(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a), 'ok');
}

/** The metadata is fetched only when it is needed: for `jwks_uri`, or for the introspection endpoint. */
export function needsMetadata(config: GuardConfig): boolean {
  return config.jwksUri === undefined || (config.introspection !== undefined && config.introspection.endpoint === undefined);
}

/** Keys are fetched only when an asymmetric algorithm is allowed. */
export function needsJwks(config: GuardConfig): boolean {
  return [...config.algorithms].some((alg) => !alg.startsWith('HS'));
}

function documentHealth(remote: Remote<unknown>, url: string | undefined, required: boolean): DocumentHealth {
  const state: RemoteState = remote.state;
  const now = Date.now();
  return {
    url: redact(url),
    required,
    cached: state.fetchedAt !== undefined,
    age: state.fetchedAt === undefined ? undefined : round((now - state.fetchedAt) / 1000),
    freshFor: state.freshUntil === undefined ? undefined : round(Math.max(0, state.freshUntil - now) / 1000),
    maxAge: state.maxAge,
    servingStale: state.servingStale,
    lastError: redact(state.lastError),
    circuit: state.circuit,
    fetches: state.fetches,
    notModified: state.notModified,
    refreshing: state.refreshing,
  };
}

function statusOf(doc: DocumentHealth, maxStale: number): HealthStatus {
  if (!doc.required) return 'ok';
  if (!doc.cached) return doc.lastError === undefined ? 'starting' : 'down';
  if (doc.lastError === undefined && !doc.servingStale) return 'ok';
  return doc.age !== undefined && doc.age >= maxStale ? 'down' : 'degraded';
}

/** What is configured but off, from the config and the metadata already cached (no I/O). */
function configurationWarnings(verifier: TokenVerifier): string[] {
  const { introspection, introspectionOff, issuers } = verifier.config;
  const warnings: string[] = [];
  if (introspectionOff !== undefined) warnings.push(`introspection is off: ${introspectionOff}`);
  if (introspection !== undefined && introspection.endpoint === undefined) {
    const metadata = verifier.issuers.get(issuers[0]!)?.metadata.current;
    if (metadata !== undefined && typeof metadata.introspection_endpoint !== 'string') {
      warnings.push(`introspection is off: ${NO_ENDPOINT_REASON}`);
    }
  }
  return warnings;
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** Builds the report from the verifier's caches. */
export function healthOf(verifier: TokenVerifier): GuardHealth {
  const config = verifier.config;
  const metadataRequired = needsMetadata(config);
  const jwksRequired = needsJwks(config);
  const issuers: IssuerHealth[] = [];
  for (const [issuer, { metadata, jwks }] of verifier.issuers) {
    const metadataUrl = config.metadataUrl ?? metadata.state.validators?.url;
    const meta = documentHealth(metadata, metadataUrl, metadataRequired);
    const keys = documentHealth(jwks.remote, jwks.url ?? config.jwksUri, jwksRequired);
    issuers.push({
      issuer,
      status: worst([statusOf(meta, config.maxStale), statusOf(keys, config.maxStale)]),
      metadata: meta,
      jwks: { ...keys, keys: jwks.remote.current?.keys.length ?? 0, kids: jwks.kids },
    });
  }
  let introspection: IntrospectionHealth | undefined;
  if (verifier.introspector !== undefined) {
    const state = verifier.introspector.state;
    const fromMetadata = verifier.issuers.get(config.issuers[0]!)?.metadata.current?.introspection_endpoint;
    introspection = {
      endpoint: redact(config.introspection?.endpoint ?? (typeof fromMetadata === 'string' ? fromMetadata : undefined)),
      cacheSize: state.cacheSize,
      inFlight: state.inFlight,
      calls: state.calls,
      circuit: state.circuit,
      lastError: redact(state.lastError),
    };
  }
  const statuses = issuers.map((i) => i.status);
  if (introspection !== undefined && (introspection.circuit === 'open' || introspection.lastError !== undefined)) {
    statuses.push('degraded');
  }
  return {
    status: worst(statuses),
    issuers,
    introspection,
    warnings: configurationWarnings(verifier),
    tokenCache:
      verifier.tokenCache === undefined || config.tokenCache === undefined
        ? undefined
        : { size: verifier.tokenCache.size, maxEntries: config.tokenCache.maxEntries, maxBytes: config.tokenCache.maxBytes },
  };
}
