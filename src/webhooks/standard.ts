/**
 * Standard Webhooks: `webhook-id`, `webhook-timestamp` and `webhook-signature`, signed over
 * `${id}.${timestamp}.${raw body}` with HMAC-SHA256 (`v1,`) or Ed25519 (`v1a,`).
 *
 * Checks, in the order of the reference `verify()`: the three headers present (400),
 * timestamp is Unix seconds (400) and inside the tolerance window both ways (401), then
 * every signature in the space-separated list is tried against every configured key and
 * any match passes (key rotation, 401 when none does). HMACs are compared in constant time;
 * unknown versions (`v2,`) are skipped, as the specification asks. Then the shared steps:
 * JSON (400), replay (409).
 *
 * Not checked: the event `type`, or anything in the payload.
 *
 * @see [Standard Webhooks - Signature scheme](https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme)
 */
import { createHmac, timingSafeEqual, verify as verifyEd25519, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { decodeBase64 } from './base64.js';
import { checkTimestamp, parseTimestamp, requireHeader } from './delivery-headers.js';
import { WebhookError } from './errors.js';
import { parseEd25519PublicKeys, parseHmacSecrets, type Ed25519PublicKeyInput } from './keys.js';
import { createWebhookMiddleware, type VerifiedDelivery } from './middleware.js';
import { normalizeWebhookOptions, requireOptions, WEBHOOK_OPTIONS, type WebhookOptions } from './options.js';
import { checkOptionNames, optionNames } from '../errors/unknown-option.js';
import type { WebhookMiddleware } from './types.js';
import { checkedFactory, type CallWithParentheses } from '../errors/misuse.js';

const ID_HEADER = 'webhook-id';
const TIMESTAMP_HEADER = 'webhook-timestamp';
const SIGNATURE_HEADER = 'webhook-signature';
const HMAC_BYTES = 32;
const ED25519_BYTES = 64;
/** Rotation needs two or three; more is an attempt to make us verify in a loop. */
const MAX_SIGNATURES = 16;

/**
 * Options of {@link standardWebhook}: `secret`, `publicKey`, or both.
 *
 * @example
 * ```ts
 * const options: StandardWebhookOptions = { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };
 * const asymmetric: StandardWebhookOptions = { publicKey: process.env.ACME_WHPK };
 * ```
 */
export interface StandardWebhookOptions extends WebhookOptions {
  /**
   * The endpoint's symmetric secret, `whsec_` followed by base64 (at least 16 bytes), for
   * `v1,` signatures. An array accepts any of them, for rotation.
   */
  secret?: string | readonly string[] | undefined;
  /**
   * The sender's Ed25519 public key for `v1a,` signatures: `whpk_` + base64, bare base64 of
   * the 32 raw bytes, PEM, or a `KeyObject`. An array accepts any of them.
   */
  publicKey?: Ed25519PublicKeyInput | readonly Ed25519PublicKeyInput[] | undefined;
}

const STANDARD_OPTIONS = [
  ...WEBHOOK_OPTIONS,
  ...optionNames<Omit<StandardWebhookOptions, keyof WebhookOptions>>({ secret: true, publicKey: true }),
];

/** Keys resolved at construction. */
interface StandardKeys {
  readonly secrets: readonly Buffer[];
  readonly publicKeys: readonly KeyObject[];
}

/** One `version,base64` entry of `webhook-signature` this verifier can check. */
type Candidate = { readonly version: 'v1' | 'v1a'; readonly bytes: Buffer };

/**
 * Verifies Standard Webhooks deliveries, then sets `req.body` to the parsed payload and
 * `req.webhook` to `{ id, timestamp, scheme: 'standard', duplicate }` (`id` is `webhook-id`).
 *
 * Reads the raw body itself: mount the route before `express.json()`, or use
 * `express.raw({ type: 'application/json' })` on it, or `express.json({ verify: captureRawBody })`.
 * Failures are {@link WebhookError}s passed to `next(err)`: 400 missing or malformed
 * header, 401 no valid signature or timestamp outside `tolerance`, 409 replay, 413 body
 * over `limit`, 500 body already parsed, 503 replay store unavailable.
 *
 * Defaults: `tolerance` 300 s, `limit` 1 MiB, an in-memory replay store, `onReplay` and
 * `onStoreError` `'deny'`, `timeout` 5 s.
 *
 * @throws {TypeError} at once when neither `secret` nor `publicKey` is given, or a key or
 * option is invalid (a `whsk_` signing key, a secret that is not base64, ...).
 *
 * @example
 * ```ts
 * import { standardWebhook } from 'resource-guard/webhooks';
 *
 * app.post(
 *   '/webhooks/acme',
 *   standardWebhook({ secret: [process.env.ACME_SECRET!, process.env.ACME_PREVIOUS_SECRET!] }),
 *   (req, res) => {
 *     console.log(req.webhook!.id, req.body.type);
 *     res.sendStatus(204);
 *   },
 * );
 * ```
 */
export const standardWebhook: (options: StandardWebhookOptions, ...notAMiddleware: CallWithParentheses[]) => WebhookMiddleware =
  checkedFactory('standardWebhook', 'standardWebhook({ secret })', createStandardWebhook);

function createStandardWebhook(options: StandardWebhookOptions): WebhookMiddleware {
  requireOptions(options, 'standardWebhook');
  checkOptionNames(options, STANDARD_OPTIONS, 'standardWebhook()');
  if (options.secret === undefined && options.publicKey === undefined) {
    throw new TypeError('"secret" or "publicKey" is required');
  }
  const keys: StandardKeys = {
    secrets: options.secret === undefined ? [] : parseHmacSecrets(options.secret, 'secret'),
    publicKeys: options.publicKey === undefined ? [] : parseEd25519PublicKeys(options.publicKey, 'publicKey', true),
  };
  const config = normalizeWebhookOptions(options);

  return createWebhookMiddleware(config, {
    scheme: 'standard',
    verify: (headers, readBody, now) => verifyStandardDelivery(headers, readBody, now, keys, config.tolerance),
  });
}

async function verifyStandardDelivery(
  headers: IncomingHttpHeaders,
  readBody: () => Promise<Buffer>,
  now: number,
  keys: StandardKeys,
  tolerance: number,
): Promise<VerifiedDelivery> {
  const id = requireHeader(headers, ID_HEADER);
  const timestampText = requireHeader(headers, TIMESTAMP_HEADER);
  const signatureText = requireHeader(headers, SIGNATURE_HEADER);
  const timestamp = parseTimestamp(timestampText, TIMESTAMP_HEADER);
  checkTimestamp(timestamp, tolerance, now);

  const candidates = parseSignatures(signatureText, keys);
  if (candidates.length === 0) {
    throw new WebhookError('invalid_signature', `no ${acceptedVersions(keys)} signature in ${SIGNATURE_HEADER}`);
  }
  const body = await readBody();
  // Node decodes header bytes as latin1; encoding back the same way restores the bytes sent.
  const message = Buffer.concat([Buffer.from(`${id}.${timestampText}.`, 'latin1'), body]);
  if (!matchesAny(candidates, message, keys)) {
    throw new WebhookError('invalid_signature', 'no signature matches');
  }
  return { id, timestamp, body };
}

/**
 * The entries of `webhook-signature` worth checking: a version we have keys for, and a
 * value that is canonical base64 of the right length. Everything else is skipped.
 */
function parseSignatures(header: string, keys: StandardKeys): Candidate[] {
  const entries = header.split(' ').filter((entry) => entry !== '');
  if (entries.length > MAX_SIGNATURES) {
    throw new WebhookError('invalid_header', `${SIGNATURE_HEADER} lists more than ${MAX_SIGNATURES} signatures`);
  }
  const candidates: Candidate[] = [];
  for (const entry of entries) {
    const comma = entry.indexOf(',');
    if (comma < 0) continue;
    const version = entry.slice(0, comma);
    const value = entry.slice(comma + 1);
    if (version === 'v1' && keys.secrets.length > 0) {
      const bytes = decodeBase64(value, HMAC_BYTES);
      if (bytes !== undefined) candidates.push({ version, bytes });
    } else if (version === 'v1a' && keys.publicKeys.length > 0) {
      const bytes = decodeBase64(value, ED25519_BYTES);
      if (bytes !== undefined) candidates.push({ version, bytes });
    }
  }
  return candidates;
}

function matchesAny(candidates: readonly Candidate[], message: Buffer, keys: StandardKeys): boolean {
  // Each secret's HMAC is computed once, however many v1 signatures there are.
  let macs: Buffer[] | undefined;
  for (const candidate of candidates) {
    if (candidate.version === 'v1') {
      macs ??= keys.secrets.map((secret) => createHmac('sha256', secret).update(message).digest());
      if (macs.some((mac) => timingSafeEqual(mac, candidate.bytes))) return true;
    } else if (keys.publicKeys.some((key) => verifyEd25519(null, message, key, candidate.bytes))) {
      return true;
    }
  }
  return false;
}

function acceptedVersions(keys: StandardKeys): string {
  const versions = [keys.secrets.length > 0 ? 'v1' : '', keys.publicKeys.length > 0 ? 'v1a' : ''];
  return versions.filter(Boolean).join(' or ');
}
