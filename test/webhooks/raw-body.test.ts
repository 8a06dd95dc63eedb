import { request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorRequestHandler, Express } from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { captureRawBody, telnyxWebhook } from '../../src/webhooks/index.js';
import { echo, flavours, jsonErrors, webhookApp } from '../support/webhook-app.js';
import { ed25519Pair, telnyxEvent, telnyxHeaders } from '../support/webhook-signing.js';

const PATH = '/webhooks/telnyx';
const MiB = 1024 * 1024;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(app: Express): Promise<number> {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return (server.address() as AddressInfo).port;
}

/** Sends headers and `chunks`, one per tick; resolves with the response status and JSON body. */
function rawPost(
  port: number,
  headers: Record<string, string | number>,
  chunks: Buffer[],
  end = true,
): Promise<{ status: number; body: { code?: string } }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: PATH, method: 'POST', headers }, (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as { code?: string }) : {} });
      });
    });
    req.on('error', reject);
    const write = (i: number) => {
      if (req.destroyed) return;
      if (i < chunks.length) req.write(chunks[i], () => setImmediate(() => write(i + 1)));
      else if (end) req.end();
    };
    write(0);
  });
}

describe.each(flavours)('raw body on $name', (flavour) => {
  const pair = ed25519Pair();

  it('answers 413 for a body over the default 1 MiB limit, through Express’s own error handler', async () => {
    const body = JSON.stringify({ data: { id: 'big', blob: 'x'.repeat(MiB) } });
    const app = flavour.create();
    app.post(PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 }), echo);
    const res = await request(app).post(PATH).set(telnyxHeaders(pair.privateKey, body)).send(body);
    expect(res.status).toBe(413);
  });

  it('accepts a body of exactly `limit` bytes and refuses one byte more', async () => {
    const app = webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64, limit: 64 }));
    const exact = JSON.stringify({ pad: 'x'.repeat(64 - 10) });
    expect(Buffer.byteLength(exact)).toBe(64);
    const ok = await request(app).post(PATH).set(telnyxHeaders(pair.privateKey, exact)).send(exact);
    expect(ok.status).toBe(200);
    const over = `${exact} `;
    const res = await request(app).post(PATH).set(telnyxHeaders(pair.privateKey, over)).send(over);
    expect([res.status, res.body.code]).toEqual([413, 'payload_too_large']);
  });

  it('refuses a declared Content-Length over the limit before reading any of the body', async () => {
    const port = await listen(webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 })));
    const headers = { ...telnyxHeaders(pair.privateKey, '{}'), 'content-length': 50 * MiB };
    // Only 2 bytes of the announced 50 MiB are ever sent: the answer cannot wait for the rest.
    const res = await rawPost(port, headers, [Buffer.from('{}')], false);
    expect([res.status, res.body.code]).toEqual([413, 'payload_too_large']);
  });

  it('stops a chunked body (no Content-Length) as soon as it passes the limit', async () => {
    const port = await listen(webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64, limit: 1000 })));
    const body = Buffer.from(JSON.stringify({ pad: 'y'.repeat(4000) }));
    const chunks = [0, 1, 2, 3, 4].map((i) => body.subarray(i * 820, (i + 1) * 820));
    const res = await rawPost(port, { ...telnyxHeaders(pair.privateKey, body), 'transfer-encoding': 'chunked' }, chunks);
    expect([res.status, res.body.code]).toEqual([413, 'payload_too_large']);
  });

  it('verifies a chunked body that stays under the limit', async () => {
    const port = await listen(webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 })));
    const body = Buffer.from(telnyxEvent());
    const chunks = [body.subarray(0, 7), body.subarray(7, 100), body.subarray(100)];
    const res = await rawPost(port, { ...telnyxHeaders(pair.privateKey, body), 'transfer-encoding': 'chunked' }, chunks);
    expect(res.status).toBe(200);
  });

  it('answers 500 body_already_parsed when express.json() ran first, telling how to fix it', async () => {
    const body = telnyxEvent();
    const app = webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 }), [flavour.json()]);
    const res = await request(app).post(PATH).set(telnyxHeaders(pair.privateKey, body)).send(body);
    expect([res.status, res.body.code]).toEqual([500, 'body_already_parsed']);
    expect(res.body.description).toMatch(/before express\.json\(\)/);
    expect(res.body.description).toMatch(/express\.raw\(/);
  });

  it('gives the configuration error before any header check, through Express’s own handler too', async () => {
    const app = flavour.create();
    app.use(flavour.json());
    app.post(PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 }), echo);
    const res = await request(app).post(PATH).set('content-type', 'application/json').send('{"unsigned":true}');
    expect(res.status).toBe(500);
    // Outside production Express's default handler prints the error, so the developer sees the fix.
    expect(res.text).toContain('mount the webhook route before express.json()');
  });

  it('answers 500 when express.text() consumed the body', async () => {
    const body = telnyxEvent();
    const app = webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 }), [
      flavour.text({ type: '*/*' }),
    ]);
    const res = await request(app).post(PATH).set(telnyxHeaders(pair.privateKey, body)).send(body);
    expect([res.status, res.body.code]).toEqual([500, 'body_already_parsed']);
  });

  it('reads the stream itself when express.json() skipped a non-JSON content type', async () => {
    const body = telnyxEvent('not-json-typed');
    const app = webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 }), [flavour.json()]);
    const res = await request(app)
      .post(PATH)
      .set({ ...telnyxHeaders(pair.privateKey, body), 'content-type': 'text/plain' })
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body.webhook.id).toBe('not-json-typed');
  });

  it('uses the Buffer from express.raw() when it ran first', async () => {
    const body = telnyxEvent('from-raw');
    const app = webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 }), [
      flavour.raw({ type: 'application/json' }),
    ]);
    const res = await request(app).post(PATH).set(telnyxHeaders(pair.privateKey, body)).send(body);
    expect(res.status).toBe(200);
    expect(res.body.webhook.id).toBe('from-raw');
  });

  it('uses the bytes kept by captureRawBody under a global express.json()', async () => {
    const body = `{ "data": { "id": "captured" } }`;
    const app = webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 }), [
      flavour.json({ verify: captureRawBody }),
    ]);
    const res = await request(app).post(PATH).set(telnyxHeaders(pair.privateKey, body)).send(body);
    expect(res.status).toBe(200);
    expect(res.body.webhook.id).toBe('captured');
    const reformatted = await request(app)
      .post(PATH)
      .set(telnyxHeaders(pair.privateKey, body))
      .send(JSON.stringify(JSON.parse(body)));
    expect([reformatted.status, reformatted.body.code]).toEqual([401, 'invalid_signature']);
  });

  it('answers 415 for a compressed body', async () => {
    const body = telnyxEvent();
    const app = webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 }));
    const res = await request(app)
      .post(PATH)
      .set({ ...telnyxHeaders(pair.privateKey, body), 'content-encoding': 'gzip' })
      .send(body);
    expect([res.status, res.body.code]).toEqual([415, 'unsupported_encoding']);
  });

  it('answers 400 invalid_payload for a signed body that is not UTF-8', async () => {
    const body = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
    const port = await listen(webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 })));
    const res = await rawPost(port, { ...telnyxHeaders(pair.privateKey, body), 'content-length': body.length }, [body]);
    expect([res.status, res.body.code]).toEqual([400, 'invalid_payload']);
  });

  it('leaves the verified Buffer in req.body with parseJson: false', async () => {
    const body = 'plain text, signed';
    const app = flavour.create();
    app.post(PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64, parseJson: false }), (req, res) => {
      res.json({ isBuffer: Buffer.isBuffer(req.body), text: String(req.body), webhook: req.webhook });
    });
    app.use(jsonErrors);
    const res = await request(app)
      .post(PATH)
      .set({ ...telnyxHeaders(pair.privateKey, body), 'content-type': 'text/plain' })
      .send(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ isBuffer: true, text: body, webhook: { scheme: 'telnyx', duplicate: false } });
  });

  it('settles an aborted request with request_aborted and leaves no listener behind', async () => {
    const seen = new Promise<{ code: string; listeners: number[] }>((resolve) => {
      const record: ErrorRequestHandler = (err: { code: string }, req, res, _next) => {
        resolve({ code: err.code, listeners: ['data', 'end', 'error', 'close'].map((e) => req.listenerCount(e)) });
        res.end();
      };
      const app = flavour.create();
      app.post(PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 }), echo);
      app.use(record);
      void listen(app).then((port) => {
        const body = Buffer.from(telnyxEvent());
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          path: PATH,
          method: 'POST',
          headers: { ...telnyxHeaders(pair.privateKey, body), 'content-length': body.length },
        });
        req.on('error', () => {});
        req.write(body.subarray(0, 20), () => setTimeout(() => req.destroy(), 50));
      });
    });
    const { code, listeners } = await seen;
    expect(code).toBe('request_aborted');
    // Node and Express keep their own 'error'/'close' listeners (on-finished); ours are gone.
    expect(listeners[0]).toBe(0);
    expect(listeners[1]).toBe(0);
  });
});
