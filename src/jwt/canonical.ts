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

interface Curve {
  alg: string;
  /** Bytes of `R‖S`. */
  bytes: number;
  /** The group order `n`. */
  order: bigint;
}

/** Keyed by the base64url length of the `R‖S` signature. */
const CURVES = new Map<number, Curve>([
  [86, { alg: 'ES256', bytes: 64, order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n }],
  [
    128,
    {
      alg: 'ES384',
      bytes: 96,
      order: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    },
  ],
  [
    176,
    {
      alg: 'ES512',
      bytes: 132,
      order:
        0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    },
  ],
]);

/**
 * `token` with a low-`s` ECDSA signature: itself unless it is a compact JWS signed with
 * ES256/384/512 whose `s` is above `n / 2` (and below `n`), else the same token with `n − s`.
 */
export function canonicalSpelling(token: string): string {
  const last = token.lastIndexOf('.');
  const curve = CURVES.get(token.length - last - 1);
  if (curve === undefined || last < 0) return token;
  const first = token.indexOf('.');
  if (first <= 0 || token.indexOf('.', first + 1) !== last || headerAlg(token.slice(0, first)) !== curve.alg) return token;
  const encoded = token.slice(last + 1);
  const signature = Buffer.from(encoded, 'base64url');
  // Only a canonically encoded signature: a malformed spelling must never share a key (and so
  // a remembered refusal) with a well-formed one.
  if (signature.length !== curve.bytes || signature.toString('base64url') !== encoded) return token;
  const half = curve.bytes / 2;
  const s = BigInt(`0x${signature.subarray(half).toString('hex')}`);
  if (s <= curve.order >> 1n || s >= curve.order) return token;
  const low = Buffer.from((curve.order - s).toString(16).padStart(half * 2, '0'), 'hex');
  return `${token.slice(0, last + 1)}${Buffer.concat([signature.subarray(0, half), low]).toString('base64url')}`;
}

function headerAlg(segment: string): unknown {
  try {
    return (JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as { alg?: unknown } | null)?.alg;
  } catch {
    return undefined;
  }
}
