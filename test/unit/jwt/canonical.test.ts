/**
 * The one spelling caches key an ECDSA-signed token by (jwt/canonical.ts): low `s`, and only
 * for ES256/384/512 tokens whose signature is well-formed; everything else as it is.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalSpelling } from '../../../src/jwt/canonical.js';

const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sOf = (token: string) => BigInt(`0x${Buffer.from(token.split('.')[2]!, 'base64url').subarray(32).toString('hex')}`);

describe.each([
  ['ES256', 'P-256', 'sha256'],
  ['ES384', 'P-384', 'sha384'],
  ['ES512', 'P-521', 'sha512'],
] as const)('%s', (alg, curve, digest) => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const tokens = Array.from({ length: 16 }, (_, i) => {
    const input = `${b64({ alg })}.${b64({ i })}`;
    return `${input}.${sign(digest, Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  });

  it('the canonical spelling verifies, is stable, and both spellings share it', () => {
    const rewritten = tokens.filter((token) => canonicalSpelling(token) !== token);
    expect(rewritten.length).toBeGreaterThan(0);
    expect(rewritten.length).toBeLessThan(tokens.length);
    for (const token of tokens) {
      const canonical = canonicalSpelling(token);
      const [header, payload, signature] = canonical.split('.') as [string, string, string];
      expect(verify(digest, Buffer.from(`${header}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))).toBe(true);
      expect(canonicalSpelling(canonical)).toBe(canonical);
      expect(canonical.slice(0, canonical.lastIndexOf('.'))).toBe(token.slice(0, token.lastIndexOf('.')));
    }
  });
});

describe('left as they are', () => {
  const signature = (bytes: number, fill = 0xff) => Buffer.alloc(bytes, fill).toString('base64url');
  const high = `${b64({ alg: 'ES256' })}.${b64({})}`;

  it.each([
    ['EdDSA (same signature length as ES256)', `${b64({ alg: 'EdDSA' })}.${b64({})}.${signature(64, 0x99)}`],
    ['HS512 (same signature length as ES256)', `${b64({ alg: 'HS512' })}.${b64({})}.${signature(64, 0x99)}`],
    ['ES256 with s >= n', `${high}.${signature(64)}`],
    ['ES256 with a non-canonical signature encoding', `${high}.${signature(64, 0x99).slice(0, 85)}B`],
    ['ES256 with a signature of another length', `${high}.${signature(96, 0x99)}`],
    ['an opaque token', 'x'.repeat(86)],
    ['not JSON in the header', `bm90IGpzb24.${b64({})}.${signature(64, 0x99)}`],
  ])('%s', (_name, token) => {
    expect(canonicalSpelling(token)).toBe(token);
  });

  it('an ES256 token with a high s below n is rewritten to n - s', () => {
    const s = P256_ORDER - 5n;
    const sig = Buffer.concat([Buffer.alloc(32, 1), Buffer.from(s.toString(16).padStart(64, '0'), 'hex')]).toString('base64url');
    expect(sOf(canonicalSpelling(`${high}.${sig}`))).toBe(5n);
  });
});
