/**
 * Which DPoP proof keys are worth verifying (RFC 9449 §4.3 step 5, "the jwk is a public key
 * that fits alg"). The client picks the key, and with it the cost of a verification: an RSA
 * key with a huge public exponent or modulus costs milliseconds each time, and a refused
 * request does not spend its `jti`, so one such proof could be sent again and again. So,
 * before any import or signature work: no private members; an RSA key only with `e` = 65537
 * and a 2048–4096-bit modulus; an EC or OKP key only on the one curve its algorithm names.
 *
 * @see [RFC 7518 §6 - Cryptographic Algorithms for Keys](https://www.rfc-editor.org/rfc/rfc7518#section-6)
 */

/** JWK members that only private (or symmetric) keys have (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** RSA proof keys: the sizes clients use; anything else only adds verification cost. */
const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 4096;
/** base64url characters of a 4096-bit modulus with a spare leading zero octet, rounded up. */
const MAX_MODULUS_CHARS = 690;
/** The key type, and for EC/OKP the curve, each proof algorithm takes (RFC 7518 §3, RFC 8037, RFC 9864). */
const KEY_SHAPES: Readonly<Record<string, { kty: 'RSA' | 'EC' | 'OKP'; crv?: string }>> = Object.freeze({
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519' },
  PS256: { kty: 'RSA' },
  PS384: { kty: 'RSA' },
  PS512: { kty: 'RSA' },
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
});

/** What is wrong with `jwk` as a proof key for `alg` (a phrase after "DPoP proof"), or `undefined`. */
export function proofKeyProblem(jwk: Record<string, unknown>, alg: string): string | undefined {
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return 'jwk contains private key material';
  const shape = KEY_SHAPES[alg];
  if (shape === undefined) return `algorithm ${alg} has no key type`;
  if (jwk.kty !== shape.kty) return `jwk is not a ${shape.kty} key, as ${alg} needs`;
  if (shape.kty !== 'RSA') return jwk.crv === shape.crv ? undefined : `jwk is not on ${shape.crv}, as ${alg} needs`;
  // 65537, in the minimal big-endian encoding RFC 7518 §6.3.1.2 asks for.
  if (jwk.e !== 'AQAB') return 'RSA key exponent must be 65537';
  const bits = typeof jwk.n === 'string' && jwk.n.length <= MAX_MODULUS_CHARS ? bitLength(jwk.n) : Infinity;
  if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) return `RSA key modulus must be ${RSA_MIN_BITS}-${RSA_MAX_BITS} bits`;
  return undefined;
}

/** Bits of a base64url big-endian unsigned integer, leading zero octets not counted. */
function bitLength(base64url: string): number {
  if (!/^[A-Za-z0-9_-]*$/.test(base64url)) return 0;
  const bytes = Buffer.from(base64url, 'base64url');
  let first = 0;
  while (first < bytes.length && bytes[first] === 0) first++;
  if (first === bytes.length) return 0;
  return (bytes.length - first - 1) * 8 + (32 - Math.clz32(bytes[first]!));
}
