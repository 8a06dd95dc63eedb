/**
 * The JWS algorithm allow-list (RFC 8725 §3.1) and the HMAC secret: their constants and the
 * validation of `algorithms` and `hmacSecret`. `normalize.ts` folds them into the guard's
 * frozen config; a bad value throws a `TypeError` naming the option, once, in `createGuard`.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { stringList } from './checks.js';

/** Asymmetric JWS algorithms accepted by default (RFC 8725 §3.1: an explicit allow-list). */
export const ASYMMETRIC_ALGORITHMS = Object.freeze([
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const);

/** HMAC algorithms; only ever used with an explicit `hmacSecret`. */
export const HMAC_ALGORITHMS = Object.freeze(['HS256', 'HS384', 'HS512'] as const);

export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];
export type JwsAlgorithm = AsymmetricAlgorithm | HmacAlgorithm;

/** Validates `algorithms`; by default every asymmetric one, plus HMAC when there is a key. */
export function toAlgorithms(algorithms: readonly string[] | undefined, hasHmacKey: boolean): ReadonlySet<string> {
  if (algorithms === undefined) {
    return new Set<string>(hasHmacKey ? [...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS] : ASYMMETRIC_ALGORITHMS);
  }
  const list = stringList(algorithms, 'algorithms');
  const known = new Set<string>([...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS]);
  for (const alg of list) {
    if (!known.has(alg)) {
      throw new TypeError(`"algorithms" has ${JSON.stringify(alg)}; supported: ${[...known].join(', ')}`);
    }
    if (alg.startsWith('HS') && !hasHmacKey) {
      throw new TypeError(`"algorithms" has ${alg}, which needs "hmacSecret"`);
    }
  }
  return new Set(list);
}

/** Validates `hmacSecret` (at least 32 bytes, RFC 7518 §3.2) into a secret `KeyObject`. */
export function toHmacKey(secret: string | Uint8Array | KeyObject | undefined): KeyObject | undefined {
  if (secret === undefined) return undefined;
  if (typeof secret === 'string') {
    if (secret.length < 32) throw new TypeError('"hmacSecret" must be at least 32 characters (RFC 7518 §3.2)');
    return createSecretKey(Buffer.from(secret, 'utf8'));
  }
  if (secret instanceof Uint8Array) {
    if (secret.byteLength < 32) throw new TypeError('"hmacSecret" must be at least 32 bytes (RFC 7518 §3.2)');
    return createSecretKey(Buffer.from(secret));
  }
  if (typeof secret === 'object' && secret !== null && (secret as KeyObject).type === 'secret') return secret;
  throw new TypeError('"hmacSecret" must be a string, a Uint8Array or a secret KeyObject');
}
