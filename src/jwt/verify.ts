/**
 * Folder `jwt/`: local verification (JWS decoding, node:crypto signatures, RFC 9068/8725
 * rules, the JWKS key cache). Its one rule: decide only what the token and its issuer's keys
 * can decide; what they cannot is reported as such, never guessed.
 *
 * Local verification of JWT access tokens: the RFC 7515 signature check (`signature.ts`,
 * node:crypto) plus the RFC 9068 and RFC 8725 rules, checked in this order:
 * 1. `alg`: never `none`; HMAC only with a configured secret (else: introspection decides,
 *    once the checks up to 3 passed); asymmetric only from the allow-list;
 * 2. `typ`: `at+jwt`, `application/at+jwt`, `JWT` or absent (only `at+jwt` with `strictTyp`);
 *    `crit` is refused unless understood (none is);
 * 3. `iss`: one of the configured issuers, which picks the key set (and, for a token local
 *    checks cannot decide, the one introspection endpoint that may);
 * 4. key by `kid` (one refetch for an unknown kid), then the signature; `jku`, `x5u`, `jwk`
 *    headers are never used;
 * 5. claims: a declared use other than access (`typ: "ID"`, `token_use: "id"`), `aud` (a
 *    string or an array), `exp` (required), `nbf`, `iat`, `maxTokenAge`.
 *
 * Whether `aud` names *this* API is checked per call (`auth/audience.ts`), not here: a route may
 * accept another audience than the guard, and the verified token is cached for all of them;
 * so is a missing `aud`, which a guard with `clientIds` alone accepts.
 *
 * It does not check `sub`, `client_id` or `jti` presence (RFC 9068 asks servers to send
 * them, and many do not), nor revocation: that needs `introspection.introspectJwt`.
 *
 * @see [RFC 9068 §4 - Validating JWT Access Tokens](https://www.rfc-editor.org/rfc/rfc9068#section-4)
 * @see [RFC 8725 - JSON Web Token Best Current Practices](https://www.rfc-editor.org/rfc/rfc8725)
 */
import type { KeyObject } from 'node:crypto';
import { OAuthError } from '../errors/oauth-error.js';
import { invalidToken } from '../errors/factories.js';
import { formatDuration } from '../errors/duration.js';
import type { KeyLookup, VerificationKey } from './jwks.js';
import type { GuardConfig } from '../options/normalize.js';
import { UnusableKeyError, verifySignature } from './signature.js';
import { declaredNonAccessUse } from '../auth/token-use.js';

/** A compact JWS split and decoded, before any verification. */
export interface DecodedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  /** `header.payload` as sent: the bytes the signature covers. */
  signingInput: string;
  /** The third part, base64url as sent. */
  signature: string;
}

/** What local verification concluded when it could not decide, so introspection may. */
export interface Undecided {
  undecided: true;
  reason: string;
  /** The token's `iss`, one of the configured issuers: only its own server may decide it. */
  issuer: string;
}

export interface Verified {
  undecided: false;
  payload: Record<string, unknown>;
  issuer: string;
  kid: string | undefined;
  /** RFC 7638 thumbprint of the JWKS key that verified the signature; `undefined` for HMAC. */
  thumbprint: string | undefined;
  /** Verified with the configured HMAC secret rather than a JWKS key. */
  hmac: boolean;
}

/** Finds the keys of `issuer` for a token's `alg`/`kid`. */
export type KeyResolver = (issuer: string, alg: string, kid: string | undefined) => Promise<KeyLookup>;

/**
 * Decodes a compact JWS without verifying it: three base64url parts whose header and
 * payload are JSON objects and whose header names an `alg`. `undefined` for anything else.
 */
export function decodeJws(token: string): DecodedJws | undefined {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) return undefined;
  const header = decodeSegment(token.slice(0, first));
  if (header === undefined || typeof header.alg !== 'string') return undefined;
  const payload = decodeSegment(token.slice(first + 1, second));
  if (payload === undefined) return undefined;
  return { header, payload, signingInput: token.slice(0, second), signature: token.slice(second + 1) };
}

/** One base64url part of a compact JWS as a JSON object, or `undefined`. */
export function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refusals that no later moment can reverse (a bad signature by a known key, a forbidden
 * algorithm, an untrusted issuer, a malformed token): the verifier may remember them.
 * Time-dependent ones (`exp`, `nbf`, `iat`) are not in here.
 */
const PERMANENT = new WeakSet<OAuthError>();

function refuse(description: string, cause?: unknown): OAuthError {
  const err = invalidToken(description, cause);
  PERMANENT.add(err);
  return err;
}

/** True for a refusal {@link verifyJwt} made that stays true for this token forever. */
export function isPermanentRefusal(err: unknown): err is OAuthError {
  return err instanceof OAuthError && PERMANENT.has(err);
}

/** Verifies a decoded JWS; throws 401 for decisive failures, returns {@link Undecided} otherwise. */
export async function verifyJwt(
  decoded: DecodedJws,
  config: GuardConfig,
  resolveKeys: KeyResolver,
): Promise<Verified | Undecided> {
  // The spare bits of each part's last character must be zero (RFC 4648 §3.5): otherwise
  // up to 15 other spellings of a token verify too, each a distinct token to every cache.
  if (!isCanonicalJws(decoded)) throw refuse('malformed JWT: a part is not canonical base64url (cut short or altered?)');
  const { header, payload } = decoded;
  const alg = header.alg as string;
  const hmac = checkAlgorithm(alg, config);
  checkType(header.typ, config.strictTyp);
  // No extension is understood, so any `crit` makes the token unverifiable (RFC 7515 §4.1.11).
  if (header.crit !== undefined) throw refuse('token uses an unsupported or critical header');
  const issuer = checkIssuer(payload.iss, config.issuers);
  if (hmac === 'undecided') {
    return { undecided: true, reason: `${alg} tokens cannot be verified locally without a shared secret`, issuer };
  }
  const kid = typeof header.kid === 'string' ? header.kid : undefined;

  let keys: ReadonlyArray<{ key: KeyObject; thumbprint?: VerificationKey['thumbprint'] }>;
  if (hmac) {
    keys = [{ key: config.hmacKey! }];
  } else {
    const lookup = await resolveKeys(issuer, alg, kid);
    if (!lookup.found) return { undecided: true, reason: lookup.reason, issuer };
    keys = lookup.keys;
  }
  const { thumbprint } = await checkSignature(decoded, alg, keys);
  checkClaims(payload, config);
  return { undecided: false, payload, issuer, kid, thumbprint, hmac };
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** True when every part of a compact JWS is base64url in its one canonical spelling. */
function isCanonicalJws({ signingInput, signature }: DecodedJws): boolean {
  const dot = signingInput.indexOf('.');
  return (
    isCanonicalBase64url(signingInput.slice(0, dot)) &&
    isCanonicalBase64url(signingInput.slice(dot + 1)) &&
    isCanonicalBase64url(signature)
  );
}

/**
 * Unpadded base64url whose last character leaves no bits set beyond the data: a length of
 * 4n+2 characters carries 4 spare bits, 4n+3 two, 4n none, and 4n+1 is not base64 at all.
 */
export function isCanonicalBase64url(segment: string): boolean {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return false;
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = BASE64URL.indexOf(segment[segment.length - 1]!);
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** `true` for HMAC with a secret, `false` for asymmetric, `'undecided'` for HMAC without. */
function checkAlgorithm(alg: string, config: GuardConfig): boolean | 'undecided' {
  if (alg.toLowerCase() === 'none') throw refuse("unsigned tokens (alg 'none') are not accepted");
  if (alg.startsWith('HS')) {
    if (config.hmacKey === undefined) return 'undecided';
    if (!config.algorithms.has(alg)) throw refuse(`algorithm ${alg} not allowed`);
    return true;
  }
  if (!config.algorithms.has(alg)) throw refuse(`algorithm ${safe(alg)} not allowed`);
  return false;
}

function checkType(typ: unknown, strict: boolean): void {
  if (typ === undefined) {
    if (strict) throw refuse('token type missing: "at+jwt" required');
    return;
  }
  const normalized = typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : undefined;
  if (normalized === 'at+jwt') return;
  if (normalized === 'jwt' && !strict) return;
  throw refuse(
    typeof typ === 'string' ? `token type "${safe(typ)}" is not an access token type` : 'token type is not a string',
  );
}

function checkIssuer(iss: unknown, issuers: readonly string[]): string {
  if (typeof iss !== 'string') throw refuse('token has no issuer');
  if (!issuers.includes(iss)) throw refuse('issuer not trusted');
  return iss;
}

/**
 * Tries each candidate key (several can share a kid, or none is named); one must verify, and
 * it is returned, so what it verified can be dropped when it leaves the key set.
 */
async function checkSignature<K extends { key: KeyObject }>(decoded: DecodedJws, alg: string, keys: readonly K[]): Promise<K> {
  const signingInput = Buffer.from(decoded.signingInput, 'latin1');
  const signature = Buffer.from(decoded.signature, 'base64url');
  for (const candidate of keys) {
    let valid: boolean;
    try {
      valid = await verifySignature(alg, candidate.key, signingInput, signature);
    } catch (err) {
      if (err instanceof UnusableKeyError) throw refuse("token cannot be verified with the issuer's key", err);
      throw err;
    }
    if (valid) return candidate;
  }
  throw refuse('invalid signature');
}

function checkClaims(payload: Record<string, unknown>, config: GuardConfig): void {
  const now = Math.floor(Date.now() / 1000);
  const tolerance = config.clockTolerance;

  const use = declaredNonAccessUse(payload);
  if (use !== undefined) throw refuse(`token type "${safe(use.value)}" (claim ${use.claim}) is not an access token`);
  const aud = payload.aud;
  if (aud !== undefined && typeof aud !== 'string' && !Array.isArray(aud)) throw refuse('token audience is malformed');

  const { exp, nbf, iat } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalidToken("token has no valid 'exp'");
  if (now - tolerance >= exp) throw invalidToken(`token expired ${formatDuration(now - exp)} ago`);
  if (nbf !== undefined) {
    if (typeof nbf !== 'number' || !Number.isFinite(nbf)) throw invalidToken("'nbf' is not a number");
    if (nbf > now + tolerance) throw invalidToken(`token not valid before ${formatDuration(nbf - now)} from now`);
  }
  if (iat !== undefined) {
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidToken("'iat' is not a number");
    if (iat > now + tolerance) throw invalidToken('token issued in the future');
  }
  if (config.maxTokenAge !== undefined) {
    if (typeof iat !== 'number') throw invalidToken("token has no 'iat' and a maximum age is required");
    if (now - iat - tolerance > config.maxTokenAge) throw invalidToken(`token older than ${config.maxTokenAge} s`);
  }
}

/** A header value fit for a description: short, printable. */
function safe(value: string): string {
  return value.replace(/[^\x21-\x7e]/g, '').slice(0, 32);
}
