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
 * Bounds of the in-memory store: `maxEntries` entries (default 10,000) and `maxBytes`
 * bytes of keys and values counted as UTF-16 length × 2 (default 8 MiB); least recently
 * used entries go first, and every entry expires after its own TTL.
 */
import { LRUCache } from 'lru-cache';
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
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Removes `key`; used to forget a replay mark when the request it guarded failed. */
  delete(key: string): Promise<void>;
}

/** Bounds for {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Most entries kept. Default: 10,000. */
  maxEntries?: number;
  /** Most bytes of keys and values kept. Default: 8 MiB. */
  maxBytes?: number;
}

const MEMORY_STORE_OPTIONS = optionNames<MemoryStoreOptions>({ maxEntries: true, maxBytes: true });

/** Options of a store-backed consumer that is created without a store of its own. */
export const MEMORY_STORE_DEFAULTS = Object.freeze({
  maxEntries: 10_000,
  maxBytes: 8 * 1024 * 1024,
});

/** A {@link Store} with the bounded in-memory state of one process, an LRU with TTLs. */
export interface MemoryStore extends Store {
  /** Entries currently held, for tests and health reports. */
  readonly size: number;
  /** Bytes currently held, as counted against `maxBytes`. */
  readonly bytes: number;
}

/** Creates the default in-memory {@link Store}. */
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
  const cache = new LRUCache<string, string>({
    max: maxEntries,
    maxSize: maxBytes,
    sizeCalculation: (value, key) => (key.length + value.length) * 2 || 1,
    ttlAutopurge: false,
  });
  const ttl = (ttlMs: number) => Math.max(1, Math.ceil(ttlMs));
  return {
    get size() {
      return cache.size;
    },
    get bytes() {
      return cache.calculatedSize;
    },
    async get(key) {
      return cache.get(key);
    },
    async set(key, value, ttlMs) {
      cache.set(key, value, { ttl: ttl(ttlMs) });
    },
    async setIfAbsent(key, value, ttlMs) {
      if (cache.has(key)) return false;
      cache.set(key, value, { ttl: ttl(ttlMs) });
      return true;
    },
    async delete(key) {
      cache.delete(key);
    },
  };
}
