/**
 * Back-off for one upstream (a metadata URL, a JWKS, an introspection endpoint): a small
 * circuit breaker.
 *
 * A single failure does not open it, so the next call still reaches the server. From the
 * second consecutive failure on, calls wait 1 s, 2 s, 4 s … up to `maxDelay` (the JWKS
 * cooldown), and the guard answers 503 with `Retry-After` meanwhile. A server's own
 * `Retry-After` (429/503) opens it for exactly that long. After the wait one call goes
 * through (half-open); its success closes the circuit.
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export class Backoff {
  #failures = 0;
  #openUntil = 0;

  constructor(private readonly maxDelay: number) {}

  /** Seconds until a call may go; 0 when it may go now. */
  wait(now = Date.now()): number {
    return this.#openUntil > now ? (this.#openUntil - now) / 1000 : 0;
  }

  get state(): CircuitState {
    if (this.#openUntil > Date.now()) return 'open';
    return this.#failures >= 2 || this.#openUntil > 0 ? 'half-open' : 'closed';
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  success(): void {
    this.#failures = 0;
    this.#openUntil = 0;
  }

  /** Records a failure; `retryAfter` (seconds) is what the server asked for, if anything. */
  failure(retryAfter?: number, now = Date.now()): void {
    this.#failures++;
    if (retryAfter !== undefined) {
      this.#openUntil = now + retryAfter * 1000;
    } else if (this.#failures >= 2) {
      const delay = Math.min(this.maxDelay, 2 ** (this.#failures - 2));
      this.#openUntil = now + delay * 1000;
    }
  }
}
