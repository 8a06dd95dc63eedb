/**
 * Turning configured keys into verification material, once, at construction.
 *
 * Every mistake here throws a `TypeError` naming the option (`"publicKey[1]" ...`), so a
 * bad key stops the app at startup instead of refusing every delivery later. A private key
 * is refused even though a public key could be derived from it: the receiving side should
 * never hold the signing key.
 */
import { createPublicKey, KeyObject } from 'node:crypto';
import { decodeBase64 } from './base64.js';

/**
 * An Ed25519 public key: base64 of its raw 32 bytes (as the Telnyx portal shows it), PEM, or
 * a `KeyObject`. Standard Webhooks' `whpk_` prefix is accepted by `standardWebhook()`.
 *
 * @example
 * ```ts
 * const fromPortal: Ed25519PublicKeyInput = 'ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=';
 * const fromFile: Ed25519PublicKeyInput = readFileSync('telnyx-public.pem', 'utf8');
 * const fromObject: Ed25519PublicKeyInput = createPublicKey(fromFile);
 * ```
 */
export type Ed25519PublicKeyInput = string | KeyObject;

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 key bytes follow (RFC 8410 §4). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_KEY_BYTES = 32;
/** HMAC keys shorter than this are a mistake (a password, a placeholder), not a secret. */
const MIN_SECRET_BYTES = 16;
const SECRET_PREFIX = 'whsec_';
const PUBLIC_KEY_PREFIX = 'whpk_';

/** One or several values of an option, as an array with at least one element. */
function toList(value: unknown, option: string): unknown[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new TypeError(`"${option}" must not be an empty array`);
  return list;
}

/**
 * Parses one or several Ed25519 public keys.
 * @param acceptPrefixed also accept Standard Webhooks' `whpk_` serialisation.
 */
export function parseEd25519PublicKeys(
  value: unknown,
  option: string,
  acceptPrefixed = false,
): KeyObject[] {
  const list = toList(value, option);
  return list.map((item, i) =>
    parseEd25519PublicKey(item, Array.isArray(value) ? `${option}[${i}]` : option, acceptPrefixed),
  );
}

function parseEd25519PublicKey(value: unknown, name: string, acceptPrefixed: boolean): KeyObject {
  const expected = `"${name}" must be an Ed25519 public key: base64 of its 32 bytes, PEM, or a KeyObject`;
  if (value instanceof KeyObject) {
    if (value.type !== 'public') throw new TypeError(`"${name}" is a ${value.type} key; pass the public key`);
    if (value.asymmetricKeyType !== 'ed25519') throw new TypeError(expected);
    return value;
  }
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(expected);
  const text = value.trim();
  if (text.includes('PRIVATE KEY') || text.startsWith('whsk_')) {
    throw new TypeError(`"${name}" is a private (signing) key; pass the public key`);
  }
  if (text.startsWith('-----BEGIN')) {
    let key: KeyObject;
    try {
      key = createPublicKey(text);
    } catch (cause) {
      throw new TypeError(expected, { cause });
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(expected);
    return key;
  }
  const b64 = acceptPrefixed && text.startsWith(PUBLIC_KEY_PREFIX) ? text.slice(PUBLIC_KEY_PREFIX.length) : text;
  const bytes = decodeBase64(padBase64(b64));
  // Some tools export the whole SubjectPublicKeyInfo rather than the raw key; both are fine.
  const der =
    bytes?.length === ED25519_KEY_BYTES
      ? Buffer.concat([ED25519_SPKI_PREFIX, bytes])
      : bytes?.length === ED25519_SPKI_PREFIX.length + ED25519_KEY_BYTES &&
          bytes.subarray(0, ED25519_SPKI_PREFIX.length).equals(ED25519_SPKI_PREFIX)
        ? bytes
        : undefined;
  if (der === undefined) throw new TypeError(expected);
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/**
 * Parses one or several Standard Webhooks symmetric secrets: `whsec_` followed by base64
 * (the prefix may be left out, as the reference libraries allow).
 */
export function parseHmacSecrets(value: unknown, option: string): Buffer[] {
  const list = toList(value, option);
  return list.map((item, i) => parseHmacSecret(item, Array.isArray(value) ? `${option}[${i}]` : option));
}

function parseHmacSecret(value: unknown, name: string): Buffer {
  const expected = `"${name}" must be a Standard Webhooks secret: "${SECRET_PREFIX}" followed by base64`;
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(expected);
  const text = value.trim();
  if (text.startsWith('whpk_') || text.startsWith('whsk_')) {
    throw new TypeError(`"${name}" is an Ed25519 key, not an HMAC secret: pass the whpk_ public key as "publicKey"`);
  }
  const b64 = text.startsWith(SECRET_PREFIX) ? text.slice(SECRET_PREFIX.length) : text;
  const bytes = decodeBase64(padBase64(b64));
  if (bytes === undefined) throw new TypeError(expected);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new TypeError(`"${name}" is too short: ${bytes.length} bytes, at least ${MIN_SECRET_BYTES} expected`);
  }
  return bytes;
}

/** Configured keys are sometimes copied without their trailing `=`; signatures never are. */
function padBase64(text: string): string {
  const rest = text.length % 4;
  return rest === 2 ? `${text}==` : rest === 3 ? `${text}=` : text;
}
