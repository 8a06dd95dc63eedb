/**
 * One error class for every refused webhook delivery, with the HTTP answer attached.
 *
 * A webhook is not a bearer challenge, so these are not `OAuthError`s: there is no
 * `WWW-Authenticate` to render. Express's default error handler reads `status` and
 * `headers` from an error passed to `next(err)`, so an app that adds nothing already answers
 * with the right status (and `Retry-After` on 503). The status is a function of the code,
 * fixed in {@link WEBHOOK_ERROR_STATUS}, so a `switch (err.code)` is all an app needs.
 */

/**
 * Why a delivery was refused. Stable strings: match on these, never on `description`.
 *
 * | code | status | meaning |
 * | --- | --- | --- |
 * | `missing_header` | 400 | a signature, timestamp or id header is absent or empty |
 * | `invalid_header` | 400 | a header is malformed (timestamp not Unix seconds, too many signatures) |
 * | `invalid_signature` | 401 | no signature verifies with any configured key |
 * | `timestamp_too_old` | 401 | the delivery is older than `tolerance` |
 * | `timestamp_in_future` | 401 | the delivery is dated more than `tolerance` ahead |
 * | `replayed` | 409 | this exact signed delivery was already accepted |
 * | `payload_too_large` | 413 | the body is longer than `limit` |
 * | `unsupported_encoding` | 415 | the body is compressed (`Content-Encoding`) |
 * | `request_aborted` | 400 | the sender closed the connection mid-body |
 * | `invalid_payload` | 400 | the verified body is not UTF-8 JSON |
 * | `body_already_parsed` | 500 | a body parser ran first; the signed bytes are gone |
 * | `store_unavailable` | 503 | the replay store failed and `onStoreError` is `'deny'`, or it is full of unexpired marks |
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err instanceof WebhookError && err.code === 'body_already_parsed') {
 *     console.error('webhook route is mounted after express.json():', err.description);
 *   }
 *   next(err);
 * });
 * ```
 */
export type WebhookErrorCode =
  | 'missing_header'
  | 'invalid_header'
  | 'invalid_signature'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'replayed'
  | 'payload_too_large'
  | 'unsupported_encoding'
  | 'request_aborted'
  | 'invalid_payload'
  | 'body_already_parsed'
  | 'store_unavailable';

/**
 * The HTTP status each {@link WebhookErrorCode} answers with.
 * @internal
 */
export const WEBHOOK_ERROR_STATUS: Readonly<Record<WebhookErrorCode, number>> = Object.freeze({
  missing_header: 400,
  invalid_header: 400,
  invalid_signature: 401,
  timestamp_too_old: 401,
  timestamp_in_future: 401,
  replayed: 409,
  payload_too_large: 413,
  unsupported_encoding: 415,
  request_aborted: 400,
  invalid_payload: 400,
  body_already_parsed: 500,
  store_unavailable: 503,
});

/** Seconds a sender should wait before retrying after a 503. */
const RETRY_AFTER_SECONDS = 5;

/**
 * A refused webhook delivery, ready to be answered.
 *
 * Pass it to `next(err)`: Express's default handler uses `status` and `headers`. A custom
 * error handler should copy `err.headers` onto the response so `Retry-After` survives.
 * `description` is a short phrase safe to send (never a key, secret or signature);
 * `cause` is for logs.
 *
 * @example
 * ```ts
 * import { WebhookError } from 'resource-guard/webhooks';
 *
 * app.use((err, req, res, next) => {
 *   if (!(err instanceof WebhookError)) return next(err);
 *   if (!err.expose) console.error(err); // 500 and 503 are ours to fix, not the sender's
 *   res.set(err.headers).status(err.status).json({ error: err.code, error_description: err.description });
 * });
 * ```
 */
export class WebhookError extends Error {
  override readonly name: string = 'WebhookError';
  /** HTTP status, fixed by `code` (see {@link WEBHOOK_ERROR_STATUS}). */
  readonly status: number;
  /** Alias of `status` for handlers that read `statusCode` (http-errors convention). */
  readonly statusCode: number;
  /** Stable machine-readable reason. */
  readonly code: WebhookErrorCode;
  /** Short reason, safe to send to the sender. */
  readonly description: string;
  /** Client errors may show their message; 5xx messages stay server-side (http-errors `expose`). */
  readonly expose: boolean;
  /** Response headers to send: `Retry-After` on 503, otherwise none. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: WebhookErrorCode, description: string, options?: { cause?: unknown; retryAfter?: number }) {
    super(description, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = WEBHOOK_ERROR_STATUS[code];
    this.statusCode = this.status;
    this.description = description;
    this.expose = this.status < 500;
    const headers: Record<string, string> = {};
    if (this.status === 503) headers['Retry-After'] = String(options?.retryAfter ?? RETRY_AFTER_SECONDS);
    this.headers = Object.freeze(headers);
  }
}
