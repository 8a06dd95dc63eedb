/**
 * Folder `introspection/`: RFC 7662 (the call, client authentication, the rules an answer
 * must pass, the caches, single-flight). Its one rule: an answer is only ever cached as
 * received and checked again on use; a failed call is a 503, never cached.
 *
 * RFC 7662 token introspection: the path for opaque tokens (and for JWTs local checks
 * cannot decide). A JWT goes only to its own issuer's endpoint, opaque tokens to the first
 * issuer's; each endpoint has its own back-off, so one failing server holds back no other.
 *
 * Bounds of the result cache: `cacheMaxEntries` entries and `cacheMaxBytes` bytes (the
 * response JSON, key and token lengths × 2, plus {@link ANSWER_OVERHEAD}), keyed by the
 * token's SHA-256 (of its canonical spelling). An active result lives until
 * `min(exp, now + maxAge, iat + maxTokenAge + clockTolerance)`; an inactive one
 * `negativeMaxAge`; a hit is decided without a promise, and every hit on one answer shares
 * one frozen `AuthInfo`. Calls
 * for the same token share one request (`#inFlight`); at most `maxConcurrency` distinct
 * calls run at once, and a call beyond that is a 503, never a queue. A failed call is
 * never cached. With a shared `store` (e.g. Redis), results are also written there, and a
 * miss here looks there before calling the server (shared-answers.ts). The rules an answer
 * must pass are in decision.ts, the HTTP call in request.ts, each endpoint's circuit in upstream.ts.
 *
 * @see [RFC 7662 - OAuth 2.0 Token Introspection](https://www.rfc-editor.org/rfc/rfc7662)
 */
import { LRUCache } from 'lru-cache';
import { toAuthInfo, type AuthInfo } from '../auth/info.js';
import type { CircuitState } from '../remote/backoff.js';
import { temporarilyUnavailable } from '../errors/factories.js';
import { answerTtl, checkAnswer } from './decision.js';
import { claimsOfIntrospectedJwt, type IntrospectedJwt } from './jwt-answer.js';
import { callIntrospection, type IntrospectionResponse } from './request.js';
import { SharedAnswers } from './shared-answers.js';
import { publishIntrospection, Upstream, worstCircuit } from './upstream.js';
import { NO_ENDPOINT_REASON, type IntrospectionConfig } from '../options/introspection.js';
import type { GuardConfig } from '../options/normalize.js';

/** One cached answer, and the `AuthInfo` made from it once (cache hits share it). */
interface CachedAnswer {
  response: IntrospectionResponse;
  /** Characters of the token, which the AuthInfo keeps. */
  tokenLength: number;
  /** The JWT the answer is about, whose bound claims stay in force (jwt-answer.ts). */
  jwt: IntrospectedJwt | undefined;
  /** The issuer whose endpoint answered: the answer speaks for it alone. */
  issuer: string;
  auth?: AuthInfo;
}

/** Whom an answer is about and who gave it. */
type AnswerSource = Pick<CachedAnswer, 'issuer' | 'jwt'>;

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
  /** Per endpoint (one per issuer at most): a failing server never holds back another's calls. */
  readonly #upstreams = new Map<string, Upstream>();
  readonly #shared: SharedAnswers;
  #warnedCredentials = false;
  #warnedNoEndpoint = false;

  constructor(
    private readonly config: GuardConfig,
    private readonly options: IntrospectionConfig,
    /** The introspection endpoint of `issuer`, if it has one: never another issuer's. */
    private readonly resolveEndpoint: (issuer: string) => Promise<string | undefined>,
  ) {
    this.#cache = new LRUCache<string, CachedAnswer>({
      max: options.cacheMaxEntries,
      maxSize: options.cacheMaxBytes,
      // Read the clock on each look-up instead of keeping a timer that resets it every millisecond.
      ttlResolution: 0,
      // The answer's JSON, the key and the token its AuthInfo keeps, at two bytes a character at most.
      sizeCalculation: (answer, key) => (JSON.stringify(answer.response).length + key.length + answer.tokenLength) * 2 + ANSWER_OVERHEAD,
    });
    this.#shared = new SharedAnswers(options.store, config.timeout, options);
  }

  get state(): IntrospectionState {
    return {
      cacheSize: this.#cache.size,
      inFlight: this.#inFlight.size,
      calls: [...this.#upstreams.values()].reduce((sum, u) => sum + u.calls, 0),
      circuit: worstCircuit([...this.#upstreams.values()].map((u) => u.backoff.state)),
      lastError: [...this.#upstreams.values()].find((u) => u.lastError !== undefined)?.lastError,
    };
  }

  /**
   * Decides `token` by introspection, from the cache when possible. A JWT (`jwt`) goes to its
   * own issuer's endpoint, and its bound claims stay in force; anything else to the first
   * issuer's. Resolves with `undefined` when that issuer has no introspection endpoint.
   */
  async introspect(token: string, hash: string, jwt?: IntrospectedJwt): Promise<AuthInfo | undefined> {
    const cached = this.cached(token, hash);
    if (cached !== undefined) return cached;
    const issuer = jwt?.issuer ?? this.config.issuers[0]!;
    let pending = this.#inFlight.get(hash);
    if (pending === undefined) {
      const endpoint = await this.resolveEndpoint(issuer);
      if (endpoint === undefined) {
        // Only the first issuer's endpoint can be configured; another issuer without one in its
        // metadata simply has no introspection (its JWTs are never sent to someone else's).
        if (issuer === this.config.issuers[0]) this.#warnNoEndpoint();
        return undefined;
      }
      pending = this.#inFlight.get(hash);
      if (pending !== undefined) publishIntrospection('joined', undefined, undefined);
      pending ??= this.#start(token, hash, { endpoint, issuer, jwt });
    } else {
      publishIntrospection('joined', undefined, undefined);
    }
    return this.#decide(token, hash, await pending, { issuer, jwt });
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

  #start(token: string, hash: string, call: AnswerSource & { endpoint: string }): Promise<IntrospectionResponse> {
    const { issuer, jwt } = call;
    // Every distinct token being decided counts, shared-store look-ups included: a slow store
    // must not let waiting requests pile up beyond the same bound.
    if (this.#inFlight.size >= this.options.maxConcurrency) {
      return Promise.reject(temporarilyUnavailable('too many introspection calls in flight', 1));
    }
    const pending = this.#shared.get(hash, call).then((shared) => {
      if (shared === undefined) return this.#callServer(token, hash, call);
      publishIntrospection('cache-hit', undefined, shared.active);
      this.#cache.set(hash, { response: shared, tokenLength: token.length, jwt, issuer }, { ttl: answerTtl(shared, this.options, this.config) });
      return shared;
    });
    const shared = pending.finally(() => this.#inFlight.delete(hash));
    this.#inFlight.set(hash, shared);
    return shared;
  }

  #callServer(token: string, hash: string, { endpoint, issuer, jwt }: AnswerSource & { endpoint: string }): Promise<IntrospectionResponse> {
    const upstream = this.#upstream(endpoint);
    return upstream.call(() => callIntrospection(endpoint, token, this.options, this.config, (status) => this.#warnCredentials(status))).then((response) => {
      const ttl = answerTtl(response, this.options, this.config);
      this.#cache.set(hash, { response, tokenLength: token.length, jwt, issuer }, { ttl });
      this.#shared.set(hash, { issuer, endpoint }, response, ttl);
      return response;
    });
  }

  #upstream(endpoint: string): Upstream {
    let upstream = this.#upstreams.get(endpoint);
    if (upstream === undefined) this.#upstreams.set(endpoint, (upstream = new Upstream(endpoint, this.config.cooldown)));
    return upstream;
  }

  /** `response` for `token`, through the cached answer when there is one, so hits share its AuthInfo. */
  #decide(token: string, hash: string, response: IntrospectionResponse, source: AnswerSource): AuthInfo {
    const answer = this.#cache.peek(hash);
    return this.#decideAnswer(token, answer?.response === response ? answer : { response, tokenLength: token.length, ...source });
  }

  /**
   * RFC 7662 §4 (decision.ts), then the AuthInfo made once per cached answer: for a JWT, the
   * answer over the JWT's own claims, whose bound members it must not contradict.
   */
  #decideAnswer(token: string, answer: CachedAnswer): AuthInfo {
    const { response, jwt, issuer } = answer;
    checkAnswer(response, this.config, this.options, issuer);
    // Made for the first spelling of an ECDSA-signed token; the verifier refuses the other one.
    if (answer.auth !== undefined) return answer.auth;
    const claims = jwt === undefined ? response : claimsOfIntrospectedJwt(jwt, response);
    return (answer.auth = toAuthInfo(token, 'opaque', issuer, claims, this.config.scopeClaims));
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
