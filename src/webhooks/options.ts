/**
 * The options both webhook middlewares share: normalised once, defaults on one screen,
 * every mistake a `TypeError` naming the option, the caller's object never touched.
 */
import { memoryStore, type Store } from '../store/memory.js';
import { optionNames } from '../errors/unknown-option.js';

/**
 * Options of `telnyxWebhook()` and `standardWebhook()` besides their keys.
 * Durations are in seconds, sizes in bytes.
 *
 * @example
 * ```ts
 * const shared: WebhookOptions = { tolerance: 120, limit: 256 * 1024, store: sharedStore, onReplay: 'allow' };
 * app.post('/webhooks/telnyx', telnyxWebhook({ publicKey, ...shared }), handler);
 * ```
 */
export interface WebhookOptions {
  /**
   * How far a delivery's signed timestamp may be from now, either way, in seconds.
   * Default: 300 (what Telnyx and Standard Webhooks recommend).
   */
  tolerance?: number;
  /** Largest body accepted, in bytes; longer bodies are 413. Default: 1 MiB (1,048,576). */
  limit?: number;
  /**
   * Where accepted deliveries are remembered until their timestamp leaves the window.
   * Default: a `memoryStore()` per middleware (10,000 entries, 8 MiB), which protects one
   * process; give every instance the same shared store when several run. A mark is never
   * dropped early: a store full of unexpired marks refuses new deliveries with 503.
   */
  store?: Store;
  /**
   * When the store fails or does not answer within `timeout`: `'deny'` refuses the
   * delivery with 503 and `Retry-After` (and makes sure it is not remembered, so the
   * provider's retry is accepted); `'allow'` accepts it without the replay check.
   * Default: `'deny'`.
   */
  onStoreError?: 'deny' | 'allow';
  /**
   * When the same signed delivery arrives again inside the window: `'deny'` answers 409;
   * `'allow'` passes it on with `req.webhook.duplicate = true`. Default: `'deny'`.
   */
  onReplay?: 'deny' | 'allow';
  /** Longest wait on the store, in seconds. Default: 5. */
  timeout?: number;
  /**
   * Parse the verified body as JSON into `req.body` (invalid JSON is 400). `false` leaves
   * `req.body` as the verified `Buffer`, for non-JSON payloads. Default: `true`.
   */
  parseJson?: boolean;
}

/** The option names both webhook middlewares share, for the strict check. @internal */
export const WEBHOOK_OPTIONS = optionNames<WebhookOptions>({
  tolerance: true,
  limit: true,
  store: true,
  onStoreError: true,
  onReplay: true,
  timeout: true,
  parseJson: true,
});

/** The documented defaults, in one place. @internal */
export const WEBHOOK_DEFAULTS = Object.freeze({
  tolerance: 300,
  limit: 1024 * 1024,
  onStoreError: 'deny',
  onReplay: 'deny',
  timeout: 5,
  parseJson: true,
} as const);

/** {@link WebhookOptions} resolved: every default applied, durations in milliseconds where noted. */
export interface WebhookConfig {
  readonly tolerance: number;
  readonly limit: number;
  readonly store: Store;
  readonly onStoreError: 'deny' | 'allow';
  readonly onReplay: 'deny' | 'allow';
  readonly timeoutMs: number;
  readonly parseJson: boolean;
}

/** Validates and resolves the shared options. Throws `TypeError` naming the bad option. */
export function normalizeWebhookOptions(options: WebhookOptions): WebhookConfig {
  return Object.freeze({
    tolerance: positiveNumber(options.tolerance ?? WEBHOOK_DEFAULTS.tolerance, 'tolerance'),
    limit: positiveInteger(options.limit ?? WEBHOOK_DEFAULTS.limit, 'limit'),
    store: options.store === undefined ? memoryStore() : checkStore(options.store),
    onStoreError: oneOf(options.onStoreError ?? WEBHOOK_DEFAULTS.onStoreError, 'onStoreError'),
    onReplay: oneOf(options.onReplay ?? WEBHOOK_DEFAULTS.onReplay, 'onReplay'),
    timeoutMs: positiveNumber(options.timeout ?? WEBHOOK_DEFAULTS.timeout, 'timeout') * 1000,
    parseJson: boolean(options.parseJson ?? WEBHOOK_DEFAULTS.parseJson, 'parseJson'),
  });
}

/** The options object itself, or a `TypeError` when there is none. */
export function requireOptions<T extends object>(options: T | undefined, factory: string): T {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${factory}() needs an options object`);
  }
  return options;
}

function positiveNumber(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`"${name}" must be a positive number of seconds`);
  }
  return value;
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`"${name}" must be a positive integer number of bytes`);
  }
  return value;
}

function oneOf(value: unknown, name: string): 'deny' | 'allow' {
  if (value !== 'deny' && value !== 'allow') throw new TypeError(`"${name}" must be 'deny' or 'allow'`);
  return value;
}

function boolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`"${name}" must be a boolean`);
  return value;
}

function checkStore(store: unknown): Store {
  const candidate = store as Partial<Record<keyof Store, unknown>> | null;
  const methods = ['get', 'set', 'setIfAbsent', 'delete'] as const;
  if (typeof candidate !== 'object' || candidate === null || methods.some((m) => typeof candidate[m] !== 'function')) {
    throw new TypeError('"store" must implement get, set, setIfAbsent and delete');
  }
  return store as Store;
}
