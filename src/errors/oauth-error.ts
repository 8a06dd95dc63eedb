/**
 * Folder `errors/`: `OAuthError`, its factories, the one place `WWW-Authenticate` is
 * rendered, and the strict check of option names. Its one rule: it imports nothing else of
 * `src/`, so every layer can use it.
 *
 * One error class for every failure the guard reports, with the HTTP answer attached.
 *
 * Express's default error handler reads `status` and `headers` from an error passed to
 * `next(err)`, so an app that adds nothing still answers exactly as RFC 6750 §3 says.
 * `description` is for the client (short, never a token or secret); `cause` is for logs.
 *
 * @see [RFC 6750 §3 - The WWW-Authenticate Response Header Field](https://www.rfc-editor.org/rfc/rfc6750#section-3)
 */
import { headersFor, NO_CONTEXT, type AuthScheme, type ChallengeParams, type RenderContext } from './challenge.js';

export { renderChallenge } from './challenge.js';
export type { AuthScheme, ChallengeParams, RenderContext } from './challenge.js';

/** The `error` codes this package can answer with; each is the registry string itself. */
export type OAuthErrorCode =
  /** RFC 6750 §3.1: malformed request (two tokens, bad syntax). 400. */
  | 'invalid_request'
  /** RFC 6750 §3.1: expired, revoked, malformed or otherwise invalid token. 401. */
  | 'invalid_token'
  /** RFC 6750 §3.1: the token is valid but lacks what the route needs. 403. */
  | 'insufficient_scope'
  /** RFC 9470 §3: the user's authentication is too weak or too old for the route. 401. */
  | 'insufficient_user_authentication'
  /** The authorization server could not be reached to decide the token. 503. */
  | 'temporarily_unavailable'
  /** The guard or the authorization server is misconfigured. 500. */
  | 'server_error'
  /** No bearer credentials at all (RFC 6750 §3.1: the challenge carries no `error`). 401. */
  | 'missing_token'
  /** RFC 9449 §7.1: the DPoP proof is missing or invalid. 401, `DPoP` challenge. */
  | 'invalid_dpop_proof'
  /** RFC 9449 §9: the proof lacks the current server nonce; `DPoP-Nonce` has it. 401. */
  | 'use_dpop_nonce';

/** What the guard knows about this API when it renders a challenge, and how it words refusals. */
export interface ChallengeContext extends RenderContext {
  /**
   * The description clients get instead of the error's own (`errorDetail: 'minimal'`).
   * `withContext` then returns a copy carrying it, with the original error as `cause`.
   */
  describe?: ((err: OAuthError) => string) | undefined;
}

export interface OAuthErrorInit {
  status: number;
  code: OAuthErrorCode;
  description: string;
  /** Challenge params beyond error/description, such as `scope`. */
  challenge?: Omit<ChallengeParams, 'error' | 'error_description'>;
  /** Seconds, for 503 answers. */
  retryAfter?: number;
  cause?: unknown;
  /** The scheme whose challenge carries the error whatever the request used (`DPoP` for proof errors). */
  scheme?: AuthScheme;
  /** Headers to send besides the challenge (`DPoP-Nonce`). */
  headers?: Record<string, string>;
}

const DESCRIPTION_LIMIT = 200;

/** False where intrinsics are frozen (SES lockdown): then every error keeps its stack. */
const STACK_LIMIT_WRITABLE = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')?.writable === true;

/**
 * A failed authentication or authorization, ready to be answered.
 *
 * Pass it to `next(err)`: Express's default handler uses `status` and `headers`. A custom
 * error handler should copy `err.headers` onto the response so the challenge survives.
 *
 * Client errors (4xx) carry no stack frames: they are answers, not bugs, and a flood of
 * forged tokens should not pay for stack traces. `cause` keeps the stack of whatever failed
 * underneath; 5xx errors keep their own.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (!(err instanceof OAuthError)) return next(err);
 *   res.set(err.headers).status(err.status).json({ error: err.code, error_description: err.description });
 * });
 * ```
 */
export class OAuthError extends Error {
  override readonly name: string = 'OAuthError';
  /** HTTP status: 400, 401, 403, 500 or 503. */
  readonly status: number;
  /** Alias of `status` for handlers that read `statusCode` (http-errors convention). */
  readonly statusCode: number;
  /** Stable machine-readable code; the RFC 6750 `error` value where one applies. */
  readonly code: OAuthErrorCode;
  /** Short client-facing reason, safe to send: never contains a token or a secret. */
  readonly description: string;
  /** Client errors may show their message; 5xx messages stay server-side (http-errors `expose`). */
  readonly expose: boolean;
  /** Challenge params for this error; the guard adds `realm` and `resource_metadata`. */
  readonly challenge: ChallengeParams;
  /** Seconds until retry is worth it, for 503. */
  readonly retryAfter: number | undefined;
  /** The scheme whose challenge carries this error when that does not depend on the request. */
  readonly scheme: AuthScheme | undefined;
  /** @internal Headers sent besides the challenge. */
  readonly extraHeaders: Readonly<Record<string, string>> | undefined;
  #context: ChallengeContext = NO_CONTEXT;
  #headers: Record<string, string> | undefined;

  constructor(init: OAuthErrorInit) {
    const description = sanitizeDescription(init.description);
    // A refused request is an outcome, not a bug: where in the guard it was decided tells a
    // reader nothing, and capturing it cost more than the rest of a refusal. `cause` keeps
    // the stack of whatever failed underneath; 5xx errors keep their own.
    const limit = Error.stackTraceLimit;
    const silent = init.status < 500 && STACK_LIMIT_WRITABLE;
    if (silent) Error.stackTraceLimit = 0;
    super(description, init.cause === undefined ? undefined : { cause: init.cause });
    if (silent) Error.stackTraceLimit = limit;
    this.status = init.status;
    this.statusCode = init.status;
    this.code = init.code;
    this.description = description;
    this.expose = init.status < 500;
    this.retryAfter = init.retryAfter;
    this.scheme = init.scheme;
    this.extraHeaders = init.headers;
    this.challenge =
      init.code === 'missing_token'
        ? { ...init.challenge }
        : { error: init.code, error_description: description, ...init.challenge };
  }

  /**
   * Response headers to send: `WWW-Authenticate` for 4xx, `Retry-After` for 503. Rendered
   * on first read for the context last given to `withContext`, since an error can pass
   * through several layers, each adding to the context, before anyone answers with it.
   */
  get headers(): Record<string, string> {
    return (this.#headers ??= headersFor(this, this.#context));
  }

  /**
   * Sets this API's realm, metadata URL and schemes for `headers`. The guard calls it on
   * the way out; the last call wins.
   * @internal
   */
  withContext(context: ChallengeContext): this {
    const description = context.describe?.(this);
    if (description !== undefined && description !== this.description) {
      return redescribe(this, description).withContext({ ...context, describe: undefined }) as this;
    }
    this.#context = context;
    this.#headers = undefined;
    return this;
  }

  /** Every field, `headers` included, for `JSON.stringify` and structured loggers. */
  toJSON(): Record<string, unknown> {
    return { ...(this as object), message: this.message, headers: this.headers };
  }
}

/**
 * A copy of `err` (same class, status, code, challenge and `Retry-After`) that says
 * `description` instead; `err`, with the full description, becomes its `cause`. A copy, not
 * an edit: one error instance can be shared by several requests (a cached fetch failure).
 */
function redescribe(err: OAuthError, description: string): OAuthError {
  const { error: _error, error_description: _description, ...challenge } = err.challenge;
  const copy = new OAuthError({
    status: err.status,
    code: err.code,
    description,
    challenge,
    retryAfter: err.retryAfter,
    cause: err,
    scheme: err.scheme,
    headers: err.extraHeaders,
  });
  // Client errors carry no frames to keep (see the constructor).
  if (err.status < 500 && STACK_LIMIT_WRITABLE) return copy;
  // Where the original was thrown is what a log reader needs; formatted only if read.
  let stack: string | undefined;
  Object.defineProperty(copy, 'stack', {
    get: () => (stack ??= [`${copy.name}: ${copy.description}`, ...(err.stack ?? '').split('\n').slice(1)].join('\n')),
    set: (value: string) => {
      stack = value;
    },
    configurable: true,
  });
  return copy;
}

/** Printable ASCII but `"` and `\`: what RFC 6750 §3 allows in `error_description`. */
const CLEAN_DESCRIPTION = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function sanitizeDescription(description: string): string {
  // The guard's own descriptions are clean already: one test instead of four rewrites.
  if (description.length <= DESCRIPTION_LIMIT && CLEAN_DESCRIPTION.test(description) && description.trim().length === description.length) {
    return description;
  }
  // RFC 6750 §3: error_description excludes `"` and `\`; swap them rather than escape.
  const clean = description.replace(/[^\x20-\x7e]/g, ' ').trim().replace(/"/g, "'").replace(/\\/g, '/');
  return clean.length > DESCRIPTION_LIMIT ? `${clean.slice(0, DESCRIPTION_LIMIT - 3)}...` : clean;
}
