/**
 * Strict base64 for keys and signatures.
 *
 * Node's `Buffer.from(text, 'base64')` never fails: it skips characters it does not know and
 * stops at the first `=`. For a signature that would turn garbage into a shorter byte string
 * and leave the length check as the only defence, so input is checked against the RFC 4648
 * §4 alphabet with padding, and must re-encode to itself (no stray bits in the last
 * character), before it is decoded.
 *
 * @see [RFC 4648 §4 - Base 64 Encoding](https://www.rfc-editor.org/rfc/rfc4648#section-4)
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes canonical, padded base64. Returns `undefined` for anything else, or when
 * `expectedLength` is given and the bytes are not exactly that long.
 */
export function decodeBase64(text: string, expectedLength?: number): Buffer | undefined {
  if (text.length === 0 || !BASE64.test(text)) return undefined;
  if (expectedLength !== undefined && text.length !== Math.ceil(expectedLength / 3) * 4) {
    return undefined;
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return undefined;
  if (expectedLength !== undefined && bytes.length !== expectedLength) return undefined;
  return bytes;
}
