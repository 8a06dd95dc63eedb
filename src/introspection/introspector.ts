/**
 * RFC 7662 token introspection: the path for opaque tokens (and for JWTs local checks
 * cannot decide).
 *
 * Bounds of the result cache: `cacheMaxEntries` entries and `cacheMaxBytes` bytes (the
 * response JSON, key and token lengths × 2, plus {@link ANSWER_OVERHEAD}), keyed by the
 * token's SHA-256. An active result lives until `min(exp, now + maxAge)`; an inactive one
 * `negativeMaxAge`; a hit is decided without a promise, and every hit on one answer shares
 * one frozen `AuthInfo`. Calls
 * for the same token share one request (`#inFlight`); at most `maxConcurrency` distinct
 * calls run at once, and a call beyond that is a 503, never a queue. A failed call is
 * never cached. With a shared `store` (e.g. Redis), results are also written there, and a
 * miss here looks there (waiting at most `timeout`) before calling the server; a failing
 * store only costs that look-up.
 *
 * @see [RFC 7662 - OAuth 2.0 Token Introspection](https://www.rfc-editor.org/rfc/rfc7662)
 */
import { LRUCache } from 'lru-cache';
import { toAuthInfo, type AuthInfo } from '../auth/info.js';
import { Backoff, type CircuitState } from '../remote/backoff.js';
import { invalidToken, OAuthError, temporarilyUnavailable } from '../errors/oauth-error.js';
import { CHANNELS, publish, redact, secondsSince, type IntrospectionEvent } from '../events/channels.js';
import { parseJsonObject } from '../remote/http.js';
import { callIntrospection } from './request.js';
import type { IntrospectionConfig } from '../options/introspection.js';
import type { GuardConfig } from '../options/normalize.js';

/** The RFC 7662 §2.2 response fields the guard reads; the rest is kept as received. */
export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  token_type?: string;
  [field: string]: unknown;
}

/** One cached answer, and the `AuthInfo` made from it once (cache hits share it). */
interface CachedAnswer {
  response: IntrospectionResponse;
  /** Characters of the token, which the AuthInfo keeps. */
  tokenLength: number;
  auth?: AuthInfo;
}

/** Bytes counted for a cached answer beyond its JSON and key: the objects around them. */
const ANSWER_OVERHEAD = 512;

/** Keys of introspection results in a shared store: `introspection:<sha256 of the token>`. */
const STORE_PREFIX = 'introspection:';

export interface IntrospectionState {
  cacheSize: number;
  inFlight: number;
  calls: number;
  circuit: CircuitState;
  lastError: string | undefined;
}

export class Introspector {
  readonly #cache: LRUCache<string, CachedAnswer>;
  readonly #inFlight = new Map<string, Promise<IntrospectionResponse>>();
  readonly #backoff: Backoff;
  #calls = 0;
  #lastError: string | undefined;
  #warnedCredentials = false;
  #warnedStore = false;
  /** Calls to the authorization server in flight (store look-ups not counted). */
  #serverCalls = 0;

  constructor(
    private readonly config: GuardConfig,
    private readonly options: IntrospectionConfig,
    private readonly resolveEndpoint: () => Promise<string | undefined>,
  ) {
    this.#cache = new LRUCache<string, CachedAnswer>({
      max: options.cacheMaxEntries,
      maxSize: options.cacheMaxBytes,
      // The answer's JSON, the key and the token its AuthInfo keeps, at two bytes a character at most.
      sizeCalculation: (answer, key) => (JSON.stringify(answer.response).length + key.length + answer.tokenLength) * 2 + ANSWER_OVERHEAD,
    });
    this.#backoff = new Backoff(config.cooldown);
  }

  get state(): IntrospectionState {
    return {
      cacheSize: this.#cache.size,
      inFlight: this.#inFlight.size,
      calls: this.#calls,
      circuit: this.#backoff.state,
      lastError: this.#lastError,
    };
  }

  /**
   * Decides `token` by introspection, from the cache when possible. Resolves with
   * `undefined` when no introspection endpoint is known (introspection is off).
   */
  async introspect(token: string, hash: string): Promise<AuthInfo | undefined> {
    const cached = this.cached(token, hash);
    if (cached !== undefined) return cached;
    let pending = this.#inFlight.get(hash);
    if (pending === undefined) {
      const endpoint = await this.resolveEndpoint();
      if (endpoint === undefined) return undefined;
      pending = this.#inFlight.get(hash);
      if (pending !== undefined) publishIntrospection('joined', undefined, undefined);
      pending ??= this.#start(token, hash, endpoint);
    } else {
      publishIntrospection('joined', undefined, undefined);
    }
    return this.#decide(token, hash, await pending);
  }

  /**
   * The decision from the cache, without a promise: `undefined` on a miss, the `AuthInfo`
   * for an active answer, a thrown `OAuthError` for an answer that refuses the token.
   */
  cached(token: string, hash: string): AuthInfo | undefined {
    const answer = this.#cache.get(hash);
    if (answer === undefined) return undefined;
    publishIntrospection('cache-hit', undefined, answer.response.active);
    return this.#decideAnswer(token, answer);
  }

  #start(token: string, hash: string, endpoint: string): Promise<IntrospectionResponse> {
    // Every distinct token being decided counts, shared-store look-ups included: a slow store
    // must not let waiting requests pile up beyond the same bound.
    if (this.#inFlight.size >= this.options.maxConcurrency) {
      return Promise.reject(temporarilyUnavailable('too many introspection calls in flight', 1));
    }
    const pending = this.#fromStore(hash).then((shared) => {
      if (shared === undefined) return observeCall(endpoint, () => this.#callServer(token, hash, endpoint));
      publishIntrospection('cache-hit', undefined, shared.active);
      this.#cache.set(hash, { response: shared, tokenLength: token.length }, { ttl: this.#ttl(shared) });
      return shared;
    });
    const shared = pending.finally(() => this.#inFlight.delete(hash));
    this.#inFlight.set(hash, shared);
    return shared;
  }

  #callServer(token: string, hash: string, endpoint: string): Promise<IntrospectionResponse> {
    const wait = this.#backoff.wait();
    if (wait > 0) {
      return Promise.reject(
        temporarilyUnavailable(`introspection unavailable: ${this.#lastError ?? 'backing off'}`, Math.ceil(wait)),
      );
    }
    // Half-open: one probe at a time until a call succeeds and closes the circuit.
    if (this.#backoff.state === 'half-open' && this.#serverCalls > 0) {
      return Promise.reject(temporarilyUnavailable('introspection recovering: one call at a time', 1));
    }
    this.#calls++;
    this.#serverCalls++;
    return callIntrospection(endpoint, token, this.options, this.config, (status) => this.#warnCredentials(status)).then(
      (response) => {
        this.#serverCalls--;
        this.#backoff.success();
        this.#lastError = undefined;
        const ttl = this.#ttl(response);
        this.#cache.set(hash, { response, tokenLength: token.length }, { ttl });
        this.#toStore(hash, response, ttl);
        return response;
      },
      (err: unknown) => {
        this.#serverCalls--;
        const failure = err instanceof OAuthError ? err : temporarilyUnavailable('introspection failed', 1, err);
        this.#lastError = (failure.cause as Error | undefined)?.message ?? failure.description;
        this.#backoff.failure(failure.retryAfter !== undefined && failure.retryAfter > 1 ? failure.retryAfter : undefined);
        throw failure;
      },
    );
  }

  /**
   * The shared cache's answer (another instance's call), waited for at most `timeout`.
   * A failing store is not fatal: the caller asks the authorization server instead.
   */
  async #fromStore(hash: string): Promise<IntrospectionResponse | undefined> {
    const store = this.options.store;
    if (store === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        store.get(STORE_PREFIX + hash),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('store timed out')), this.config.timeout * 1000);
          timer.unref();
        }),
      ]);
      if (value === undefined) return undefined;
      const response = parseJsonObject(value);
      return response !== undefined && typeof response.active === 'boolean' ? (response as IntrospectionResponse) : undefined;
    } catch (err) {
      this.#warnStore(err);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  #toStore(hash: string, response: IntrospectionResponse, ttlMs: number): void {
    this.options.store?.set(STORE_PREFIX + hash, JSON.stringify(response), ttlMs).catch((err: unknown) => this.#warnStore(err));
  }

  #warnStore(err: unknown): void {
    if (this.#warnedStore) return;
    this.#warnedStore = true;
    process.emitWarning(
      `the shared introspection cache failed (${(err as Error)?.message ?? 'unknown error'}); asking the authorization server instead`,
      { code: 'RESOURCE_GUARD_STORE' },
    );
  }

  /** `response` for `token`, through the cached answer when there is one, so hits share its AuthInfo. */
  #decide(token: string, hash: string, response: IntrospectionResponse): AuthInfo {
    const answer = this.#cache.peek(hash);
    return this.#decideAnswer(token, answer?.response === response ? answer : { response, tokenLength: token.length });
  }

  /** RFC 7662 §4: an active answer is still checked against this API's expectations. */
  #decideAnswer(token: string, answer: CachedAnswer): AuthInfo {
    const { response } = answer;
    if (!response.active) throw invalidToken('token is not active');
    const now = Date.now() / 1000;
    const tolerance = this.config.clockTolerance;
    if (response.exp !== undefined) {
      if (typeof response.exp !== 'number') throw invalidToken('introspection "exp" is not a number');
      if (now - tolerance >= response.exp) throw invalidToken(`token expired ${Math.floor(now - response.exp)} s ago`);
    }
    if (typeof response.nbf === 'number' && response.nbf > now + tolerance) {
      throw invalidToken('token not valid yet');
    }
    if (response.iss !== undefined && !this.config.issuers.includes(response.iss)) {
      throw invalidToken('issuer not trusted');
    }
    // Whether `aud` names this resource is checked per call (audience.ts): routes may differ.
    if (response.aud !== undefined) {
      const audiences: unknown[] = Array.isArray(response.aud) ? response.aud : [response.aud];
      if (!audiences.some((a) => typeof a === 'string')) throw invalidToken('audience mismatch');
    } else if (this.options.requireAudience) {
      throw invalidToken('introspection response has no audience');
    }
    if (typeof response.token_type === 'string' && /refresh/i.test(response.token_type)) {
      throw invalidToken('refresh tokens are not access tokens');
    }
    return (answer.auth ??= toAuthInfo(token, 'opaque', response.iss ?? this.config.issuers[0]!, response, this.config.scopeClaims));
  }

  #ttl(response: IntrospectionResponse): number {
    if (!response.active) return this.options.negativeMaxAge * 1000;
    const max = this.options.maxAge * 1000;
    if (typeof response.exp !== 'number') return max;
    return Math.max(1, Math.min(max, response.exp * 1000 - Date.now()));
  }

  #warnCredentials(status: number): void {
    if (this.#warnedCredentials) return;
    this.#warnedCredentials = true;
    process.emitWarning(
      `the introspection endpoint refused the guard's own credentials (HTTP ${status}); check introspection.clientId/clientSecret/bearerToken`,
      { code: 'RESOURCE_GUARD_INTROSPECTION_AUTH' },
    );
  }
}

/** Publishes `ok` or `failed` for one call to the endpoint, with its duration. */
function observeCall(endpoint: string, call: () => Promise<IntrospectionResponse>): Promise<IntrospectionResponse> {
  const start = performance.now();
  return call().then(
    (response) => {
      publishIntrospection('ok', endpoint, response.active, undefined, start);
      return response;
    },
    (err: unknown) => {
      const error = err instanceof OAuthError ? err.description : 'introspection failed';
      publishIntrospection('failed', endpoint, undefined, error, start);
      throw err;
    },
  );
}

function publishIntrospection(
  outcome: IntrospectionEvent['outcome'],
  endpoint: string | undefined,
  active: boolean | undefined,
  error?: string,
  start?: number,
): void {
  publish(CHANNELS.introspection, () => ({
    outcome,
    endpoint,
    active,
    error: redact(error),
    duration: start === undefined ? 0 : secondsSince(start),
  }));
}
