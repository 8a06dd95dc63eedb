/**
 * The key identity the verified-token cache purges by: RFC 7638 thumbprints, compared with
 * jose's own implementation for each key type, and the same whatever the JWK's extra members.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseJwks, thumbprintOf } from '../../../src/jwt/jwks.js';

const keys = {
  RSA: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
  'EC P-256': generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
  'EC P-521': generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey,
  Ed25519: generateKeyPairSync('ed25519').publicKey,
};

describe('thumbprintOf', () => {
  it.each(Object.entries(keys))('%s: the RFC 7638 SHA-256 thumbprint', async (_name, key) => {
    expect(thumbprintOf(key)).toBe(await calculateJwkThumbprint(key.export({ format: 'jwk' }) as JWK, 'sha256'));
  });

  it('RFC 7638 §3.1 example key', () => {
    const n =
      '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
    const key = createPublicKey({ key: { kty: 'RSA', n, e: 'AQAB' }, format: 'jwk' });
    expect(thumbprintOf(key)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('one key published with and without kid, alg and use: one identity', () => {
    const jwk = keys['EC P-256'].export({ format: 'jwk' });
    const { keys: parsed } = parseJwks(JSON.stringify({ keys: [jwk, { ...jwk, kid: 'a', alg: 'ES256', use: 'sig' }] }), 'https://as.example/jwks');
    expect(parsed).toHaveLength(2);
    expect(parsed[0]!.thumbprint).toBe(parsed[1]!.thumbprint);
  });
});
