/**
 * Folder `store/`: the `Store` interface, its bounded in-memory default and `redisStore`. Its
 * one rule: four operations on strings, nothing about tokens; of `src/` it imports only `errors/`.
 *
 * The small set of shared-state operations the guard needs, and its in-memory default.
 *
 * Two uses: cached decisions (introspection results) with `get`/`set`, and replay sets
 * (webhook deliveries, DPoP `jti`) with the atomic `setIfAbsent`. A Redis implementation
 * lets several instances share both; the in-memory one is per process.
 *
 * Bounds of the in-memory store: `maxEntries` entries (default 10,000) and `maxBytes` bytes of
 * keys and values counted as UTF-16 length × 2 (default 8 MiB), for both uses together; every
 * entry expires after its own TTL. The two uses are kept apart inside that budget, because a
 * replay mark dropped early lets a replay through: cached answers go least recently used
 * first, whenever room is needed; a replay mark is never dropped before its TTL. When the
 * budget holds nothing but unexpired marks, `setIfAbsent` rejects with {@link StoreFullError}
 * (its caller refuses the request with 503) and `set` stores nothing.
 */
import { LRUCache } from 'lru-cache';
import { ReplayMarks } from './replay-marks.js';
import { checkOptionNames, optionNames } from '../errors/unknown-option.js';

/** Shared state for caches and replay sets. Every duration is in milliseconds. */
export interface Store {
  /** The value stored under `key`, or `undefined` when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` under `key` for `ttlMs` milliseconds, replacing what was there. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /**
   * Stores `value` only if `key` is absent, atomically. Resolves `true` when this call
   * stored it (first sighting), `false` when the key was already there (a replay).
   * A store must never make room by dropping an unexpired key stored this way (a replay
   * mark): `memoryStore` rejects with {@link StoreFullError} instead; a Redis store needs
   * `maxmemory-policy noeviction`, so a full Redis fails the write.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Removes `key`; used to forget a replay mark when the request it guarded failed. */
  delete(key: string): Promise<void>;
}

/**
 * `setIfAbsent` found no room: every entry is an unexpired replay mark. Not a failure of the
 * store but its bound: the caller refuses the request (503 with `Retry-After`) instead of
 * letting it through unchecked, whatever its `onStoreError`.
 */
export class StoreFullError extends Error {
  override readonly name = 'StoreFullError';
  readonly code = 'ERR_STORE_FULL';

  constructor(
    /** Seconds until the earliest mark expires and frees room; at least 1. */
    readonly retryAfter: number,
    /** The bounds that were reached, for the sizing advice. */
    readonly bounds: { readonly maxEntries: number; readonly maxBytes: number },
  ) {
    super(`the store is full of unexpired replay marks (${bounds.maxEntries} entries, ${bounds.maxBytes} bytes)`);
  }
}

/** Bounds for {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Most entries kept, cached answers and replay marks together. Default: 10,000. */
  maxEntries?: number;
  /** Most bytes of keys and values kept, cached answers and replay marks together. Default: 8 MiB. */
  maxBytes?: number;
}

const MEMORY_STORE_OPTIONS = optionNames<MemoryStoreOptions>({ maxEntries: true, maxBytes: true });

/** Options of a store-backed consumer that is created without a store of its own. */
export const MEMORY_STORE_DEFAULTS = Object.freeze({
  maxEntries: 10_000,
  maxBytes: 8 * 1024 * 1024,
});

/** A {@link Store} with the bounded in-memory state of one process. */
export interface MemoryStore extends Store {
  /** Entries currently held, cached answers and replay marks, for tests and health reports. */
  readonly size: number;
  /** Bytes currently held, as counted against `maxBytes`. */
  readonly bytes: number;
}

const sizeOf = (key: string, value: string) => (key.length + value.length) * 2 || 1;
const ttlOf = (ttlMs: number) => Math.max(1, Math.ceil(ttlMs));

/**
 * Creates the default in-memory {@link Store}.
 *
 * @example
 * ```ts
 * import { createGuard, memoryStore } from 'resource-guard';
 * // Room for 200,000 DPoP proofs per dpopProofWindow, next to the introspection cache.
 * const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com', store: memoryStore({ maxEntries: 250_000, maxBytes: 64 * 1024 * 1024 }) });
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  if (typeof options !== 'object' || options === null) throw new TypeError('memoryStore(): options must be an object');
  checkOptionNames(options, MEMORY_STORE_OPTIONS, 'memoryStore()');
  const maxEntries = options.maxEntries ?? MEMORY_STORE_DEFAULTS.maxEntries;
  const maxBytes = options.maxBytes ?? MEMORY_STORE_DEFAULTS.maxBytes;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('"maxEntries" must be a positive integer');
  }
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new TypeError('"maxBytes" must be a positive integer');
  }
  const bounds = Object.freeze({ maxEntries, maxBytes });
  // Its own bounds are the whole budget; `makeRoom` shrinks it by what the marks hold.
  const cache = new LRUCache<string, string>({ max: maxEntries, maxSize: maxBytes, sizeCalculation: sizeOf, ttlAutopurge: false, ttlResolution: 0 });
  const marks = new ReplayMarks();

  /** Evicts cached answers (least recently used first) until `bytes` more fit; false when only marks are left. */
  function makeRoom(bytes: number, now: number): boolean {
    marks.purgeExpired(now);
    const fits = () => cache.size + marks.size < maxEntries && cache.calculatedSize + marks.bytes + bytes <= maxBytes;
    while (!fits()) {
      if (cache.size === 0) return false;
      cache.pop();
    }
    return true;
  }

  return {
    get size() {
      return cache.size + marks.size;
    },
    get bytes() {
      return cache.calculatedSize + marks.bytes;
    },
    async get(key) {
      return marks.get(key, Date.now()) ?? cache.get(key);
    },
    async set(key, value, ttlMs) {
      marks.delete(key);
      cache.delete(key);
      // A cache may skip an answer; it never pushes out a replay mark.
      if (makeRoom(sizeOf(key, value), Date.now())) cache.set(key, value, { ttl: ttlOf(ttlMs) });
    },
    async setIfAbsent(key, value, ttlMs) {
      const now = Date.now();
      if (marks.get(key, now) !== undefined || cache.has(key)) return false;
      const bytes = sizeOf(key, value);
      if (!makeRoom(bytes, now)) throw new StoreFullError(marks.secondsUntilRoom(now), bounds);
      marks.add(key, value, now + ttlOf(ttlMs), bytes);
      return true;
    },
    async delete(key) {
      marks.delete(key);
      cache.delete(key);
    },
  };
}
