/**
 * DEV ONLY. What `npm run demo` needs to drive the embedded example from another process:
 * the embedded server's client credentials, and signing material for the webhook routes.
 *
 * In embedded mode there is no real Telnyx account, so the example generates an Ed25519 key
 * pair at start, verifies `/webhooks/telnyx` with its public half, and hands the private half
 * to the demo at `GET /dev/demo-kit`, so the demo can sign deliveries as Telnyx would. The same
 * goes for a random Standard Webhooks secret. These keys live in memory only and die with the
 * process. The route exists in embedded mode only and only on 127.0.0.1: serving a signing key
 * over HTTP would be a hole in anything real. Where the user configured a real key
 * (`TELNYX_PUBLIC_KEY`, `STANDARD_WEBHOOK_SECRET`), nothing is generated or served for it.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

export const DEV_KIT_PATH = '/dev/demo-kit';

/** The JSON served at {@link DEV_KIT_PATH}. */
export interface DevKit {
  issuer: string;
  tokenEndpoint: string;
  /** `aud` of JWT access tokens (the default resource). */
  apiResource: string;
  /** Resource indicator for which the server issues opaque tokens (decided by introspection). */
  opaqueResource: string;
  /** Confidential `client_credentials` client (client_secret_basic). */
  confidentialClient: { id: string; secret: string };
  /** Public `authorization_code` + PKCE client. */
  publicClient: { id: string; redirectUri: string };
  /** PKCS#8 PEM of the dev Telnyx signing key; absent when `TELNYX_PUBLIC_KEY` is set. */
  telnyxSigningKey?: string;
  /** The dev `whsec_` secret; absent when `STANDARD_WEBHOOK_SECRET` is set. */
  standardWebhookSecret?: string;
}

/** Dev webhook keys: the app verifies with `telnyxPublicKey` and `standardWebhookSecret`. */
export interface DevWebhookKeys {
  telnyxPublicKey: KeyObject;
  telnyxSigningKey: string;
  standardWebhookSecret: string;
}

export function generateDevWebhookKeys(): DevWebhookKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    telnyxPublicKey: publicKey,
    telnyxSigningKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    standardWebhookSecret: `whsec_${randomBytes(32).toString('base64')}`,
  };
}
