/**
 * Folder `introspection/`: RFC 7662 (the call, client authentication, the rules an answer
 * must pass, the caches, single-flight). Its one rule: an answer is only ever cached as
 * received and checked again on use; a failed call is a 503, never cached.
 *
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
 * miss here looks there before calling the server (shared-answers.ts). The rules an answer
 * must pass are in decision.ts, the HTTP call in request.ts.
 *
 * @see [RFC 7662 - OAuth 2.0 Token Introspection](https://www.rfc-editor.org/rfc/rfc7662)
 */
import { LRUCache } from 'lru-cache';
import { toAuthInfo, type AuthInfo } from '../auth/info.js';
import { Backoff, type CircuitState } from '../remote/backoff.js';
import { OAuthError } from '../errors/oauth-error.js';
import { temporarilyUnavailable } from '../errors/factories.js';
import { CHANNELS, publish, redact, secondsSince, type IntrospectionEvent } from '../events/channels.js';
import { answerTtl, checkAnswer } from './decision.js';
import { callIntrospection, type IntrospectionResponse } from './request.js';
import { SharedAnswers } from './shared-answers.js';
import { NO_ENDPOINT_REASON, type IntrospectionConfig } from '../options/introspection.js';
import type { GuardConfig } from '../options/normalize.js';

/** One cached answer, and the `AuthInfo` made from it once (cache hits share it). */
interface CachedAnswer {
  response: IntrospectionResponse;
  /** Characters of the token, which the AuthInfo keeps. */
  tokenLength: number;
  auth?: AuthInfo;
}

/** Bytes counted for a cached answer beyond its JSON and key: the objects around them. */
const ANSWER_OVERHEAD = 512;

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
  readonly #shared: SharedAnswers;
  #calls = 0;
  #lastError: string | undefined;
  #warnedCredentials = false;
  #warnedNoEndpoint = false;
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
    this.#shared = new SharedAnswers(options.store, config.timeout);
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
      if (endpoint === undefined) {
        this.#warnNoEndpoint();
        return undefined;
      }
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
    const pending = this.#shared.get(hash).then((shared) => {
      if (shared === undefined) return observeCall(endpoint, () => this.#callServer(token, hash, endpoint));
      publishIntrospection('cache-hit', undefined, shared.active);
      this.#cache.set(hash, { response: shared, tokenLength: token.length }, { ttl: answerTtl(shared, this.options) });
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
        const ttl = answerTtl(response, this.options);
        this.#cache.set(hash, { response, tokenLength: token.length }, { ttl });
        this.#shared.set(hash, response, ttl);
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

  /** `response` for `token`, through the cached answer when there is one, so hits share its AuthInfo. */
  #decide(token: string, hash: string, response: IntrospectionResponse): AuthInfo {
    const answer = this.#cache.peek(hash);
    return this.#decideAnswer(token, answer?.response === response ? answer : { response, tokenLength: token.length });
  }

  /** RFC 7662 §4 (decision.ts), then the AuthInfo made once per cached answer. */
  #decideAnswer(token: string, answer: CachedAnswer): AuthInfo {
    const { response } = answer;
    checkAnswer(response, this.config, this.options);
    return (answer.auth ??= toAuthInfo(token, 'opaque', response.iss ?? this.config.issuers[0]!, response, this.config.scopeClaims));
  }

  #warnNoEndpoint(): void {
    if (this.#warnedNoEndpoint) return;
    this.#warnedNoEndpoint = true;
    process.emitWarning(`introspection is off: ${NO_ENDPOINT_REASON}`, { code: 'RESOURCE_GUARD_INTROSPECTION_OFF' });
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
