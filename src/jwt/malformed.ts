/**
 * Why a token that looks like a JWT is not one, in words a developer can act on. A token
 * that begins like a JOSE header (`eyJ`, base64url of `{"`) but does not decode as a compact
 * JWS was cut short, split or pasted wrongly far more often than it is an opaque token that
 * happens to start that way: "malformed JWT: 2 parts, a JWT has 3" says so, where "opaque
 * tokens need introspection" would send its reader after the wrong problem.
 *
 * It only words the refusal. The routing stays DESIGN's: anything that is not a three-part
 * JWS is opaque, so with introspection on such a token is still introspected.
 */
import { decodeSegment } from './verify.js';

/** base64url of `{"`, how every JSON-object JOSE header starts. */
const JOSE_HEADER_START = 'eyJ';

/**
 * `"malformed JWT: …"` for a token that looks like a JWT (or like one pasted with its
 * `Bearer ` prefix) and does not decode as one; `undefined` for anything else, including a
 * JWE (five parts) and tokens that do not look like a JWT at all.
 */
export function malformedJwtReason(token: string): string | undefined {
  const bearer = /^bearer\s+/i.exec(token);
  if (bearer !== null) {
    return token.startsWith(JOSE_HEADER_START, bearer[0].length)
      ? "malformed JWT: it starts with 'Bearer '; the token is what follows"
      : undefined;
  }
  if (!token.startsWith(JOSE_HEADER_START)) return undefined;
  if (/\s/.test(token)) return 'malformed JWT: it contains white space';
  const parts = token.split('.');
  if (parts.length === 5) return undefined;
  if (parts.length !== 3) return `malformed JWT: ${parts.length} part${parts.length === 1 ? '' : 's'}, a JWT has 3 (cut short?)`;
  const [header, payload] = parts as [string, string, string];
  const decodedHeader = decodeSegment(header);
  if (decodedHeader === undefined) return 'malformed JWT: its header is not base64url-encoded JSON';
  if (typeof decodedHeader.alg !== 'string') return "malformed JWT: its header names no 'alg'";
  if (decodeSegment(payload) === undefined) return 'malformed JWT: its payload is not base64url-encoded JSON (cut short?)';
  return undefined;
}
