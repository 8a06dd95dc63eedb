import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { telnyxWebhook, WebhookError } from '../../src/webhooks/index.js';
import { flavours, webhookApp } from '../support/webhook-app.js';
import { ed25519Pair, flipBase64Byte, nowSeconds, telnyxEvent, telnyxHeaders } from '../support/webhook-signing.js';

const PATH = '/webhooks/telnyx';

describe.each(flavours)('telnyxWebhook on $name', (flavour) => {
  const pair = ed25519Pair();
  const app = () => webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64 }));

  it('accepts a delivery signed the way Telnyx documents, and exposes the parsed event', async () => {
    const body = telnyxEvent('0ccc7b54-4df3-4bca-a65a-3da1ecc777f0');
    const ts = nowSeconds();
    const res = await request(app()).post(PATH).set(telnyxHeaders(pair.privateKey, body, ts)).send(body);
    expect(res.status).toBe(200);
    expect(res.body.body).toEqual(JSON.parse(body));
    expect(res.body.webhook).toEqual({
      id: '0ccc7b54-4df3-4bca-a65a-3da1ecc777f0',
      timestamp: ts,
      scheme: 'telnyx',
      duplicate: false,
    });
  });

  it('accepts the public key as PEM and as a KeyObject', async () => {
    for (const publicKey of [pair.publicKeyPem, pair.publicKey]) {
      const body = telnyxEvent();
      const res = await request(webhookApp(flavour, PATH, telnyxWebhook({ publicKey })))
        .post(PATH)
        .set(telnyxHeaders(pair.privateKey, body))
        .send(body);
      expect(res.status).toBe(200);
    }
  });

  it('accepts a delivery signed by any key of an array (rotation), refuses other keys', async () => {
    const next = ed25519Pair();
    const stranger = ed25519Pair();
    const mw = telnyxWebhook({ publicKey: [pair.publicKeyBase64, next.publicKeyBase64] });
    const server = webhookApp(flavour, PATH, mw);
    for (const signer of [pair, next]) {
      const body = telnyxEvent();
      const res = await request(server).post(PATH).set(telnyxHeaders(signer.privateKey, body)).send(body);
      expect(res.status).toBe(200);
    }
    const body = telnyxEvent();
    const res = await request(server).post(PATH).set(telnyxHeaders(stranger.privateKey, body)).send(body);
    expect([res.status, res.body.code]).toEqual([401, 'invalid_signature']);
  });

  it('refuses the same event re-serialised with different whitespace', async () => {
    const body = telnyxEvent();
    const reformatted = JSON.stringify(JSON.parse(body), null, 2);
    const res = await request(app()).post(PATH).set(telnyxHeaders(pair.privateKey, body)).send(reformatted);
    expect([res.status, res.body.code]).toEqual([401, 'invalid_signature']);
  });

  it('refuses one flipped byte in the body', async () => {
    const body = telnyxEvent();
    const tampered = Buffer.from(body);
    tampered[10] = (tampered[10] ?? 0) ^ 0x01;
    const res = await request(app())
      .post(PATH)
      .set(telnyxHeaders(pair.privateKey, body))
      .send(tampered.toString());
    expect([res.status, res.body.code]).toEqual([401, 'invalid_signature']);
  });

  it('refuses one changed digit in the timestamp', async () => {
    const body = telnyxEvent();
    const ts = nowSeconds();
    const headers = telnyxHeaders(pair.privateKey, body, ts);
    headers['telnyx-timestamp'] = String(ts - 1);
    const res = await request(app()).post(PATH).set(headers).send(body);
    expect([res.status, res.body.code]).toEqual([401, 'invalid_signature']);
  });

  it('refuses one flipped byte in the signature', async () => {
    const body = telnyxEvent();
    const headers = telnyxHeaders(pair.privateKey, body);
    for (const index of [0, 31, 63]) {
      const flipped = { ...headers, 'telnyx-signature-ed25519': flipBase64Byte(headers['telnyx-signature-ed25519']!, index) };
      const res = await request(app()).post(PATH).set(flipped).send(body);
      expect([res.status, res.body.code]).toEqual([401, 'invalid_signature']);
    }
  });

  it('refuses a signature that is not 64 bytes of base64 before reading the body', async () => {
    const body = telnyxEvent();
    const headers = telnyxHeaders(pair.privateKey, body);
    const sig = headers['telnyx-signature-ed25519']!;
    for (const bad of ['not base64!', sig.slice(0, 40), `${sig}AAAA`, sig.replace(/=+$/, ''), Buffer.alloc(64).toString('hex')]) {
      const res = await request(app()).post(PATH).set({ ...headers, 'telnyx-signature-ed25519': bad }).send(body);
      expect([res.status, res.body.code]).toEqual([401, 'invalid_signature']);
    }
  });

  it('refuses a delivery 301 s old as too old', async () => {
    const body = telnyxEvent();
    const res = await request(app())
      .post(PATH)
      .set(telnyxHeaders(pair.privateKey, body, nowSeconds() - 301))
      .send(body);
    expect([res.status, res.body.code]).toEqual([401, 'timestamp_too_old']);
    expect(res.body.description).toMatch(/too old/);
  });

  it('refuses a delivery 302 s ahead as from the future', async () => {
    const body = telnyxEvent();
    // 302, not 301: the clock may tick into the next second before the check, shrinking the lead.
    const res = await request(app())
      .post(PATH)
      .set(telnyxHeaders(pair.privateKey, body, nowSeconds() + 302))
      .send(body);
    expect([res.status, res.body.code]).toEqual([401, 'timestamp_in_future']);
    expect(res.body.description).toMatch(/from the future/);
  });

  it('accepts deliveries just inside the window both ways', async () => {
    for (const offset of [-295, 295]) {
      const body = telnyxEvent();
      const res = await request(app())
        .post(PATH)
        .set(telnyxHeaders(pair.privateKey, body, nowSeconds() + offset))
        .send(body);
      expect(res.status).toBe(200);
    }
  });

  it('honours a custom tolerance in seconds', async () => {
    const body = telnyxEvent();
    const server = webhookApp(flavour, PATH, telnyxWebhook({ publicKey: pair.publicKeyBase64, tolerance: 10 }));
    const res = await request(server).post(PATH).set(telnyxHeaders(pair.privateKey, body, nowSeconds() - 60)).send(body);
    expect([res.status, res.body.code]).toEqual([401, 'timestamp_too_old']);
  });

  it('answers 400 for a missing signature or timestamp header', async () => {
    const body = telnyxEvent();
    const headers = telnyxHeaders(pair.privateKey, body);
    for (const missing of ['telnyx-signature-ed25519', 'telnyx-timestamp']) {
      const partial = { ...headers };
      delete partial[missing];
      const res = await request(app()).post(PATH).set(partial).send(body);
      expect([res.status, res.body.code]).toEqual([400, 'missing_header']);
      expect(res.body.description).toContain(missing);
    }
  });

  it('answers 400 for a timestamp that is not Unix seconds', async () => {
    const body = telnyxEvent();
    const ts = nowSeconds();
    for (const bad of [`${ts}.5`, `-${ts}`, `${ts * 1000}`, '1e9', 'yesterday', `0x${ts.toString(16)}`, '99999999999']) {
      const headers = { ...telnyxHeaders(pair.privateKey, body), 'telnyx-timestamp': bad };
      const res = await request(app()).post(PATH).set(headers).send(body);
      expect([res.status, res.body.code], bad).toEqual([400, 'invalid_header']);
    }
  });

  it('answers 400 invalid_payload when a correctly signed body is not JSON', async () => {
    const body = 'this is not json';
    const res = await request(app()).post(PATH).set(telnyxHeaders(pair.privateKey, body)).send(body);
    expect([res.status, res.body.code]).toEqual([400, 'invalid_payload']);
  });

  it('leaves req.webhook.id out when the event has no data.id', async () => {
    const body = JSON.stringify({ data: { event_type: 'call.hangup' } });
    const res = await request(app()).post(PATH).set(telnyxHeaders(pair.privateKey, body)).send(body);
    expect(res.status).toBe(200);
    expect(res.body.webhook).not.toHaveProperty('id');
  });
});

describe('telnyxWebhook options', () => {
  const pair = ed25519Pair();

  it.each([
    ['no publicKey', { publicKey: undefined }, /"publicKey" is required/],
    ['an empty string', { publicKey: '' }, /"publicKey" must be an Ed25519 public key/],
    ['31 bytes', { publicKey: Buffer.alloc(31, 1).toString('base64') }, /"publicKey" must be/],
    ['not base64', { publicKey: 'not a key' }, /"publicKey" must be/],
    ['a private KeyObject', { publicKey: pair.privateKey }, /"publicKey" is a private key/],
    [
      'a private PEM',
      { publicKey: String(pair.privateKey.export({ format: 'pem', type: 'pkcs8' })) },
      /"publicKey" is a private \(signing\) key/,
    ],
    ['an RSA key', { publicKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey }, /"publicKey" must be/],
    ['an empty array', { publicKey: [] }, /"publicKey" must not be an empty array/],
    ['a bad array element', { publicKey: [pair.publicKeyBase64, 'nope'] }, /"publicKey\[1\]" must be/],
    ['tolerance 0', { publicKey: pair.publicKeyBase64, tolerance: 0 }, /"tolerance"/],
    ['tolerance NaN', { publicKey: pair.publicKeyBase64, tolerance: Number.NaN }, /"tolerance"/],
    ['limit 1.5', { publicKey: pair.publicKeyBase64, limit: 1.5 }, /"limit"/],
    ['onReplay', { publicKey: pair.publicKeyBase64, onReplay: 'ignore' }, /"onReplay"/],
    ['onStoreError', { publicKey: pair.publicKeyBase64, onStoreError: 'retry' }, /"onStoreError"/],
    ['store', { publicKey: pair.publicKeyBase64, store: new Map() }, /"store"/],
    ['timeout', { publicKey: pair.publicKeyBase64, timeout: -1 }, /"timeout"/],
  ])('throws a TypeError naming the option for %s', (_name, options, message) => {
    expect(() => telnyxWebhook(options as never)).toThrow(TypeError);
    expect(() => telnyxWebhook(options as never)).toThrow(message);
  });

  it('accepts a base64 SubjectPublicKeyInfo and a key without its padding', () => {
    const der = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(() => telnyxWebhook({ publicKey: der })).not.toThrow();
    expect(() => telnyxWebhook({ publicKey: pair.publicKeyBase64.replace(/=+$/, '') })).not.toThrow();
  });

  it('does not touch the caller’s options object', () => {
    const options = Object.freeze({ publicKey: pair.publicKeyBase64, tolerance: 60 });
    expect(() => telnyxWebhook(options)).not.toThrow();
  });

  it('exposes a WebhookError class with the status fixed by the code', () => {
    const err = new WebhookError('store_unavailable', 'down');
    expect([err.status, err.statusCode, err.expose, err.headers['Retry-After']]).toEqual([503, 503, false, '5']);
    expect(new WebhookError('replayed', 'again').status).toBe(409);
    expect(new WebhookError('replayed', 'again').headers).toEqual({});
  });
});
