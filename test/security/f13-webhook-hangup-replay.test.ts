/**
 * Finding 13: a client hang-up released a webhook replay mark. Sending a captured signed
 * delivery and closing the socket before the answer, again and again, ran the handler's side
 * effect every time within the tolerance window (and an answer of 5xx did the same). Now the
 * mark stays once the handler has been called; it is released only when the guard itself
 * failed before that (a store that failed or timed out: `test/webhooks/replay.test.ts`).
 */
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standardWebhook, telnyxWebhook } from '../../src/webhooks/index.js';
import { flavours } from '../support/guard-app.js';
import { jsonErrors } from '../support/webhook-app.js';
import { ed25519Pair, nowSeconds, signV1, standardHeaders, telnyxEvent, telnyxHeaders } from '../support/webhook-signing.js';
import { listen, rawRequest, sendAndHangUp, type Listening } from './support.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const telnyx = ed25519Pair();

/** One signed POST: its head lines for `rawRequest`, and its exact bytes for a hang-up. */
function signedPost(path: string, headers: Record<string, string>, body: string): { head: string[]; body: string; bytes: string } {
  const head = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${Buffer.byteLength(body)}`];
  return { head, body, bytes: `${head.join('\r\n')}\r\n\r\n${body}` };
}

function standardDelivery() {
  const id = `msg_${randomBytes(6).toString('hex')}`;
  const ts = nowSeconds();
  const body = JSON.stringify({ type: 'payment.sent', data: { amount: 100 } });
  return signedPost('/standard', standardHeaders(id, ts, signV1(secret, id, ts, body)), body);
}

function telnyxDelivery() {
  const body = telnyxEvent();
  return signedPost('/telnyx', telnyxHeaders(telnyx.privateKey, body), body);
}

describe.each(flavours)('$name', (flavour) => {
  const effects: string[] = [];
  let handlerCalled: () => void = () => {};
  let api: Listening;
  let failNext = false;
  beforeAll(async () => {
    const app: Express = flavour.create();
    // A slow side effect: the client hangs up while it runs, before any answer.
    const handler = (name: string) => (_req: unknown, res: { sendStatus(code: number): void }) => {
      effects.push(name);
      handlerCalled();
      const status = failNext ? 500 : 204;
      failNext = false;
      setTimeout(() => res.sendStatus(status), 50);
    };
    app.post('/standard', standardWebhook({ secret }), handler('standard'));
    app.post('/telnyx', telnyxWebhook({ publicKey: telnyx.publicKeyBase64 }), handler('telnyx'));
    app.use(jsonErrors);
    api = await listen(app);
  });
  afterAll(() => api?.close());

  /** Sends the delivery and hangs up as soon as the handler has started (or after 200 ms when it is not called). */
  const sendAndHangUpInHandler = (bytes: string) => {
    const called = new Promise<void>((resolve) => (handlerCalled = resolve));
    return sendAndHangUp(api.port, bytes, () => Promise.race([called, new Promise<void>((resolve) => setTimeout(resolve, 200))]));
  };

  it.each([
    ['Standard Webhooks', standardDelivery],
    ['Telnyx', telnyxDelivery],
  ])('the attack (%s): send, hang up, repeat: the side effect runs once, later copies are 409', async (_name, make) => {
    effects.length = 0;
    const delivery = make();
    for (let i = 0; i < 3; i++) await sendAndHangUpInHandler(delivery.bytes);
    // Let any late 'close' handling run before the final, answered copy.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answered = await rawRequest(api.port, delivery.head, delivery.body);
    expect(answered.status).toBe(409);
    expect(effects).toHaveLength(1);
  });

  it('an app that answers 5xx does not make the same signed bytes new either', async () => {
    effects.length = 0;
    const delivery = standardDelivery();
    failNext = true;
    expect((await rawRequest(api.port, delivery.head, delivery.body)).status).toBe(500);
    expect((await rawRequest(api.port, delivery.head, delivery.body)).status).toBe(409);
    expect(effects).toEqual(['standard']);
  });

  it('a provider retry (new timestamp and signature) is a new delivery and still passes', async () => {
    effects.length = 0;
    const first = standardDelivery();
    await sendAndHangUpInHandler(first.bytes);
    const retry = standardDelivery();
    expect((await rawRequest(api.port, retry.head, retry.body)).status).toBe(204);
    expect(effects).toEqual(['standard', 'standard']);
  });
});
