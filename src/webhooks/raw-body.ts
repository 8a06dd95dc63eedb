/**
 * The exact bytes of a request body, once, within a limit.
 *
 * Signatures are over the bytes received, so a body that a parser already turned into an
 * object cannot be verified: re-serialising it changes whitespace, key order and number
 * formatting. Three sources are accepted, in this order:
 *
 * 1. bytes kept by {@link captureRawBody} when it is the `verify` hook of a body parser;
 * 2. `req.body` when it is a `Buffer` (`express.raw()` ran first);
 * 3. the request stream itself, read here.
 *
 * Anything else — `express.json()`, `express.text()` or `express.urlencoded()` consumed the
 * stream — is a configuration error (500 `body_already_parsed`), never a silent pass.
 *
 * Reading the stream: a `Content-Length` above the limit is refused before a byte is read;
 * a body that turns out longer is refused as soon as it passes the limit, and the rest is
 * discarded rather than buffered; a compressed body is refused (the signature is over the
 * bytes the sender signed, which we would have to inflate first — no provider we support
 * compresses); a connection closed mid-body settles with `request_aborted`. Every listener
 * added here is removed on every path.
 */
import type { IncomingMessage } from 'node:http';
import { WebhookError } from './errors.js';

/**
 * Bytes captured by {@link captureRawBody}. A WeakMap rather than a `req.rawBody` property:
 * nothing else can put bytes there, and they go when the request does.
 */
const capturedBodies = new WeakMap<object, Buffer>();

/**
 * A `verify` hook for Express's body parsers that keeps the exact bytes, so a webhook
 * middleware mounted after a global `express.json()` can still verify the signature.
 *
 * Without it, a webhook route behind `express.json()` answers 500 `body_already_parsed`.
 * Mounting webhook routes before the parser is simpler when you can.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { captureRawBody, telnyxWebhook } from 'resource-guard/webhooks';
 *
 * app.use(express.json({ verify: captureRawBody }));
 * app.post('/webhooks/telnyx', telnyxWebhook({ publicKey }), handler);
 * ```
 */
export function captureRawBody(req: IncomingMessage, _res: unknown, buf: Buffer): void {
  capturedBodies.set(req, buf);
}

/** A request as body parsers leave it. `_body` is body-parser's "I consumed this" flag. */
type ParsedRequest = IncomingMessage & { body?: unknown; _body?: unknown };

/**
 * Decides, synchronously, where the raw body will come from, and returns a function that
 * produces it. Throws `body_already_parsed` at once, so a misconfigured route says so
 * before any header check could hide it.
 */
export function prepareRawBody(req: IncomingMessage, limit: number): () => Promise<Buffer> {
  const parsed = req as ParsedRequest;
  const available = capturedBodies.get(req) ?? (Buffer.isBuffer(parsed.body) ? parsed.body : undefined);
  if (available !== undefined) {
    return async () => {
      if (available.length > limit) throw tooLarge(limit);
      return available;
    };
  }
  if (parsed._body === true || req.readableEnded) {
    throw new WebhookError(
      'body_already_parsed',
      'the request body was consumed by a body parser before the webhook middleware, so the ' +
        'signed bytes are gone: mount the webhook route before express.json(), or use ' +
        "express.raw({ type: 'application/json' }) on it",
    );
  }
  return () => readRawBody(req, limit);
}

/**
 * Reads the request stream into one `Buffer` of at most `limit` bytes.
 *
 * @throws {WebhookError} `payload_too_large`, `unsupported_encoding` or `request_aborted`.
 */
export function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    return Promise.reject(
      new WebhookError('unsupported_encoding', `content-encoding "${encoding}" is not supported`),
    );
  }
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  if (req.destroyed) return Promise.reject(aborted());

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;

    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        // Keep the stream flowing with no listener: the rest is discarded, never buffered,
        // and the connection can still carry the 413.
        settle(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => settle(undefined, Buffer.concat(chunks, received));
    const onError = (err: Error) => settle(aborted(err));
    const onClose = () => settle(aborted());

    function settle(err: WebhookError | undefined, body?: Buffer) {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      chunks.length = 0;
      if (err === undefined && body !== undefined) resolve(body);
      else reject(err);
    }

    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    // 'close' also follows a normal 'end', but by then we have settled and removed it.
    req.on('close', onClose);
  });
}

function tooLarge(limit: number): WebhookError {
  return new WebhookError('payload_too_large', `request body is larger than ${limit} bytes`);
}

function aborted(cause?: unknown): WebhookError {
  return new WebhookError('request_aborted', 'the request was aborted before its body ended', {
    cause,
  });
}
