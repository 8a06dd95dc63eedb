/**
 * Signing webhook deliveries the way the senders do, for the demo: Telnyx (Ed25519 over
 * `${timestamp}|${body}`) and Standard Webhooks (`v1,` HMAC-SHA256 over `${id}.${timestamp}.${body}`).
 * Written from the providers' documentation, independently of the package's verifiers.
 *
 * @see [Telnyx - webhook signing](https://developers.telnyx.com/docs/development/sdk/node/webhooks)
 * @see [Standard Webhooks - signature scheme](https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#signature-scheme)
 */
import { createHmac, createPrivateKey, randomUUID, sign } from 'node:crypto';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A Telnyx API v2 event, serialised compactly as Telnyx sends it. */
export function telnyxEvent(eventType = 'message.received'): string {
  return JSON.stringify({
    data: {
      event_type: eventType,
      id: randomUUID(),
      occurred_at: new Date().toISOString(),
      payload: { text: 'Hello from the demo', to: [{ phone_number: '+13125550001' }] },
      record_type: 'event',
    },
    meta: { attempt: 1, delivered_to: 'http://127.0.0.1/webhooks/telnyx' },
  });
}

/** Headers of a Telnyx delivery of `body`, signed with a PKCS#8 PEM Ed25519 key. */
export function telnyxHeaders(signingKeyPem: string, body: string, timestamp = nowSeconds()): Record<string, string> {
  const message = Buffer.from(`${timestamp}|${body}`);
  return {
    'content-type': 'application/json',
    'telnyx-timestamp': String(timestamp),
    'telnyx-signature-ed25519': sign(null, message, createPrivateKey(signingKeyPem)).toString('base64'),
  };
}

/** Headers of a Standard Webhooks delivery of `body`, signed with a `whsec_` secret. */
export function standardHeaders(secret: string, body: string, id = `msg_${randomUUID()}`, timestamp = nowSeconds()): Record<string, string> {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${mac}`,
  };
}
