/**
 * Verified JWTs, so a token seen again costs a hash and a look-up, not a signature check.
 *
 * Bounds: `maxEntries` entries and `maxBytes` bytes (token plus claims JSON, one byte a
 * character, plus {@link ENTRY_OVERHEAD} for the objects); least recently used first out. An
 * entry lives until the first instant verification would refuse the token: its `exp` plus the
 * clock tolerance, or, with `maxTokenAge`, its `iat + maxTokenAge` plus the clock tolerance
 * when that comes first; never longer.
 * Entries whose key disappeared from its JWKS are dropped at once, by the key's identity (its
 * RFC 7638 thumbprint, whatever its `kid`: absent, or reused for a new key); a hit whose key
 * set is due for a refresh is a miss, so the refresh (and that drop) happens first.
 */
import { LRUCache } from 'lru-cache';
import type { AuthInfo } from '../auth/info.js';

/** What an entry's key came from; a hit counts only while that key set is fresh. */
export interface KeySource {
  readonly isFresh: boolean;
}

/** Bytes counted for each entry beyond its token and claims. */
export const ENTRY_OVERHEAD = 512;

interface Entry {
  auth: AuthInfo;
  /** Seconds since the epoch from which the token is refused: the entry is dead from then on. */
  until: number;
  /** Thumbprint of the key that verified the token; `undefined` for the HMAC secret. */
  key: string | undefined;
  /** The key set `key` belongs to. */
  keys: KeySource | undefined;
}

export class TokenCache {
  readonly #cache: LRUCache<string, Entry>;

  /**
   * @param clockTolerance seconds of leeway on `exp` (and on `iat` with `maxTokenAge`)
   * @param maxTokenAge the guard's `maxTokenAge`: entries die once the token is that old
   */
  constructor(
    maxEntries: number,
    maxBytes: number,
    private readonly clockTolerance: number,
    private readonly maxTokenAge?: number,
  ) {
    this.#cache = new LRUCache<string, Entry>({
      max: maxEntries,
      maxSize: maxBytes,
      // V8 keeps ASCII strings at one byte a character; 512 covers the objects around them
      // (measured: about 1,600 heap bytes for a 681-character RS256 token).
      sizeCalculation: (entry) => entry.auth.token.length + claimsLengthOf(entry.auth.token) + ENTRY_OVERHEAD,
    });
  }

  get size(): number {
    return this.#cache.size;
  }

  get(hash: string): AuthInfo | undefined {
    const entry = this.#cache.get(hash);
    if (entry === undefined) return undefined;
    // The token's own exp (and iat, with maxTokenAge) decides; dead entries go on sight or by LRU.
    if (Date.now() / 1000 >= entry.until) {
      this.#cache.delete(hash);
      return undefined;
    }
    if (entry.keys !== undefined && !entry.keys.isFresh) return undefined;
    return entry.auth;
  }

  /** Caches `auth`, verified by the key of thumbprint `key` from `keys` (both `undefined` for HMAC). */
  set(hash: string, auth: AuthInfo, key: string | undefined, keys: KeySource | undefined): void {
    const until = this.#deadlineOf(auth);
    if (until === undefined) return;
    if (until * 1000 <= Date.now()) return;
    // No lru-cache TTL: `get` checks `until` itself, and an lru-cache TTL would start a timer
    // per millisecond of traffic to keep its clock (ttlResolution).
    this.#cache.set(hash, { auth, until, key, keys });
  }

  /** When verification would start refusing `auth`'s token; `undefined` for a token to keep nowhere. */
  #deadlineOf(auth: AuthInfo): number | undefined {
    if (auth.expiresAt === undefined) return undefined;
    const expiry = auth.expiresAt + this.clockTolerance;
    if (this.maxTokenAge === undefined) return expiry;
    const iat = (auth.claims as Record<string, unknown>).iat;
    if (typeof iat !== 'number') return undefined;
    return Math.min(expiry, iat + this.maxTokenAge + this.clockTolerance);
  }

  /** Drops every entry verified by a key of `keys` whose thumbprint is one of `removed`. */
  purge(keys: KeySource, removed: readonly string[]): void {
    for (const [hash, entry] of this.#cache.entries()) {
      if (entry.keys === keys && entry.key !== undefined && removed.includes(entry.key)) this.#cache.delete(hash);
    }
  }
}

/**
 * The length of a JWT's claims JSON, read off its payload part (3 bytes per 4 base64url
 * characters) instead of serialising the claims again. At most the token's length.
 */
function claimsLengthOf(token: string): number {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  return first === -1 || second === -1 ? token.length : Math.floor(((second - first - 1) * 3) / 4);
}

/**
 * Tokens refused for a reason no later moment can reverse (a bad signature, a forbidden
 * algorithm, an untrusted issuer), so the same forged token costs a look-up, not a
 * signature check, each time it comes back.
 *
 * Bounds: `maxEntries` entries and `maxBytes` bytes (key plus description), least recently
 * used first out; each entry lives {@link REFUSAL_TTL} seconds, so a key-set change can
 * never keep a token refused for long.
 */
export const REFUSAL_TTL = 60;

export class RefusalCache {
  readonly #cache: LRUCache<string, string>;

  constructor(maxEntries: number, maxBytes: number) {
    this.#cache = new LRUCache<string, string>({
      max: maxEntries,
      maxSize: maxBytes,
      ttl: REFUSAL_TTL * 1000,
      // Read the clock on each look-up instead of keeping a timer that resets it every millisecond.
      ttlResolution: 0,
      sizeCalculation: (description, hash) => description.length + hash.length + 64,
    });
  }

  get size(): number {
    return this.#cache.size;
  }

  /** The description of the earlier refusal of this token, if it is remembered. */
  get(hash: string): string | undefined {
    return this.#cache.get(hash);
  }

  set(hash: string, description: string): void {
    this.#cache.set(hash, description);
  }

  /** Forgets every refusal: a new key may verify a token refused before it was published. */
  clear(): void {
    this.#cache.clear();
  }
}
