/**
 * The Express glue shared by both schemes: where the bytes come from, what happens after a
 * scheme's verifier accepted them (parse, replay check), and what lands on `req`.
 *
 * A scheme only says how to verify (`telnyx.ts`, `standard.ts`); this file never looks at a
 * signature. Errors go to `next(err)` as `WebhookError`s.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { nowSeconds } from './delivery-headers.js';
import type { WebhookConfig } from './options.js';
import { parseJsonBody } from './payload.js';
import { prepareRawBody } from './raw-body.js';
import { createReplayGuard, replayKey, replayTtlMs } from './replay.js';
import type { WebhookDelivery, WebhookMiddleware, WebhookScheme } from './types.js';
import { CHANNELS, publish, secondsSince } from '../events/channels.js';
import { WebhookError } from './errors.js';

/** `resource-guard:webhook:verified`: the delivery id and timing, never the body, signature or secret. */
function publishVerified(scheme: WebhookScheme, delivery: WebhookDelivery | undefined, start: number): void {
  publish(CHANNELS.webhookVerified, () => ({
    scheme,
    id: delivery?.id,
    duplicate: delivery?.duplicate ?? false,
    duration: secondsSince(start),
  }));
}

/** `resource-guard:webhook:rejected`: the stable code and the description (which never holds a secret). */
function publishRejected(scheme: WebhookScheme, err: unknown, start: number): void {
  publish(CHANNELS.webhookRejected, () => ({
    scheme,
    status: err instanceof WebhookError ? err.status : 500,
    code: err instanceof WebhookError ? err.code : 'error',
    description: err instanceof WebhookError ? err.description : 'internal error',
    duration: secondsSince(start),
  }));
}

/** What a scheme's verifier returns once a signature verified. */
export interface VerifiedDelivery {
  readonly timestamp: number;
  /** The delivery id when the scheme carries it in a header. */
  readonly id?: string | undefined;
  /** The exact bytes that were verified. */
  readonly body: Buffer;
}

/** How one scheme verifies a delivery, framework-free. */
export interface SchemeVerifier {
  readonly scheme: WebhookScheme;
  /**
   * Checks headers, then reads the body with `readBody()`, then verifies the signature.
   * `now` is in Unix seconds.
   */
  verify(headers: IncomingHttpHeaders, readBody: () => Promise<Buffer>, now: number): Promise<VerifiedDelivery>;
  /** The delivery id found in the parsed payload, for schemes that carry it there. */
  deliveryId?(payload: unknown): string | undefined;
}

type WebhookRequest = IncomingMessage & { body?: unknown; webhook?: WebhookDelivery };

/** Builds the middleware for one scheme and one resolved configuration. */
export function createWebhookMiddleware(config: WebhookConfig, verifier: SchemeVerifier): WebhookMiddleware {
  const checkReplay = createReplayGuard({ ...config, scheme: verifier.scheme === 'telnyx' ? 'Telnyx' : 'Standard Webhooks' });

  async function accept(req: WebhookRequest): Promise<void> {
    const readBody = prepareRawBody(req, config.limit);
    const now = nowSeconds();
    const delivery = await verifier.verify(req.headers, readBody, now);
    const payload = config.parseJson ? parseJsonBody(delivery.body) : delivery.body;
    const id = delivery.id ?? verifier.deliveryId?.(payload);

    // The last step that can refuse. Once marked, the delivery is the handler's: nothing
    // forgets the mark, not a client hanging up nor a 5xx answer, or every replay of a captured
    // delivery would run the handler's side effects again (issue 17, finding 13).
    const mark = await checkReplay(
      replayKey(verifier.scheme, delivery.timestamp, id, delivery.body),
      replayTtlMs(delivery.timestamp, config.tolerance, nowSeconds()),
    );

    req.body = payload;
    req.webhook = {
      ...(id === undefined ? {} : { id }),
      timestamp: delivery.timestamp,
      scheme: verifier.scheme,
      duplicate: mark.duplicate,
    };
  }

  return function webhookMiddleware(req, _res, next) {
    const start = performance.now();
    accept(req).then(
      () => {
        publishVerified(verifier.scheme, (req as WebhookRequest).webhook, start);
        next();
      },
      (err: unknown) => {
        publishRejected(verifier.scheme, err, start);
        next(err);
      },
    );
  };
}
