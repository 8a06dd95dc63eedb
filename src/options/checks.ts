/**
 * Checks of single option values, shared by the guard's option files: each returns the value
 * (or its default) or throws a `TypeError` naming the option.
 */
import { isLoopbackUrl } from '../remote/http.js';
import type { Store } from '../store/memory.js';

/**
 * An absolute `https:` URL without credentials; plain `http:` only for loopback hosts or with
 * `allowInsecureHttp`.
 */
export function checkUrl(value: string, name: string, allowInsecureHttp: boolean): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`"${name}" must be an absolute URL (got ${JSON.stringify(value)})`);
  }
  // fetch refuses such URLs, and every error and event naming the URL would carry the password.
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`"${name}" must not contain credentials (user:password@); the value is not shown`);
  }
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && (allowInsecureHttp || isLoopbackUrl(url))) return;
  if (url.protocol === 'http:') {
    throw new TypeError(`"${name}" must use https: (got ${value}); set "allowInsecureHttp" to allow plain http`);
  }
  throw new TypeError(`"${name}" must be an https: URL (got ${value})`);
}

/** A string or an array of non-empty strings, as a frozen array without duplicates. */
export function stringList(value: unknown, name: string, allowEmpty = false): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || (!allowEmpty && list.length === 0)) {
    throw new TypeError(`"${name}" is required: a non-empty string or array of strings`);
  }
  for (const item of list) {
    if (typeof item !== 'string' || item.length === 0) {
      throw new TypeError(`"${name}" must contain only non-empty strings`);
    }
  }
  return Object.freeze([...new Set(list as string[])]);
}

export function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`"${name}" must be a non-empty string`);
  return value;
}

export function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new TypeError(`"${name}" must be a boolean`);
  return value;
}

/** Seconds: a finite number, at least `min` (0 unless told). */
export function duration(value: unknown, name: string, fallback: number, { min = 0 } = {}): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`"${name}" must be a finite number of seconds >= ${min} (got ${String(value)})`);
  }
  return value;
}

export function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`"${name}" must be a positive integer (got ${String(value)})`);
  }
  return value;
}

/** Something with the {@link Store} methods (e.g. `redisStore(client)`). */
export function toStore(store: unknown, name: string): Store | undefined {
  if (store === undefined) return undefined;
  const s = store as Partial<Store> | null;
  if (typeof s !== 'object' || s === null || ['get', 'set', 'setIfAbsent', 'delete'].some((m) => typeof s[m as keyof Store] !== 'function')) {
    throw new TypeError(`"${name}" must be a Store (get, set, setIfAbsent, delete), e.g. redisStore(client)`);
  }
  return store as Store;
}
