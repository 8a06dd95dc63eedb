/**
 * One introspection endpoint as the guard calls it: its own circuit breaker (one endpoint's
 * outage never holds back another issuer's), one probe at a time while half-open, the calls
 * made, and its last failure in two words: with the URL for operators (`health()`), without
 * it for clients (the 503s of an open circuit). Every call and its outcome is published on
 * `resource-guard:introspection`.
 */
import { Backoff, type CircuitState } from '../remote/backoff.js';
import { OAuthError } from '../errors/oauth-error.js';
import { temporarilyUnavailable } from '../errors/factories.js';
import { CHANNELS, publish, redact, secondsSince, type IntrospectionEvent } from '../events/channels.js';
import type { IntrospectionResponse } from './request.js';

export class Upstream {
  readonly backoff: Backoff;
  /** For operators: the URL included. */
  lastError: string | undefined;
  /** Calls made to the endpoint. */
  calls = 0;
  /** For clients, the 503s of the open circuit: no URL. */
  #lastPhrase: string | undefined;
  /** Calls to this endpoint in flight (store look-ups not counted). */
  #inFlight = 0;

  /** `cooldown` in seconds: the longest back-off after repeated failures. */
  constructor(
    readonly endpoint: string,
    cooldown: number,
  ) {
    this.backoff = new Backoff(cooldown);
  }

  /** Runs `request` unless the circuit says to wait (a 503, nothing sent); records how it went. */
  call(request: () => Promise<IntrospectionResponse>): Promise<IntrospectionResponse> {
    const start = performance.now();
    const wait = this.backoff.wait();
    if (wait > 0) {
      return this.#refuse(temporarilyUnavailable(this.#lastPhrase ?? 'introspection unavailable: backing off', Math.ceil(wait)), start);
    }
    // Half-open: one probe at a time until a call succeeds and closes the circuit.
    if (this.backoff.state === 'half-open' && this.#inFlight > 0) {
      return this.#refuse(temporarilyUnavailable('introspection recovering: one call at a time', 1), start);
    }
    this.calls++;
    this.#inFlight++;
    return request().then(
      (response) => {
        this.#inFlight--;
        this.backoff.success();
        this.lastError = undefined;
        this.#lastPhrase = undefined;
        publishIntrospection('ok', this.endpoint, response.active, undefined, start);
        return response;
      },
      (err: unknown) => {
        this.#inFlight--;
        const failure = err instanceof OAuthError ? err : temporarilyUnavailable('introspection failed', 1, err);
        this.lastError = (failure.cause as Error | undefined)?.message ?? failure.description;
        this.#lastPhrase = failure.description;
        this.backoff.failure(failure.retryAfter !== undefined && failure.retryAfter > 1 ? failure.retryAfter : undefined);
        return this.#refuse(failure, start);
      },
    );
  }

  #refuse(failure: OAuthError, start: number): Promise<never> {
    publishIntrospection('failed', this.endpoint, undefined, failure.description, start);
    return Promise.reject(failure);
  }
}

/** The state to report of several circuits: the worst. */
export function worstCircuit(states: CircuitState[]): CircuitState {
  return states.includes('open') ? 'open' : states.includes('half-open') ? 'half-open' : 'closed';
}

/** One `resource-guard:introspection` event; `start` is a `performance.now()` reading. */
export function publishIntrospection(
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
