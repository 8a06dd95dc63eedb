/**
 * One spelling per ECDSA-signed token, for everything keyed by a token: ECDSA signatures are
 * malleable, `(r, s)` and `(r, n − s)` verify alike (SEC 1 §4.1.4), so every ES256/384/512
 * token has a second valid spelling and, by its SHA-256, a second identity. Refusing the
 * high-`s` spelling is not an option: RFC 7518 does not ask signers for low `s`, and common
 * ones (OpenSSL and so Node, WebCrypto, Java, Go) produce a high `s` for about every second
 * signature. So the guard keys its caches (verified tokens, refusals, introspection answers,
 * in-flight calls, the shared store) by the low-`s` spelling: both spellings are one token,
 * verified, refused, introspected and cached once.
 *
 * Only a token whose header names `ES256`, `ES384` or `ES512` and whose signature has that
 * algorithm's length is rewritten: an EdDSA or HS512 signature of the same length is never
 * mistaken for one, so two tokens that do not verify alike never share a key.
 *
 * @see [RFC 7518 §3.4 - Digital Signature with ECDSA](https://www.rfc-editor.org/rfc/rfc7518#section-3.4)
 */

import { isCanonicalBase64url } from './verify.js';

interface Curve {
  alg: string;
  /** Bytes of `R‖S`. */
  bytes: number;
  /** The group order `n`, big-endian, as long as `S`. */
  order: Buffer;
  /** `floor(n / 2)`, big-endian, as long as `S`: an `S` above it is high. */
  half: Buffer;
}

function curve(alg: string, bytes: number, order: bigint): Curve {
  // S is half of R‖S: `bytes / 2` bytes, `bytes` hex digits.
  const toBytes = (value: bigint) => Buffer.from(value.toString(16).padStart(bytes, '0'), 'hex');
  return { alg, bytes, order: toBytes(order), half: toBytes(order >> 1n) };
}

/** Keyed by the base64url length of the `R‖S` signature. */
const CURVES = new Map<number, Curve>([
  [86, curve('ES256', 64, 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n)],
  [128, curve('ES384', 96, 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n)],
  [
    176,
    curve(
      'ES512',
      132,
      0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    ),
  ],
]);

/** The base64url lengths of ES256/384/512 signatures, for the hot path's look. */
const SIGNATURE_LENGTHS = [...CURVES.keys()];

/**
 * Where `token`'s last part starts when that part is exactly as long as an ECDSA signature,
 * else -1: a look at the one place the last `.` would be for each length, not a scan of an
 * RSA signature's 342 characters on every request.
 */
function ecdsaSignatureStart(token: string): number {
  for (let i = 0; i < SIGNATURE_LENGTHS.length; i++) {
    const dot = token.length - SIGNATURE_LENGTHS[i]! - 1;
    if (dot > 0 && token.charCodeAt(dot) === 0x2e && token.indexOf('.', dot + 1) === -1) return dot + 1;
  }
  return -1;
}

/**
 * `token` with a low-`s` ECDSA signature: itself unless it is a compact JWS signed with
 * ES256/384/512 whose `s` is above `n / 2` (and below `n`), else the same token with `n − s`.
 * On the hot path (every request hashes its token): byte comparisons, no big integers.
 */
export function canonicalSpelling(token: string): string {
  const start = ecdsaSignatureStart(token);
  if (start < 0) return token;
  const curve = CURVES.get(token.length - start)!;
  const last = start - 1;
  const first = token.indexOf('.');
  if (first <= 0 || token.indexOf('.', first + 1) !== last) return token;
  const encoded = token.slice(last + 1);
  // Only a canonically encoded signature: a malformed spelling must never share a key (and so
  // a remembered refusal) with a well-formed one.
  if (!isCanonicalBase64url(encoded)) return token;
  const signature = Buffer.from(encoded, 'base64url');
  const half = curve.bytes / 2;
  const s = signature.subarray(half);
  if (signature.length !== curve.bytes || s.compare(curve.half) <= 0 || s.compare(curve.order) >= 0) return token;
  if (headerAlg(token.slice(0, first)) !== curve.alg) return token;
  subtractFrom(curve.order, s);
  return `${token.slice(0, last + 1)}${signature.toString('base64url')}`;
}

/** `value = order - value`, in place, big-endian; `value < order`. */
function subtractFrom(order: Buffer, value: Buffer): void {
  let borrow = 0;
  for (let i = value.length - 1; i >= 0; i--) {
    let digit = order[i]! - value[i]! - borrow;
    borrow = digit < 0 ? 1 : 0;
    if (digit < 0) digit += 256;
    value[i] = digit;
  }
}

function headerAlg(segment: string): unknown {
  try {
    return (JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as { alg?: unknown } | null)?.alg;
  } catch {
    return undefined;
  }
}
