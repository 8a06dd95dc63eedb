/**
 * The contract between a cached remote document (document.ts) and the code that fetches it
 * (discovery.ts, the JWKS): what a load returns, a 304, the validators of a conditional
 * request (RFC 9110 §13.1), and a failure that carries the server's `Retry-After`.
 */

/** What a loader returns: the value and how long it may be considered fresh (seconds). */
export interface Loaded<T> {
  value: T;
  maxAge: number;
  /** For the next conditional request. */
  validators?: Validators | undefined;
}

/** A 304: the cached value is still current, fresh for `maxAge` more seconds. */
export interface NotModified {
  notModified: true;
  maxAge: number;
  validators?: Validators | undefined;
}

/** What identifies the cached representation (RFC 9110 §8.8), and where it came from. */
export interface Validators {
  etag?: string | undefined;
  lastModified?: string | undefined;
  /** The URL that answered, where a conditional request must go. */
  url?: string | undefined;
}

/** What a loader is told about the fetch it is asked to make. */
export interface LoadContext {
  /** Validators of the cached value, when there is one: send them as `If-None-Match` / `If-Modified-Since`. */
  validators: Validators | undefined;
  /** A refresh ahead of expiry, which no caller waits for. */
  background: boolean;
}

/**
 * A loader's failure: `message` for operators (URLs included), `phrase` for clients (what
 * went wrong, no URL), and the server's `Retry-After` (seconds), if it sent one.
 */
export class UpstreamFailure extends Error {
  override readonly name = 'UpstreamFailure';
  readonly retryAfter: number | undefined;
  readonly phrase: string;

  constructor(message: string, options: { phrase: string; retryAfter?: number | undefined; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.phrase = options.phrase;
    this.retryAfter = options.retryAfter;
  }
}
