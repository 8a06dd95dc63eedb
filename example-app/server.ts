/**
 * Starts the example: the API on 127.0.0.1 and, in embedded mode, the authorization server
 * it trusts. `main.ts`, the demo (when nothing is running) and the tests all start it here.
 *
 * Order matters in embedded mode: the API's listening port decides its resource identifier
 * (`http://127.0.0.1:<port>`), which the authorization server must know to put it in `aud`;
 * the guard in turn needs the authorization server's issuer. So: bind the API's port, start
 * the authorization server, then hand the API's requests to the app.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GuardOptions } from 'resource-guard';
import type { Ed25519PublicKeyInput } from 'resource-guard/webhooks';
import { createApp } from './app.js';
import { startAuthorizationServer, type AuthorizationServer } from './authorization-server.js';
import type { ExampleConfig } from './config.js';
import { generateDevWebhookKeys, type DevKit } from './dev-kit.js';

export const HOST = '127.0.0.1';

/** Where the key of a webhook route comes from. */
export type WebhookKeySource = 'dev' | 'configured' | 'off';

export interface RunningExample {
  mode: 'embedded' | 'external';
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  apiUrl: string;
  /** The API's RFC 9728 document. */
  metadataUrl: string;
  /** The guard's options, as built (contain secrets when introspection is configured: never print them). */
  guard: GuardOptions;
  /** Embedded mode only. */
  authorizationServer: AuthorizationServer | undefined;
  /** Embedded mode only: what `GET /dev/demo-kit` serves. */
  devKit: DevKit | undefined;
  webhooks: { telnyx: WebhookKeySource; standard: WebhookKeySource };
  /** Stops both servers, open connections included. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Request log lines; none by default. */
  log?: (line: string) => void;
}

/** Access tokens of the embedded server live 15 minutes: long enough to copy-paste curl commands. */
const EMBEDDED_TOKEN_TTL = 900;

export async function startExample(config: ExampleConfig, options: StartOptions = {}): Promise<RunningExample> {
  // Until the app is ready, anything that arrives early gets a clear "not yet".
  const server = createServer((_req, res) => res.writeHead(503, { 'retry-after': '1' }).end());
  server.keepAliveTimeout = 1_000;
  await listen(server, config.port);
  const apiUrl = `http://${HOST}:${(server.address() as AddressInfo).port}`;

  let authorizationServer: AuthorizationServer | undefined;
  try {
    const as = config.authorizationServer;
    let guard: GuardOptions;
    let devKit: DevKit | undefined;
    let telnyxPublicKey: Ed25519PublicKeyInput | undefined = config.telnyxPublicKey;
    let standardWebhookSecret = config.standardWebhookSecret;

    if (as.mode === 'embedded') {
      authorizationServer = await startAuthorizationServer({
        port: as.port,
        host: HOST,
        apiResource: apiUrl,
        // A second resource of the same API whose tokens are opaque: only introspection decides them.
        opaqueResource: `${apiUrl}/opaque`,
        accessTokenTTL: EMBEDDED_TOKEN_TTL,
      });
      const a = authorizationServer;
      guard = {
        issuer: a.issuer,
        audience: [a.apiResource, a.opaqueResource],
        resource: a.apiResource,
        resourceName: 'resource-guard example API',
        // The endpoint comes from discovery; the guard authenticates as the resource-server client.
        introspection: { clientId: a.clients.resourceServer.id, clientSecret: a.clients.resourceServer.secret },
      };
      const dev = generateDevWebhookKeys();
      devKit = {
        issuer: a.issuer,
        tokenEndpoint: a.endpoints.token,
        apiResource: a.apiResource,
        opaqueResource: a.opaqueResource,
        confidentialClient: { id: a.clients.api.id, secret: a.clients.api.secret },
        publicClient: { id: a.clients.spa.id, redirectUri: a.clients.spa.redirectUri },
      };
      if (telnyxPublicKey === undefined) {
        telnyxPublicKey = dev.telnyxPublicKey;
        devKit.telnyxSigningKey = dev.telnyxSigningKey;
      }
      if (standardWebhookSecret === undefined) {
        standardWebhookSecret = dev.standardWebhookSecret;
        devKit.standardWebhookSecret = dev.standardWebhookSecret;
      }
    } else {
      guard = as.guard;
    }

    const app = createApp({ guard, telnyxPublicKey, standardWebhookSecret, devKit, log: options.log });
    server.removeAllListeners('request');
    server.on('request', app);

    const source = (configured: unknown, used: unknown): WebhookKeySource =>
      configured !== undefined ? 'configured' : used !== undefined ? 'dev' : 'off';
    const started = authorizationServer;
    return {
      mode: as.mode,
      apiUrl,
      metadataUrl: `${apiUrl}/.well-known/oauth-protected-resource`,
      guard,
      authorizationServer: started,
      devKit,
      webhooks: {
        telnyx: source(config.telnyxPublicKey, telnyxPublicKey),
        standard: source(config.standardWebhookSecret, standardWebhookSecret),
      },
      close: async () => {
        await Promise.all([closeServer(server), started?.close()]);
      },
    };
  } catch (err) {
    await Promise.all([closeServer(server), authorizationServer?.close()]);
    throw err;
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
