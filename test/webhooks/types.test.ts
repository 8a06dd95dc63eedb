/**
 * Type-level pins for the public webhook API: `req.webhook`, the middleware's fit in
 * Express 4 and 5 routes, and the option types the docs use. Checked by `tsc -p tsconfig.json`.
 */
import type { RequestHandler as Express5Handler } from 'express';
import type { RequestHandler as Express4Handler } from 'express4';
import { describe, expectTypeOf, it } from 'vitest';
import {
  standardWebhook,
  telnyxWebhook,
  WebhookError,
  type StandardWebhookOptions,
  type TelnyxWebhookOptions,
  type WebhookDelivery,
  type WebhookErrorCode,
  type WebhookMiddleware,
} from '../../src/webhooks/index.js';

describe('webhook types', () => {
  it('types req.webhook on Express requests', () => {
    const handler: Express5Handler = (req, res) => {
      expectTypeOf(req.webhook).toEqualTypeOf<WebhookDelivery | undefined>();
      res.end();
    };
    expectTypeOf(handler).toBeFunction();
    expectTypeOf<WebhookDelivery>().toEqualTypeOf<{
      id?: string;
      timestamp: number;
      scheme: 'telnyx' | 'standard';
      duplicate: boolean;
    }>();
  });

  it('fits Express 4 and Express 5 route handlers', () => {
    expectTypeOf<WebhookMiddleware>().toExtend<Express5Handler>();
    expectTypeOf<WebhookMiddleware>().toExtend<Express4Handler>();
  });

  it('accepts process.env values as DESIGN.md shows, and arrays for rotation', () => {
    expectTypeOf<{ publicKey: string | undefined }>().toExtend<TelnyxWebhookOptions>();
    expectTypeOf<{ secret: string[] }>().toExtend<StandardWebhookOptions>();
    expectTypeOf(telnyxWebhook).returns.toEqualTypeOf<WebhookMiddleware>();
    expectTypeOf(standardWebhook).returns.toEqualTypeOf<WebhookMiddleware>();
  });

  it('gives WebhookError a closed code union', () => {
    expectTypeOf<WebhookError['code']>().toEqualTypeOf<WebhookErrorCode>();
    expectTypeOf<'replayed'>().toExtend<WebhookErrorCode>();
    expectTypeOf<'invalid_token'>().not.toExtend<WebhookErrorCode>();
  });
});
