import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { standardWebhook } from '../../src/webhooks/index.js';
import { flavours, webhookApp } from '../support/webhook-app.js';
import {
  ed25519Pair,
  flipBase64Byte,
  nowSeconds,
  signV1,
  signV1a,
  standardHeaders,
} from '../support/webhook-signing.js';

const PATH = '/webhooks/acme';

/**
 * The specification's published test vectors, from the standard-webhooks repository
 * (github.com/standard-webhooks/standard-webhooks):
 * - HMAC: libraries/javascript/src/webhook.test.ts, "sign function works", and
 *   libraries/go/webhook_symmetric_test.go, TestSymmetricWebhookSign;
 * - Ed25519: libraries/go/webhook_asymmetric_test.go, TestAsymmetricWebhookSign (the key
 *   there is the private seed; the public key is derived from it below);
 * - multiple signatures: the "multi sig payload is valid" cases of both files.
 * They are dated 1614265330, so these tests widen `tolerance` to reach back to 2021.
 */
const VECTOR = {
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  hmacSignature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  ed25519Seed: 'VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=',
  ed25519Signature:
    'v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==',
  decoy: 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
  decoyV2: 'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=',
} as const;
const SINCE_VECTOR = nowSeconds() - VECTOR.timestamp + 3600;

/** The vector's Ed25519 public key as `whpk_` + base64 of its raw 32 bytes. */
function vectorPublicKey(): string {
  const pkcs8 = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.from(VECTOR.ed25519Seed, 'base64'),
  ]);
  const publicKey = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
  return `whpk_${publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('base64')}`;
}

function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function msgId(): string {
  return `msg_${randomBytes(12).toString('base64url')}`;
}

describe.each(flavours)('standardWebhook on $name', (flavour) => {
  describe('published test vectors', () => {
    it('accepts the HMAC (v1) vector', async () => {
      const server = webhookApp(flavour, PATH, standardWebhook({ secret: VECTOR.secret, tolerance: SINCE_VECTOR }));
      const res = await request(server)
        .post(PATH)
        .set(standardHeaders(VECTOR.id, VECTOR.timestamp, VECTOR.hmacSignature))
        .send(VECTOR.payload);
      expect(res.status).toBe(200);
      expect(res.body.body).toEqual({ test: 2432232314 });
      expect(res.body.webhook).toEqual({
        id: VECTOR.id,
        timestamp: VECTOR.timestamp,
        scheme: 'standard',
        duplicate: false,
      });
    });

    it('accepts the HMAC vector with the secret given without its whsec_ prefix', async () => {
      const bare = VECTOR.secret.slice('whsec_'.length);
      const server = webhookApp(flavour, PATH, standardWebhook({ secret: bare, tolerance: SINCE_VECTOR }));
      const res = await request(server)
        .post(PATH)
        .set(standardHeaders(VECTOR.id, VECTOR.timestamp, VECTOR.hmacSignature))
        .send(VECTOR.payload);
      expect(res.status).toBe(200);
    });

    it('accepts the Ed25519 (v1a) vector with the derived whpk_ public key', async () => {
      const server = webhookApp(
        flavour,
        PATH,
        standardWebhook({ publicKey: vectorPublicKey(), tolerance: SINCE_VECTOR }),
      );
      const res = await request(server)
        .post(PATH)
        .set(standardHeaders(VECTOR.id, VECTOR.timestamp, VECTOR.ed25519Signature))
        .send(VECTOR.payload);
      expect(res.status).toBe(200);
    });

    it('accepts the multi-signature vector: decoys, an unknown version, then the valid one', async () => {
      const server = webhookApp(flavour, PATH, standardWebhook({ secret: VECTOR.secret, tolerance: SINCE_VECTOR }));
      const header = [VECTOR.decoy, VECTOR.decoyV2, VECTOR.hmacSignature, VECTOR.decoy].join(' ');
      const res = await request(server).post(PATH).set(standardHeaders(VECTOR.id, VECTOR.timestamp, header)).send(VECTOR.payload);
      expect(res.status).toBe(200);
    });

    it('refuses the vector’s decoy signature alone, and the vector under the default tolerance', async () => {
      const server = webhookApp(flavour, PATH, standardWebhook({ secret: VECTOR.secret, tolerance: SINCE_VECTOR }));
      const res = await request(server).post(PATH).set(standardHeaders(VECTOR.id, VECTOR.timestamp, VECTOR.decoy)).send(VECTOR.payload);
      expect([res.status, res.body.code]).toEqual([401, 'invalid_signature']);

      const strict = webhookApp(flavour, PATH, standardWebhook({ secret: VECTOR.secret }));
      const old = await request(strict)
        .post(PATH)
        .set(standardHeaders(VECTOR.id, VECTOR.timestamp, VECTOR.hmacSignature))
        .send(VECTOR.payload);
      expect([old.status, old.body.code]).toEqual([401, 'timestamp_too_old']);
    });

    it('refuses the HMAC signature presented as v1a and the Ed25519 one presented as v1', async () => {
      const server = webhookApp(
        flavour,
        PATH,
        standardWebhook({ secret: VECTOR.secret, publicKey: vectorPublicKey(), tolerance: SINCE_VECTOR }),
      );
      const swapped = [
        VECTOR.hmacSignature.replace(/^v1,/, 'v1a,'),
        VECTOR.ed25519Signature.replace(/^v1a,/, 'v1,'),
      ].join(' ');
      const res = await request(server).post(PATH).set(standardHeaders(VECTOR.id, VECTOR.timestamp, swapped)).send(VECTOR.payload);
      expect([res.status, res.body.code]).toEqual([401, 'invalid_signature']);
    });
  });

  describe('own keys', () => {
    const secret = newSecret();
    const pair = ed25519Pair();
    const app = () => webhookApp(flavour, PATH, standardWebhook({ secret }));

    it('accepts a v1 delivery and a v1a delivery', async () => {
      const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1' } });
      const id = msgId();
      const ts = nowSeconds();
      const v1 = await request(app()).post(PATH).set(standardHeaders(id, ts, signV1(secret, id, ts, body))).send(body);
      expect(v1.status).toBe(200);
      expect(v1.body.webhook).toMatchObject({ id, timestamp: ts, scheme: 'standard' });

      const server = webhookApp(flavour, PATH, standardWebhook({ publicKey: pair.publicKeyBase64 }));
      const v1a = await request(server).post(PATH).set(standardHeaders(id, ts, signV1a(pair.privateKey, id, ts, body))).send(body);
      expect(v1a.status).toBe(200);
    });

    it('accepts a secret array (rotation): a delivery signed with either secret passes', async () => {
      const previous = newSecret();
      const server = webhookApp(flavour, PATH, standardWebhook({ secret: [secret, previous] }));
      for (const signer of [secret, previous]) {
        const body = '{"type":"ping"}';
        const id = msgId();
        const ts = nowSeconds();
        const res = await request(server).post(PATH).set(standardHeaders(id, ts, signV1(signer, id, ts, body))).send(body);
        expect(res.status).toBe(200);
      }
    });

    it('accepts a header carrying an old-key and a new-key signature when only the new key is configured', async () => {
      const old = newSecret();
      const body = '{"type":"ping"}';
      const id = msgId();
      const ts = nowSeconds();
      const header = `${signV1(old, id, ts, body)} ${signV1(secret, id, ts, body)}`;
      const res = await request(app()).post(PATH).set(standardHeaders(id, ts, header)).send(body);
      expect(res.status).toBe(200);
    });

    it('accepts mixed v1 and v1a signatures when both kinds of key are configured', async () => {
      const server = webhookApp(flavour, PATH, standardWebhook({ secret: newSecret(), publicKey: `whpk_${pair.publicKeyBase64}` }));
      const body = '{"type":"ping"}';
      const id = msgId();
      const ts = nowSeconds();
      const header = `${VECTOR.decoy} ${signV1a(pair.privateKey, id, ts, body)}`;
      const res = await request(server).post(PATH).set(standardHeaders(id, ts, header)).send(body);
      expect(res.status).toBe(200);
    });

    it('verifies an id that is not ASCII over the bytes the sender put in the header', async () => {
      const body = '{"type":"ping"}';
      const utf8Id = 'msg_café';
      const ts = nowSeconds();
      const signature = signV1(secret, utf8Id, ts, body);
      // The sender puts the UTF-8 bytes in the header; Node's client writes a header string as
      // latin1, so these characters are those bytes on the wire. The body goes as a Buffer:
      // Node sends a string body together with the header, all encoded as UTF-8 (so does supertest).
      const wireId = Buffer.from(utf8Id, 'utf8').toString('latin1');
      const server = app().listen(0, '127.0.0.1');
      await once(server, 'listening');
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: PATH, method: 'POST' },
          (res) => resolve(res.resume().statusCode),
        );
        for (const [name, value] of Object.entries(standardHeaders(wireId, ts, signature))) req.setHeader(name, value);
        req.on('error', reject);
        req.end(Buffer.from(body));
      }).finally(() => server.close());
      expect(status).toBe(200);
    });

    it('refuses a delivery signed with the wrong secret', async () => {
      const body = '{"type":"ping"}';
      const id = msgId();
      const ts = nowSeconds();
      const res = await request(app()).post(PATH).set(standardHeaders(id, ts, signV1(newSecret(), id, ts, body))).send(body);
      expect([res.status, res.body.code]).toEqual([401, 'invalid_signature']);
    });

    it('refuses the same payload re-serialised, and one flipped byte in body, id, timestamp or signature', async () => {
      const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1', amount: 100 } });
      const id = msgId();
      const ts = nowSeconds();
      const signature = signV1(secret, id, ts, body);
      const headers = standardHeaders(id, ts, signature);
      const flippedBody = Buffer.from(body);
      flippedBody[3] = (flippedBody[3] ?? 0) ^ 0x01;
      const cases: Array<[string, Record<string, string>, string]> = [
        ['re-serialised', headers, JSON.stringify(JSON.parse(body), null, 1)],
        ['body', headers, flippedBody.toString()],
        ['id', { ...headers, 'webhook-id': `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}` }, body],
        ['timestamp', { ...headers, 'webhook-timestamp': String(ts - 1) }, body],
        ['signature', { ...headers, 'webhook-signature': `v1,${flipBase64Byte(signature.slice(3), 31)}` }, body],
      ];
      for (const [name, h, b] of cases) {
        const res = await request(app()).post(PATH).set(h).send(b);
        expect([res.status, res.body.code], name).toEqual([401, 'invalid_signature']);
      }
    });

    it('refuses truncated, empty, unversioned and wrong-version signatures', async () => {
      const body = '{"type":"ping"}';
      const id = msgId();
      const ts = nowSeconds();
      const good = signV1(secret, id, ts, body);
      for (const bad of [good.slice(0, 8), 'v1,', 'v1', good.slice(3), good.replace('v1,', 'v2,'), good.replace('v1,', 'v1a,')]) {
        const res = await request(app()).post(PATH).set(standardHeaders(id, ts, bad)).send(body);
        expect([res.status, res.body.code], bad).toEqual([401, 'invalid_signature']);
      }
    });

    it('answers 400 for more than 16 signatures', async () => {
      const body = '{"type":"ping"}';
      const id = msgId();
      const ts = nowSeconds();
      const header = [...Array<string>(16).fill(VECTOR.decoy), signV1(secret, id, ts, body)].join(' ');
      const res = await request(app()).post(PATH).set(standardHeaders(id, ts, header)).send(body);
      expect([res.status, res.body.code]).toEqual([400, 'invalid_header']);
    });

    it('refuses old and future timestamps with distinct codes', async () => {
      const body = '{"type":"ping"}';
      const id = msgId();
      for (const [offset, code] of [
        [-301, 'timestamp_too_old'],
        [301, 'timestamp_in_future'],
      ] as const) {
        const ts = nowSeconds() + offset;
        const res = await request(app()).post(PATH).set(standardHeaders(id, ts, signV1(secret, id, ts, body))).send(body);
        expect([res.status, res.body.code]).toEqual([401, code]);
      }
    });

    it('answers 400 for each missing header and for a malformed timestamp', async () => {
      const body = '{"type":"ping"}';
      const id = msgId();
      const ts = nowSeconds();
      const headers = standardHeaders(id, ts, signV1(secret, id, ts, body));
      for (const missing of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
        const partial = { ...headers };
        delete partial[missing];
        const res = await request(app()).post(PATH).set(partial).send(body);
        expect([res.status, res.body.code], missing).toEqual([400, 'missing_header']);
      }
      const res = await request(app()).post(PATH).set({ ...headers, 'webhook-timestamp': 'hello' }).send(body);
      expect([res.status, res.body.code]).toEqual([400, 'invalid_header']);
    });
  });
});

describe('standardWebhook options', () => {
  const pair = ed25519Pair();

  it.each([
    ['neither secret nor publicKey', {}, /"secret" or "publicKey" is required/],
    ['a whsk_ signing key as secret', { secret: `whsk_${randomBytes(32).toString('base64')}` }, /"secret" is an Ed25519 key/],
    ['a whpk_ public key as secret', { secret: `whpk_${pair.publicKeyBase64}` }, /"secret" is an Ed25519 key/],
    ['a misspelt prefix', { secret: `wh_sec_${randomBytes(32).toString('base64')}` }, /"secret" must be a Standard Webhooks secret/],
    ['a secret that is not base64', { secret: 'whsec_not*base64' }, /"secret" must be/],
    ['a short secret', { secret: `whsec_${randomBytes(8).toString('base64')}` }, /"secret" is too short/],
    ['a bad secret in an array', { secret: [`whsec_${randomBytes(32).toString('base64')}`, 'x'] }, /"secret\[1\]"/],
    ['a whsk_ key as publicKey', { publicKey: `whsk_${randomBytes(32).toString('base64')}` }, /"publicKey" is a private/],
    ['a short publicKey', { publicKey: `whpk_${randomBytes(16).toString('base64')}` }, /"publicKey" must be/],
  ])('throws a TypeError naming the option for %s', (_name, options, message) => {
    expect(() => standardWebhook(options as never)).toThrow(TypeError);
    expect(() => standardWebhook(options as never)).toThrow(message);
  });
});
