/**
 * Signing deliveries the way the providers do, with real keys, for the webhook tests.
 * Independent of src/: nothing here imports the code under test.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface Ed25519Pair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Base64 of the raw 32-byte key, as the Telnyx portal shows it. */
  publicKeyBase64: string;
  publicKeyPem: string;
}

export function ed25519Pair(): Ed25519Pair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    privateKey,
    publicKey,
    publicKeyBase64: Buffer.from(String(jwk.x), 'base64url').toString('base64'),
    publicKeyPem: String(publicKey.export({ format: 'pem', type: 'spki' })),
  };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Telnyx: Ed25519 over `${timestamp}|${body}`, base64, in two headers. */
export function telnyxHeaders(
  privateKey: KeyObject,
  body: string | Buffer,
  timestamp: number | string = nowSeconds(),
): Record<string, string> {
  const message = Buffer.concat([Buffer.from(`${timestamp}|`), Buffer.from(body)]);
  return {
    'content-type': 'application/json',
    'telnyx-timestamp': String(timestamp),
    'telnyx-signature-ed25519': sign(null, message, privateKey).toString('base64'),
  };
}

/** A Telnyx-shaped event (API v2), serialised compactly as Telnyx sends it. */
export function telnyxEvent(id = `evt-${Math.random().toString(36).slice(2)}`): string {
  return JSON.stringify({
    data: {
      event_type: 'message.received',
      id,
      occurred_at: new Date().toISOString(),
      payload: { text: 'hello', to: [{ phone_number: '+13125550001' }] },
      record_type: 'event',
    },
    meta: { attempt: 1, delivered_to: 'https://example.com/webhooks' },
  });
}

/** Standard Webhooks `v1,`: HMAC-SHA256 with the base64-decoded `whsec_` secret. */
export function signV1(secret: string, id: string, timestamp: number | string, body: string | Buffer): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(Buffer.from(body)).digest('base64');
  return `v1,${mac}`;
}

/** Standard Webhooks `v1a,`: Ed25519 over the same content. */
export function signV1a(privateKey: KeyObject, id: string, timestamp: number | string, body: string | Buffer): string {
  const message = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), Buffer.from(body)]);
  return `v1a,${sign(null, message, privateKey).toString('base64')}`;
}

export function standardHeaders(
  id: string,
  timestamp: number | string,
  signature: string,
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  };
}

/** Flips one bit of the byte at `index` of a base64 value, keeping it valid base64 of the same length. */
export function flipBase64Byte(value: string, index = 0): string {
  const bytes = Buffer.from(value, 'base64');
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}
