/**
 * A document fetched from the authorization server and kept fresh: AS metadata, a JWKS.
 *
 * State, all readable for tests and health reports: the value, when it was fetched, until
 * when it is fresh, the fetch in flight (shared by every caller: single-flight), the last
 * error, and a {@link Backoff}. Rules:
 * - fresh value → returned, no fetch;
 * - stale or missing → one fetch for all callers; a failure is never cached;
 * - fetch failed but a value younger than `maxStale` exists → that value (stale-if-error);
 * - a sequence number keeps a slow old fetch from overwriting a newer result.
 */
import { Backoff, type CircuitState } from './backoff.js';
import { OAuthError, temporarilyUnavailable } from './errors.js';
import { HttpFailure } from './http.js';

/** What a loader returns: the value and how long it may be considered fresh (seconds). */
export interface Loaded<T> {
  value: T;
  maxAge: number;
}

/** A loader's failure that carries the server's `Retry-After` (seconds). */
export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  constructor(message: string, readonly retryAfter?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export interface RemoteOptions {
  /** Name for messages, e.g. "JWKS at https://…". */
  label: string;
  /** Seconds a value may be served after a failed refresh. */
  maxStale: number;
  /** Longest back-off between failing calls, in seconds. */
  maxBackoff: number;
}

export interface RemoteState {
  fetchedAt: number | undefined;
  freshUntil: number | undefined;
  servingStale: boolean;
  lastError: string | undefined;
  circuit: CircuitState;
  fetches: number;
}

export class Remote<T> {
  #value: T | undefined;
  #fetchedAt = 0;
  #freshUntil = 0;
  #pending: Promise<T> | undefined;
  #sequence = 0;
  #lastError: Error | undefined;
  #servingStale = false;
  #fetches = 0;
  /** Counts successful loads, so callers can tell a new value from a stale one. */
  #generation = 0;
  readonly #backoff: Backoff;

  constructor(
    private readonly load: () => Promise<Loaded<T>>,
    private readonly options: RemoteOptions,
  ) {
    this.#backoff = new Backoff(options.maxBackoff);
  }

  /** The current value if it is fresh; no I/O. */
  get fresh(): T | undefined {
    return this.#value !== undefined && Date.now() < this.#freshUntil ? this.#value : undefined;
  }

  /** A fresh value, fetching when needed; stale-if-error within `maxStale`. */
  get(): Promise<T> {
    const fresh = this.fresh;
    if (fresh !== undefined) return Promise.resolve(fresh);
    return this.#pending ?? this.#refresh();
  }

  /**
   * Fetches again unless the last successful fetch is younger than `minAge` seconds (the
   * kid-miss cooldown). `'fetched'`: a new value arrived (by this or a concurrent call);
   * `'cooling-down'`: held back; `'failed'`: the fetch failed (the old value, if any, stays).
   */
  async refetch(minAge: number): Promise<'fetched' | 'cooling-down' | 'failed'> {
    if (this.#value !== undefined && this.#pending === undefined && Date.now() - this.#fetchedAt < minAge * 1000) {
      return 'cooling-down';
    }
    const before = this.#generation;
    try {
      await (this.#pending ?? this.#refresh());
    } catch {
      return 'failed';
    }
    return this.#generation !== before ? 'fetched' : 'failed';
  }

  /** Seconds a caller should wait before trying again, at least 1. */
  retryAfter(): number {
    return Math.max(1, Math.ceil(this.#backoff.wait()));
  }

  get state(): RemoteState {
    return {
      fetchedAt: this.#value === undefined ? undefined : this.#fetchedAt,
      freshUntil: this.#value === undefined ? undefined : this.#freshUntil,
      servingStale: this.#servingStale,
      lastError: this.#lastError?.message,
      circuit: this.#backoff.state,
      fetches: this.#fetches,
    };
  }

  #refresh(): Promise<T> {
    const wait = this.#backoff.wait();
    if (wait > 0) {
      const last = this.#lastError;
      return new Promise((resolve) => resolve(this.#staleOr(last instanceof OAuthError ? last : this.#unavailable(last))));
    }
    const sequence = ++this.#sequence;
    this.#fetches++;
    const pending = this.load().then(
      (loaded) => {
        if (sequence === this.#sequence) {
          this.#value = loaded.value;
          this.#generation++;
          this.#fetchedAt = Date.now();
          this.#freshUntil = this.#fetchedAt + loaded.maxAge * 1000;
          this.#lastError = undefined;
          this.#servingStale = false;
          this.#backoff.success();
        }
        return loaded.value;
      },
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.#lastError = error;
        this.#backoff.failure(err instanceof UpstreamFailure ? err.retryAfter : undefined);
        return this.#staleOr(err instanceof OAuthError ? err : this.#unavailable(error));
      },
    );
    const shared = pending.finally(() => {
      if (this.#pending === shared) this.#pending = undefined;
    });
    this.#pending = shared;
    return shared;
  }

  #staleOr(error: OAuthError): T {
    if (this.#value !== undefined && Date.now() - this.#fetchedAt < this.options.maxStale * 1000) {
      this.#servingStale = true;
      return this.#value;
    }
    this.#servingStale = false;
    throw error;
  }

  #unavailable(cause: Error | undefined): OAuthError {
    const reason = cause instanceof HttpFailure || cause instanceof UpstreamFailure ? cause.message : 'unreachable';
    return temporarilyUnavailable(
      `authorization server unavailable: ${this.options.label}: ${reason}`,
      this.retryAfter(),
      cause,
    );
  }
}
