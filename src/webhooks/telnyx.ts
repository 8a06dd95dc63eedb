/**
 * Telnyx webhooks (API v2): an Ed25519 signature over `${telnyx-timestamp}|${raw body}`.
 *
 * Checks, in order: both headers present (400), timestamp is Unix seconds (400) and inside
 * the tolerance window both ways (401), signature is 64 bytes of base64 and verifies with
 * one of the configured public keys (401). Then the shared steps: JSON (400), replay (409).
 *
 * Not checked: the event type, the account or connection the event belongs to, or the
 * source IP. A retry from Telnyx is a new signed delivery and passes; de-duplicate by
 * `req.webhook.id` (the event's `data.id`).
 *
 * @see [Telnyx - Node SDK webhooks](https://developers.telnyx.com/docs/development/sdk/node/webhooks)
 */
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { decodeBase64 } from './base64.js';
import { checkTimestamp, parseTimestamp, requireHeader } from './delivery-headers.js';
import { WebhookError } from './errors.js';
import { parseEd25519PublicKeys, type Ed25519PublicKeyInput } from './keys.js';
import { createWebhookMiddleware, type VerifiedDelivery } from './middleware.js';
import { normalizeWebhookOptions, requireOptions, WEBHOOK_OPTIONS, type WebhookOptions } from './options.js';
import { checkOptionNames, optionNames } from '../errors/unknown-option.js';
import type { WebhookMiddleware } from './types.js';
import { checkedFactory, type CallWithParentheses } from '../errors/misuse.js';

const SIGNATURE_HEADER = 'telnyx-signature-ed25519';
const TIMESTAMP_HEADER = 'telnyx-timestamp';
const SIGNATURE_BYTES = 64;

/**
 * Options of {@link telnyxWebhook}.
 *
 * @example
 * ```ts
 * const options: TelnyxWebhookOptions = { publicKey: [currentKey, previousKey], tolerance: 300 };
 * ```
 */
export interface TelnyxWebhookOptions extends WebhookOptions {
  /**
   * Your account's public key, as Mission Control shows it (base64 of the raw 32-byte
   * Ed25519 key), PEM, or a `KeyObject`. An array accepts deliveries signed by any of them,
   * for rotation. Required (typed to accept `process.env.X`; `undefined` throws).
   */
  publicKey: Ed25519PublicKeyInput | readonly Ed25519PublicKeyInput[] | undefined;
}

const TELNYX_OPTIONS = [...WEBHOOK_OPTIONS, ...optionNames<Omit<TelnyxWebhookOptions, keyof WebhookOptions>>({ publicKey: true })];

/**
 * Verifies Telnyx webhook deliveries, then sets `req.body` to the parsed event and
 * `req.webhook` to `{ id, timestamp, scheme: 'telnyx', duplicate }`.
 *
 * Reads the raw body itself: mount the route before `express.json()`, or use
 * `express.raw({ type: 'application/json' })` on it, or `express.json({ verify: captureRawBody })`.
 * Failures are {@link WebhookError}s passed to `next(err)`: 400 missing or malformed
 * header, 401 bad signature or timestamp outside `tolerance`, 409 replay, 413 body over
 * `limit`, 500 body already parsed, 503 replay store unavailable.
 *
 * Defaults: `tolerance` 300 s, `limit` 1 MiB, an in-memory replay store, `onReplay` and
 * `onStoreError` `'deny'`, `timeout` 5 s.
 *
 * @throws {TypeError} at once when `publicKey` or another option is invalid.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { telnyxWebhook } from 'resource-guard/webhooks';
 *
 * const app = express();
 * app.post('/webhooks/telnyx', telnyxWebhook({ publicKey: process.env.TELNYX_PUBLIC_KEY }), (req, res) => {
 *   console.log(req.webhook!.id, req.body.data.event_type);
 *   res.sendStatus(204);
 * });
 * app.use(express.json()); // after the webhook route
 * ```
 */
export const telnyxWebhook: (options: TelnyxWebhookOptions, ...notAMiddleware: CallWithParentheses[]) => WebhookMiddleware =
  checkedFactory('telnyxWebhook', 'telnyxWebhook({ publicKey })', createTelnyxWebhook);

function createTelnyxWebhook(options: TelnyxWebhookOptions): WebhookMiddleware {
  requireOptions(options, 'telnyxWebhook');
  checkOptionNames(options, TELNYX_OPTIONS, 'telnyxWebhook()');
  if (options.publicKey === undefined) throw new TypeError('"publicKey" is required');
  const keys = parseEd25519PublicKeys(options.publicKey, 'publicKey');
  const config = normalizeWebhookOptions(options);

  return createWebhookMiddleware(config, {
    scheme: 'telnyx',
    verify: (headers, readBody, now) => verifyTelnyxDelivery(headers, readBody, now, keys, config.tolerance),
    deliveryId: telnyxEventId,
  });
}

async function verifyTelnyxDelivery(
  headers: IncomingHttpHeaders,
  readBody: () => Promise<Buffer>,
  now: number,
  keys: readonly KeyObject[],
  tolerance: number,
): Promise<VerifiedDelivery> {
  const signatureText = requireHeader(headers, SIGNATURE_HEADER);
  const timestampText = requireHeader(headers, TIMESTAMP_HEADER);
  const timestamp = parseTimestamp(timestampText, TIMESTAMP_HEADER);
  checkTimestamp(timestamp, tolerance, now);

  const signature = decodeBase64(signatureText, SIGNATURE_BYTES);
  if (signature === undefined) {
    throw new WebhookError('invalid_signature', `${SIGNATURE_HEADER} is not a base64 Ed25519 signature`);
  }
  const body = await readBody();
  // The header text itself, not the parsed number: the exact bytes Telnyx signed.
  const message = Buffer.concat([Buffer.from(`${timestampText}|`), body]);
  if (!keys.some((key) => verifySignature(null, message, key, signature))) {
    throw new WebhookError('invalid_signature', 'signature does not match');
  }
  return { timestamp, body };
}

/** `data.id` of a Telnyx event, the id every retry of it shares. */
function telnyxEventId(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const data: unknown = (payload as { data?: unknown }).data;
  if (typeof data !== 'object' || data === null) return undefined;
  const id: unknown = (data as { id?: unknown }).id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
