/**
 * signature.ts against an independent signer: every algorithm signed by jose's `CompactSign`
 * (WebCrypto underneath, not the node:crypto one-shot calls under test), then the bad
 * versions: flipped bytes, truncated and padded signatures, a signature of another message,
 * keys of the wrong type, curve or size.
 */
import { createSecretKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { describe, expect, it } from 'vitest';
import { SIGNATURE_ALGORITHMS, UnusableKeyError, verifySignature } from '../../../src/jwt/signature.js';

interface Pair {
  alg: string;
  signKey: KeyObject;
  verifyKey: KeyObject;
}

function pairs(): Pair[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const ed = generateKeyPairSync('ed25519');
  const secret = createSecretKey(randomBytes(64));
  return [
    ...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'].map((alg) => ({ alg, signKey: rsa.privateKey, verifyKey: rsa.publicKey })),
    { alg: 'ES256', signKey: p256.privateKey, verifyKey: p256.publicKey },
    { alg: 'ES384', signKey: p384.privateKey, verifyKey: p384.publicKey },
    { alg: 'ES512', signKey: p521.privateKey, verifyKey: p521.publicKey },
    { alg: 'EdDSA', signKey: ed.privateKey, verifyKey: ed.publicKey },
    { alg: 'Ed25519', signKey: ed.privateKey, verifyKey: ed.publicKey },
    ...['HS256', 'HS384', 'HS512'].map((alg) => ({ alg, signKey: secret, verifyKey: secret })),
  ];
}

/** Signs `payload` with jose and splits the result the way jwt.ts hands it over. */
async function signed(pair: Pair, payload = '{"sub":"alice"}'): Promise<{ input: Buffer; signature: Buffer }> {
  const jws = await new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: pair.alg }).sign(pair.signKey);
  const second = jws.lastIndexOf('.');
  return { input: Buffer.from(jws.slice(0, second), 'latin1'), signature: Buffer.from(jws.slice(second + 1), 'base64url') };
}

describe('verifySignature', () => {
  const all = pairs();

  it('covers every algorithm the guard accepts', () => {
    expect(all.map((p) => p.alg).sort()).toEqual([...SIGNATURE_ALGORITHMS].sort());
  });

  for (const pair of all) {
    describe(pair.alg, () => {
      it('accepts a signature made by jose', async () => {
        const { input, signature } = await signed(pair);
        await expect(verifySignature(pair.alg, pair.verifyKey, input, signature)).resolves.toBe(true);
      });

      it('refuses a flipped bit in the signature, in the signed input, and another message\'s signature', async () => {
        const { input, signature } = await signed(pair);
        const flipped = Buffer.from(signature);
        flipped[flipped.length >> 1]! ^= 0x01;
        await expect(verifySignature(pair.alg, pair.verifyKey, input, flipped)).resolves.toBe(false);
        const tampered = Buffer.from(input);
        tampered[tampered.length - 1]! ^= 0x01;
        await expect(verifySignature(pair.alg, pair.verifyKey, tampered, signature)).resolves.toBe(false);
        const other = await signed(pair, '{"sub":"mallory"}');
        await expect(verifySignature(pair.alg, pair.verifyKey, input, other.signature)).resolves.toBe(false);
      });

      it('refuses truncated, extended and empty signatures without throwing', async () => {
        const { input, signature } = await signed(pair);
        for (const bad of [signature.subarray(0, signature.length - 1), Buffer.concat([signature, Buffer.from([0])]), Buffer.alloc(0)]) {
          await expect(verifySignature(pair.alg, pair.verifyKey, input, bad)).resolves.toBe(false);
        }
      });
    });
  }

  it('verifies Ed448 under EdDSA, not under Ed25519', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed448');
    const input = Buffer.from('eyJhbGciOiJFZERTQSJ9.e30', 'latin1');
    const signature = sign(null, input, privateKey);
    await expect(verifySignature('EdDSA', publicKey, input, signature)).resolves.toBe(true);
    await expect(verifySignature('Ed25519', publicKey, input, signature)).rejects.toBeInstanceOf(UnusableKeyError);
  });

  it('refuses keys that cannot verify the algorithm', async () => {
    const input = Buffer.from('e30.e30', 'latin1');
    const signature = Buffer.alloc(64);
    const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const ed = generateKeyPairSync('ed25519').publicKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cases: Array<[string, KeyObject, RegExp]> = [
      ['RS256', weakRsa, /at least 2048 bits/],
      ['PS256', weakRsa, /at least 2048 bits/],
      ['ES256', p384, /P-256|prime256v1/],
      ['ES256', rsa.publicKey, /EC key/],
      ['RS256', ed, /RSA key/],
      ['EdDSA', rsa.publicKey, /ed25519/],
      ['RS256', rsa.privateKey, /public key/],
      ['HS256', rsa.publicKey, /secret key/],
      ['XS256', rsa.publicKey, /unsupported algorithm/],
    ];
    for (const [alg, key, message] of cases) {
      await expect(verifySignature(alg, key, input, signature), `${alg} with ${key.asymmetricKeyType ?? key.type}`).rejects.toThrow(message);
    }
  });

  it('refuses an RS256 signature under PS256 with the same key, and the other way round', async () => {
    const [rs, ps] = [all.find((p) => p.alg === 'RS256')!, all.find((p) => p.alg === 'PS256')!];
    const a = await signed(rs);
    await expect(verifySignature('PS256', rs.verifyKey, a.input, a.signature)).resolves.toBe(false);
    const b = await signed(ps);
    await expect(verifySignature('RS256', ps.verifyKey, b.input, b.signature)).resolves.toBe(false);
  });

  it('refuses an ES256 signature in DER form (JWS uses R‖S)', async () => {
    const pair = all.find((p) => p.alg === 'ES256')!;
    const input = Buffer.from('eyJhbGciOiJFUzI1NiJ9.e30', 'latin1');
    const der = sign('sha256', input, { key: pair.signKey, dsaEncoding: 'der' });
    await expect(verifySignature('ES256', pair.verifyKey, input, der)).resolves.toBe(false);
    const raw = sign('sha256', input, { key: pair.signKey, dsaEncoding: 'ieee-p1363' });
    await expect(verifySignature('ES256', pair.verifyKey, input, raw)).resolves.toBe(true);
  });
});
