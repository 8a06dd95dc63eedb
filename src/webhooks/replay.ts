/**
 * Replay protection: the same signed delivery is accepted once while its timestamp is
 * inside the tolerance window.
 *
 * What counts as "the same": the scheme, the signed timestamp, the delivery id and the
 * body, hashed into one store key. Not the signature header: a Standard Webhooks header may
 * carry several signatures and any valid one passes, so an attacker could otherwise drop or
 * add one to make a fresh key for old bytes. Provider *retries* are new deliveries (a new
 * timestamp and signature) and pass; the app de-duplicates those by `req.webhook.id`.
 *
 * The mark lives exactly as long as the delivery could still pass the timestamp check
 * (`timestamp + tolerance - now`), so the store holds at most one tolerance window of
 * traffic. Marks are set only after the signature verified: an attacker without the key
 * cannot fill the store.
 *
 * Bounds: a mark is never dropped before its TTL to make room (`store/memory.ts`): when the
 * store is full of marks, a new delivery is refused with 503 and `Retry-After` (the provider
 * retries), whatever `onStoreError` says, and the process warns once with the sizing advice.
 *
 * Failure rules, as DESIGN.md fixes them:
 * - the store fails or is slower than `timeout`: with `onStoreError: 'deny'` the delivery is
 *   refused with 503, and the mark a late `setIfAbsent` may still write is removed once it
 *   lands, so the provider's identical retry is not taken for a replay (the event would be
 *   lost); with `'allow'` the delivery passes unchecked;
 * - once a mark is set the delivery goes to the handler, and the mark stays whatever
 *   happens next (a 5xx answer, a client that hangs up): releasing it would let a captured
 *   delivery run the handler again and again. Providers retry with a new timestamp and
 *   signature, a new delivery, so their retries are not refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { StoreFullError, type Store } from '../store/memory.js';
import { WebhookError } from './errors.js';
import type { WebhookScheme } from './types.js';

/** The outcome of one replay check. */
export interface ReplayMark {
  /** The delivery was seen before and `onReplay` is `'allow'`. */
  readonly duplicate: boolean;
}

export interface ReplayGuardConfig {
  readonly store: Store;
  /** The scheme's name in the sizing warning. */
  readonly scheme: string;
  /** Seconds a delivery's timestamp may be from now, either way: how long marks live. */
  readonly tolerance: number;
  readonly onStoreError: 'deny' | 'allow';
  readonly onReplay: 'deny' | 'allow';
  readonly timeoutMs: number;
}

const KEY_PREFIX = 'rg:webhook:';
const NO_MARK: ReplayMark = Object.freeze({ duplicate: false });
const DUPLICATE: ReplayMark = Object.freeze({ duplicate: true });

/** The store key of one signed delivery. */
export function replayKey(scheme: WebhookScheme, timestamp: number, id: string | undefined, body: Buffer): string {
  const digest = createHash('sha256')
    .update(`${scheme}\n${timestamp}\n${id ?? ''}\n`)
    .update(body)
    .digest('base64url');
  return `${KEY_PREFIX}${scheme}:${digest}`;
}

/** Milliseconds until a delivery signed at `timestamp` can no longer pass the window. */
export function replayTtlMs(timestamp: number, tolerance: number, now: number): number {
  return Math.max(1, timestamp + tolerance - now + 1) * 1000;
}

/**
 * Returns the check: resolves with a {@link ReplayMark}, or throws `replayed` (409) or
 * `store_unavailable` (503).
 */
export function createReplayGuard(config: ReplayGuardConfig) {
  const { store } = config;

  /** Deletes `key` only if it still holds this request's token. Best effort, never throws. */
  function forget(key: string, token: string): void {
    Promise.resolve()
      .then(() => store.get(key))
      .then((value) => (value === token ? store.delete(key) : undefined))
      .catch(() => {});
  }

  let warnedFull = false;
  /** 503 for a delivery the full replay set cannot take; warns once with the sizing advice. */
  function full(cause: StoreFullError): WebhookError {
    if (!warnedFull) {
      warnedFull = true;
      const span = 2 * config.tolerance;
      process.emitWarning(
        `resource-guard/webhooks: the ${config.scheme} replay set is full (${cause.bounds.maxEntries} entries, ${cause.bounds.maxBytes} bytes of keys and values); ` +
          `new deliveries are refused with 503 (the provider retries) until marks expire. It holds one entry per delivery accepted within ${span} s ` +
          `(tolerance either way): pass a store with room for the peak deliveries per second × ${span}, ` +
          'e.g. store: memoryStore({ maxEntries, maxBytes }) or a shared redisStore(client).',
        { code: 'RESOURCE_GUARD_REPLAY_SET_FULL' },
      );
    }
    return new WebhookError('store_unavailable', 'the replay set is full; retry later', { cause, retryAfter: cause.retryAfter });
  }

  return async function checkReplay(key: string, ttlMs: number): Promise<ReplayMark> {
    // A random token as the value lets a later clean-up tell this request's mark from another's.
    const token = randomBytes(9).toString('base64url');
    const pending = Promise.resolve().then(() => store.setIfAbsent(key, token, ttlMs));
    let first: boolean;
    try {
      first = await withTimeout(pending, config.timeoutMs);
    } catch (cause) {
      // Full is a bound, not an outage: accepting unchecked would let any replay through.
      if (cause instanceof StoreFullError) throw full(cause);
      if (config.onStoreError === 'allow') return NO_MARK;
      // The write may still land (a queued SET NX); undo it when it does.
      pending.then(
        (stored) => (stored ? forget(key, token) : undefined),
        () => forget(key, token),
      );
      throw new WebhookError('store_unavailable', 'the replay store is unavailable; retry later', { cause });
    }
    if (!first) {
      if (config.onReplay === 'allow') return DUPLICATE;
      throw new WebhookError('replayed', 'this delivery was already accepted');
    }
    return NO_MARK;
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
