/**
 * Introspection answers in a shared `Store` (Redis), so several instances ask the
 * authorization server once per token between them. A cache, never a decision: an answer
 * read here is checked like a fresh one, and a failing or slow store (waited on at most
 * `timeout`) only costs the look-up: the caller then asks the server itself. One warning
 * per process when the store fails.
 */
import { parseJsonObject } from '../remote/http.js';
import type { Store } from '../store/memory.js';
import type { IntrospectionResponse } from './request.js';

/** Keys of introspection results in a shared store: `introspection:<sha256 of the token>`. */
const STORE_PREFIX = 'introspection:';

export class SharedAnswers {
  #warned = false;

  /** `timeout` in seconds, like every duration of the options. */
  constructor(
    private readonly store: Store | undefined,
    private readonly timeout: number,
  ) {}

  /**
   * The shared cache's answer (another instance's call), waited for at most `timeout`.
   * A failing store is not fatal: the caller asks the authorization server instead.
   */
  async get(hash: string): Promise<IntrospectionResponse | undefined> {
    const store = this.store;
    if (store === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        store.get(STORE_PREFIX + hash),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('store timed out')), this.timeout * 1000);
          timer.unref();
        }),
      ]);
      if (value === undefined) return undefined;
      const response = parseJsonObject(value);
      return response !== undefined && typeof response.active === 'boolean' ? (response as IntrospectionResponse) : undefined;
    } catch (err) {
      this.#warn(err);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Shares `response` for `ttlMs` milliseconds; a failure is warned about, never thrown. */
  set(hash: string, response: IntrospectionResponse, ttlMs: number): void {
    this.store?.set(STORE_PREFIX + hash, JSON.stringify(response), ttlMs).catch((err: unknown) => this.#warn(err));
  }

  #warn(err: unknown): void {
    if (this.#warned) return;
    this.#warned = true;
    process.emitWarning(
      `the shared introspection cache failed (${(err as Error)?.message ?? 'unknown error'}); asking the authorization server instead`,
      { code: 'RESOURCE_GUARD_STORE' },
    );
  }
}
