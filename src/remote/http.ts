/**
 * Every outbound call the guard makes goes through {@link request}: one timeout for the
 * whole exchange (headers and body), a cap on the body size, no redirect to another origin,
 * and https for every URL that is not loopback unless the user allowed plain http.
 */

/** Why an outbound call produced no usable answer. */
export type HttpFailureKind =
  | 'timeout'
  | 'network'
  | 'too_large'
  | 'redirect'
  | 'insecure';

/** An outbound call that failed before a complete answer arrived. Never holds a secret. */
export class HttpFailure extends Error {
  override readonly name = 'HttpFailure';
  constructor(
    readonly kind: HttpFailureKind,
    readonly url: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

export interface HttpRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Seconds for the whole exchange. */
  timeout: number;
  maxBytes: number;
  allowInsecureHttp: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The final URL, after same-origin redirects. */
  url: string;
  body: string;
}

const MAX_REDIRECTS = 3;

/** True for http(s) URLs whose host is 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname;
  return (
    host === 'localhost' ||
    host === '[::1]' ||
    /^127(?:\.\d{1,3}){3}$/.test(host)
  );
}

/** Throws unless `url` is https, loopback, or plain http was explicitly allowed. */
export function checkProtocol(url: URL, allowInsecureHttp: boolean): void {
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && (allowInsecureHttp || isLoopbackUrl(url))) return;
  throw new HttpFailure('insecure', url.href, `refusing non-https URL ${url.href}`);
}

/**
 * Performs one outbound call. Resolves with any HTTP status (the caller decides what a
 * status means); rejects with {@link HttpFailure} when no complete answer arrived in time.
 */
export async function request(req: HttpRequest): Promise<HttpResponse> {
  const signal = AbortSignal.timeout(Math.ceil(req.timeout * 1000));
  let url = new URL(req.url);
  const origin = url.origin;
  for (let hop = 0; ; hop++) {
    checkProtocol(url, req.allowInsecureHttp);
    const response = await send(url, req, signal);
    if (!isRedirect(response.status)) {
      const body = await readBody(response, url.href, req.maxBytes, signal);
      return { status: response.status, headers: response.headers, url: url.href, body };
    }
    await response.body?.cancel().catch(() => undefined);
    const location = response.headers.get('location');
    if (location === null || hop >= MAX_REDIRECTS || req.method === 'POST') {
      throw new HttpFailure('redirect', url.href, `unexpected redirect from ${url.href}`);
    }
    const next = new URL(location, url);
    // A redirect to another origin could hand key material to whoever controls that origin.
    if (next.origin !== origin) {
      throw new HttpFailure('redirect', url.href, `refusing redirect from ${url.href} to another origin (${next.origin})`);
    }
    url = next;
  }
}

async function send(url: URL, req: HttpRequest, signal: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, {
      method: req.method ?? 'GET',
      headers: { accept: 'application/json', ...req.headers },
      body: req.body ?? null,
      redirect: 'manual',
      signal,
    });
  } catch (err) {
    throw toFailure(err, url.href, signal);
  }
}

async function readBody(response: Response, url: string, maxBytes: number, signal: AbortSignal): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new HttpFailure('too_large', url, `response from ${url} is larger than ${maxBytes} bytes`);
  }
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new HttpFailure('too_large', url, `response from ${url} is larger than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof HttpFailure) throw err;
    throw toFailure(err, url, signal);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toFailure(err: unknown, url: string, signal: AbortSignal): HttpFailure {
  if (signal.aborted) return new HttpFailure('timeout', url, `request to ${url} timed out`, err);
  const cause = (err as { cause?: { code?: string } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return new HttpFailure('network', url, `request to ${url} failed${code}`, err);
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Longest `Retry-After` honoured, in seconds: a server's ask, but not a day-long outage of ours. */
export const MAX_RETRY_AFTER = 300;

/**
 * Seconds the server asked us to wait (`Retry-After` as delta-seconds or HTTP-date),
 * at least 1 and at most `max`; `undefined` when absent or unparseable. Without a
 * `Retry-After`, back-off after repeated failures is capped at the cooldown instead.
 */
export function parseRetryAfter(value: string | null, max = MAX_RETRY_AFTER): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  let seconds: number;
  if (/^\d+$/.test(trimmed)) {
    seconds = Number(trimmed);
  } else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    seconds = Math.ceil((date - Date.now()) / 1000);
  }
  return Math.min(Math.max(seconds, 1), max);
}

/** Parses a JSON object body; `undefined` when it is not a JSON object. */
export function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Seconds a response may be considered fresh: its `Cache-Control: max-age` less its `Age`
 * (or 0 for `no-store`/`no-cache`), clamped to [floor, ceiling]; the ceiling when it says
 * nothing.
 *
 * @see [RFC 9111 §4.2.1 - Calculating Freshness Lifetime](https://www.rfc-editor.org/rfc/rfc9111#section-4.2.1)
 */
export function freshnessOf(headers: Headers, floor: number, ceiling: number): number {
  const cacheControl = headers.get('cache-control');
  if (cacheControl === null) return ceiling;
  if (/(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/i.test(cacheControl)) return floor;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
  if (match === null) return ceiling;
  const age = /^\s*(\d+)\s*$/.exec(headers.get('age') ?? '');
  const remaining = Number(match[1]) - (age === null ? 0 : Number(age[1]));
  return Math.min(Math.max(remaining, floor), ceiling);
}

/** The validators of a response, for the next conditional request to `url`. */
export function validatorsOf(headers: Headers, url: string): { etag?: string; lastModified?: string; url: string } | undefined {
  const etag = headers.get('etag') ?? undefined;
  const lastModified = headers.get('last-modified') ?? undefined;
  if (etag === undefined && lastModified === undefined) return undefined;
  return { ...(etag === undefined ? {} : { etag }), ...(lastModified === undefined ? {} : { lastModified }), url };
}

/**
 * `If-None-Match` / `If-Modified-Since` for a request to `url`, from validators saved for that
 * same URL; none otherwise. With an ETag, `If-Modified-Since` is left out: a server ignores it
 * next to `If-None-Match` (RFC 9110 §13.1.3).
 *
 * @see [RFC 9110 §13.1 - Preconditions](https://www.rfc-editor.org/rfc/rfc9110#section-13.1)
 */
export function conditionalHeaders(
  validators: { etag?: string | undefined; lastModified?: string | undefined; url?: string | undefined } | undefined,
  url: string,
): Record<string, string> {
  if (validators === undefined || validators.url !== url) return {};
  if (validators.etag !== undefined) return { 'if-none-match': validators.etag };
  if (validators.lastModified !== undefined) return { 'if-modified-since': validators.lastModified };
  return {};
}
