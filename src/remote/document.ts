/**
 * Folder `remote/`: documents from the authorization server (HTTP with timeout, size cap,
 * redirect and HTTPS rules; discovery; refresh; back-off). Its one rule: every outbound call
 * goes through `http.ts`, and a failed fetch is never cached.
 *
 * A document fetched from the authorization server and kept fresh: AS metadata, a JWKS.
 *
 * State, all readable for tests and health reports: the value, when it was fetched, until
 * when it is fresh, the fetch in flight (shared by every caller: single-flight), the last
 * error, and a {@link Backoff}. Rules:
 * - fresh value → returned, no fetch;
 * - stale or missing → one fetch for all callers; a failure is never cached;
 * - fetch failed but a value younger than `maxStale` exists → that value (stale-if-error);
 * - a sequence number keeps a slow old fetch from overwriting a newer result;
 * - conditional requests: the loader gets the last `ETag` / `Last-Modified`; a 304 answer
 *   renews freshness without re-parsing (and counts as a successful fetch);
 * - refresh ahead: a read in the last tenth of the value's freshness starts one refresh in the
 *   background and returns the still-fresh value at once, so no request waits on a routine
 *   refresh. A failed background refresh leaves the fresh value in place (it is not stale yet).
 */
import { Backoff, type CircuitState } from './backoff.js';
import { OAuthError } from '../errors/oauth-error.js';
import { temporarilyUnavailable } from '../errors/factories.js';
import { failurePhrase } from './failure.js';
import { UpstreamFailure, type LoadContext, type Loaded, type NotModified, type Validators } from './loader.js';

export interface RemoteOptions {
  /** Name for messages, e.g. "JWKS at https://…". */
  label: string;
  /** Seconds a value may be served after a failed refresh. */
  maxStale: number;
  /** Longest back-off between failing calls, in seconds. */
  maxBackoff: number;
  /** Called each time a value is served after its refresh failed. */
  onStale?: ((age: number, error: string | undefined) => void) | undefined;
}

export interface RemoteState {
  fetchedAt: number | undefined;
  freshUntil: number | undefined;
  servingStale: boolean;
  lastError: string | undefined;
  circuit: CircuitState;
  fetches: number;
  /** Seconds of freshness the last successful fetch granted. */
  maxAge: number | undefined;
  /** Fetches answered 304 Not Modified. */
  notModified: number;
  /** A refresh is in flight. */
  refreshing: boolean;
  /** Validators of the cached value (an ETag or Last-Modified is known). */
  validators: Validators | undefined;
}

/** Share of a value's freshness, at its end, in which a read starts a background refresh. */
export const REFRESH_AHEAD = 0.1;

export class Remote<T> {
  #value: T | undefined;
  #fetchedAt = 0;
  #freshUntil = 0;
  #pending: Promise<T> | undefined;
  #sequence = 0;
  #lastError: Error | undefined;
  #servingStale = false;
  #fetches = 0;
  #notModified = 0;
  #maxAge: number | undefined;
  #validators: Validators | undefined;
  /** Counts successful loads (304s included), so callers can tell a fetch that answered from one that failed. */
  #generation = 0;
  readonly #backoff: Backoff;

  constructor(
    private readonly load: (context: LoadContext) => Promise<Loaded<T> | NotModified>,
    private readonly options: RemoteOptions,
  ) {
    this.#backoff = new Backoff(options.maxBackoff);
  }

  /** The last value fetched, fresh or not; no I/O. */
  get current(): T | undefined {
    return this.#value;
  }

  /** The current value if it is fresh; no I/O. */
  get fresh(): T | undefined {
    return this.#value !== undefined && Date.now() < this.#freshUntil ? this.#value : undefined;
  }

  /**
   * The current value if it is fresh, like {@link fresh}; in the last tenth of its freshness
   * it also starts one background refresh (never awaited, never more than one).
   */
  read(): T | undefined {
    const fresh = this.fresh;
    if (fresh !== undefined && this.#pending === undefined) {
      const now = Date.now();
      const lead = (this.#freshUntil - this.#fetchedAt) * REFRESH_AHEAD;
      if (now >= this.#freshUntil - lead && this.#backoff.wait(now) === 0) {
        this.#refresh(true).catch(() => undefined);
      }
    }
    return fresh;
  }

  /** A fresh value, fetching when needed; stale-if-error within `maxStale`. */
  get(): Promise<T> {
    const fresh = this.read();
    if (fresh !== undefined) return Promise.resolve(fresh);
    return this.#pending ?? this.#refresh();
  }

  /**
   * Fetches again unless the last successful fetch is younger than `minAge` seconds (the
   * kid-miss cooldown). `'fetched'`: the server answered (by this or a concurrent call), with a
   * new value or a 304 confirming the cached one;
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

  /** The error of the last failed fetch, since the last success; for `cause`s and reports. */
  get lastFailure(): Error | undefined {
    return this.#lastError;
  }

  get state(): RemoteState {
    return {
      fetchedAt: this.#value === undefined ? undefined : this.#fetchedAt,
      freshUntil: this.#value === undefined ? undefined : this.#freshUntil,
      servingStale: this.#servingStale,
      lastError: this.#lastError?.message,
      circuit: this.#backoff.state,
      fetches: this.#fetches,
      maxAge: this.#value === undefined ? undefined : this.#maxAge,
      notModified: this.#notModified,
      refreshing: this.#pending !== undefined,
      validators: this.#validators,
    };
  }

  #refresh(background = false): Promise<T> {
    const wait = this.#backoff.wait();
    if (wait > 0) {
      const last = this.#lastError;
      const fresh = this.fresh;
      if (fresh !== undefined) return Promise.resolve(fresh);
      return new Promise((resolve) => resolve(this.#staleOr(last instanceof OAuthError ? last : this.#unavailable(last))));
    }
    const sequence = ++this.#sequence;
    this.#fetches++;
    const cached = this.#value;
    const context: LoadContext = { validators: cached === undefined ? undefined : this.#validators, background };
    const pending = this.load(context).then(
      (loaded) => {
        const notModified = 'notModified' in loaded;
        if (notModified) this.#notModified++;
        if (notModified && cached === undefined) {
          const message = `${this.options.label} answered 304 to an unconditional request`;
          throw new UpstreamFailure(message, { phrase: message });
        }
        const value = notModified ? cached! : loaded.value;
        if (sequence === this.#sequence) {
          this.#value = value;
          this.#generation++;
          this.#fetchedAt = Date.now();
          this.#maxAge = loaded.maxAge;
          this.#freshUntil = this.#fetchedAt + loaded.maxAge * 1000;
          if (loaded.validators !== undefined || !notModified) this.#validators = loaded.validators;
          this.#lastError = undefined;
          this.#servingStale = false;
          this.#backoff.success();
        }
        return value;
      },
    ).catch(
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        this.#lastError = error;
        this.#backoff.failure(err instanceof UpstreamFailure ? err.retryAfter : undefined);
        // A failed refresh ahead of expiry: the value is still fresh, not stale.
        const fresh = this.fresh;
        if (fresh !== undefined) return fresh;
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
    const age = Date.now() - this.#fetchedAt;
    if (this.#value !== undefined && age < this.options.maxStale * 1000) {
      this.#servingStale = true;
      this.options.onStale?.(age / 1000, this.#lastError?.message);
      return this.#value;
    }
    this.#servingStale = false;
    throw error;
  }

  #unavailable(cause: Error | undefined): OAuthError {
    // A short phrase for the client (failure.ts: never a URL); the full message stays in `cause`.
    return temporarilyUnavailable(
      `authorization server unavailable (${this.options.label}): ${failurePhrase(cause)}`,
      this.retryAfter(),
      cause,
    );
  }
}
