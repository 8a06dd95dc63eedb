/**
 * The shapes a webhook middleware hands to the app: `req.webhook`, and the middleware
 * signature itself, typed with Node's own request and response so the package's typings do
 * not depend on `@types/express` (the middlewares work with Express 4 and 5 alike).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Which verifier accepted the delivery.
 *
 * @example
 * ```ts
 * if (req.webhook?.scheme === 'telnyx') console.log(req.body.data.event_type);
 * ```
 */
export type WebhookScheme = 'telnyx' | 'standard';

/**
 * What the middleware knows about an accepted delivery, at `req.webhook`.
 *
 * @example
 * ```ts
 * app.post('/webhooks/acme', standardWebhook({ secret }), async (req, res) => {
 *   const { id, duplicate } = req.webhook!;
 *   if (duplicate || (await alreadyProcessed(id))) return res.sendStatus(204);
 *   await process(req.body);
 *   res.sendStatus(204);
 * });
 * ```
 */
export interface WebhookDelivery {
  /**
   * The provider's delivery id, the same for every retry of one event: Standard Webhooks'
   * `webhook-id`, Telnyx's `data.id`. Use it to de-duplicate retries; the middleware only
   * refuses the *same signed delivery* twice. Absent when a Telnyx payload has no `data.id`
   * (or `parseJson` is off).
   */
  id?: string;
  /** The signed timestamp, in Unix seconds. */
  timestamp: number;
  /** Which verifier accepted it. */
  scheme: WebhookScheme;
  /**
   * `true` when this exact signed delivery was accepted before and `onReplay` is `'allow'`;
   * always `false` otherwise (a replay is refused with 409 before the handler runs).
   */
  duplicate: boolean;
}

/**
 * A middleware that verifies a delivery and calls `next()` or `next(err)`. Typed with Node's
 * request and response, so it fits Express 4 and 5 route handlers alike.
 *
 * @example
 * ```ts
 * const verifyAcme: WebhookMiddleware = standardWebhook({ secret });
 * router.post('/acme', verifyAcme, handler);
 * ```
 */
export type WebhookMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by `telnyxWebhook()` / `standardWebhook()` once a delivery is verified. */
      webhook?: WebhookDelivery;
    }
  }
}
