/**
 * Folder `webhooks/`: a second entry point. Its one rule: it shares only `store/`, `events/`
 * and `errors/misuse.ts` (the factory-as-middleware check) with the token guard; nothing
 * outside it imports it.
 *
 * `resource-guard/webhooks`: Express middlewares that verify signed webhook deliveries.
 *
 * @example
 * ```ts
 * import { telnyxWebhook, standardWebhook } from 'resource-guard/webhooks';
 *
 * app.post('/webhooks/telnyx', telnyxWebhook({ publicKey: process.env.TELNYX_PUBLIC_KEY }), handler);
 * app.post('/webhooks/acme', standardWebhook({ secret: process.env.ACME_WEBHOOK_SECRET }), handler);
 * ```
 */
export { telnyxWebhook } from './telnyx.js';
export type { TelnyxWebhookOptions } from './telnyx.js';
export { standardWebhook } from './standard.js';
export type { StandardWebhookOptions } from './standard.js';
export { captureRawBody } from './raw-body.js';
export { WebhookError } from './errors.js';
export type { WebhookErrorCode } from './errors.js';
export type { WebhookOptions } from './options.js';
export type { Ed25519PublicKeyInput } from './keys.js';
export type { WebhookDelivery, WebhookMiddleware, WebhookScheme } from './types.js';
export type { Store } from '../store/memory.js';
export type { CallWithParentheses } from '../errors/misuse.js';
