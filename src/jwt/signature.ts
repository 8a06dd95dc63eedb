/**
 * JWS signature verification (RFC 7515 §5.2) with node:crypto's one-shot `verify`.
 *
 * Why not jose's `compactVerify`: jose 6 verifies through WebCrypto, which converts the key
 * and copies the data on every call; on a miss of the verified-token cache that was most of
 * the guard's cost. The callback form of `crypto.verify` runs the check on the libuv pool, so
 * the event loop serves other requests meanwhile. HMAC is compared in constant time.
 *
 * What callers have settled before this runs (verify.ts, jwks.ts): the token is three canonical
 * base64url parts, `alg` is allowed, no `crit` header is present, and the key's type and
 * curve fit `alg`. What is checked here: the key is a usable key of that type (RSA keys of at
 * least 2048 bits, RFC 7518 §3.3), and the signature.
 *
 * @see [RFC 7515 §5.2 - Message Signature or MAC Validation](https://www.rfc-editor.org/rfc/rfc7515#section-5.2)
 * @see [RFC 7518 §3 - Cryptographic Algorithms for Digital Signatures and MACs](https://www.rfc-editor.org/rfc/rfc7518#section-3)
 */
import { constants, createHmac, timingSafeEqual, verify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';

/** Thrown when the key cannot verify `alg` at all; the token is refused, not the key set. */
export class UnusableKeyError extends Error {
  override readonly name = 'UnusableKeyError';
}

type Scheme =
  | { kind: 'hmac'; digest: string }
  | { kind: 'rsa'; digest: string; pss: boolean }
  | { kind: 'ec'; digest: string; curve: string; signatureLength: number }
  | { kind: 'okp'; curves: readonly string[] };

const SCHEMES: Readonly<Record<string, Scheme>> = {
  HS256: { kind: 'hmac', digest: 'sha256' },
  HS384: { kind: 'hmac', digest: 'sha384' },
  HS512: { kind: 'hmac', digest: 'sha512' },
  RS256: { kind: 'rsa', digest: 'sha256', pss: false },
  RS384: { kind: 'rsa', digest: 'sha384', pss: false },
  RS512: { kind: 'rsa', digest: 'sha512', pss: false },
  PS256: { kind: 'rsa', digest: 'sha256', pss: true },
  PS384: { kind: 'rsa', digest: 'sha384', pss: true },
  PS512: { kind: 'rsa', digest: 'sha512', pss: true },
  // JWS carries R‖S at fixed length (RFC 7518 §3.4), not DER.
  ES256: { kind: 'ec', digest: 'sha256', curve: 'prime256v1', signatureLength: 64 },
  ES384: { kind: 'ec', digest: 'sha384', curve: 'secp384r1', signatureLength: 96 },
  ES512: { kind: 'ec', digest: 'sha512', curve: 'secp521r1', signatureLength: 132 },
  EdDSA: { kind: 'okp', curves: ['ed25519', 'ed448'] },
  Ed25519: { kind: 'okp', curves: ['ed25519'] },
};

/** RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used". */
const MIN_RSA_BITS = 2048;

/** The JWS algorithms this module verifies. */
export const SIGNATURE_ALGORITHMS: readonly string[] = Object.freeze(Object.keys(SCHEMES));

/**
 * Whether `signature` (raw bytes) over `signingInput` is valid for `alg` under `key`.
 * Resolves `false` for a wrong signature; rejects with {@link UnusableKeyError} when `key`
 * cannot verify `alg` (wrong type, curve or size).
 */
export function verifySignature(alg: string, key: KeyObject, signingInput: Buffer, signature: Buffer): Promise<boolean> {
  const scheme = SCHEMES[alg];
  if (scheme === undefined) return Promise.reject(new UnusableKeyError(`unsupported algorithm ${alg}`));
  let input: VerifyKeyObjectInput;
  try {
    if (scheme.kind === 'hmac') return Promise.resolve(verifyHmac(scheme.digest, key, signingInput, signature));
    input = keyInput(alg, scheme, key);
  } catch (err) {
    return Promise.reject(err);
  }
  if (scheme.kind === 'ec' && signature.length !== scheme.signatureLength) return Promise.resolve(false);
  const digest = scheme.kind === 'okp' ? null : scheme.digest;
  return new Promise((resolve) => {
    // OpenSSL errors on malformed signatures (wrong length, bad encoding): a wrong signature.
    verify(digest, signingInput, input, signature, (err, valid) => resolve(err === null && valid));
  });
}

function verifyHmac(digest: string, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  if (key.type !== 'secret') throw new UnusableKeyError('HMAC needs a secret key');
  const expected = createHmac(digest, key).update(signingInput).digest();
  return expected.length === signature.length && timingSafeEqual(expected, signature);
}

function keyInput(alg: string, scheme: Exclude<Scheme, { kind: 'hmac' }>, key: KeyObject): VerifyKeyObjectInput {
  if (key.type !== 'public') throw new UnusableKeyError(`${alg} needs a public key`);
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  switch (scheme.kind) {
    case 'rsa':
      // An `RSA-PSS` key verifies PS* only; a plain `rsa` key verifies both families.
      if (type !== 'rsa' && !(scheme.pss && type === 'rsa-pss')) throw new UnusableKeyError(`${alg} needs an RSA key`);
      if ((details?.modulusLength ?? 0) < MIN_RSA_BITS) throw new UnusableKeyError(`${alg} needs an RSA key of at least ${MIN_RSA_BITS} bits`);
      return scheme.pss
        ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : { key, padding: constants.RSA_PKCS1_PADDING };
    case 'ec':
      if (type !== 'ec' || details?.namedCurve !== scheme.curve) throw new UnusableKeyError(`${alg} needs an EC key on ${scheme.curve}`);
      return { key, dsaEncoding: 'ieee-p1363' };
    case 'okp':
      if (type === undefined || !scheme.curves.includes(type)) throw new UnusableKeyError(`${alg} needs an ${scheme.curves.join(' or ')} key`);
      return { key };
  }
}
