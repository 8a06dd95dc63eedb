/**
 * Sender-constrained tokens on a request: which scheme may carry which token, the DPoP proof
 * (RFC 9449) and the client certificate (RFC 8705) a bound token needs. Framework-free: it
 * takes the credentials `auth/extract.ts` found and plain request facts (method, URL, `DPoP` header
 * values, client certificate), and returns the `AuthInfo` for this request.
 *
 * The rules, in the order they apply:
 * 1. `Bearer` on a route with `dpop: 'required'`: 401 `invalid_token` under `DPoP`, before
 *    any work on the token;
 * 2. `DPoP`: the proof is checked first (no call to the authorization server for a bad one);
 * 3. the token is verified (from the verified-token cache when possible: the proof and
 *    certificate checks below still run on every request);
 * 4. a `cnf` the guard cannot check (not an object, or neither `jkt` nor `x5t#S256`) is refused;
 * 5. `DPoP`: the token must have `cnf.jkt` (RFC 9449 §7.1: nothing to bind to otherwise), and
 *    it must be the proof key's thumbprint; `Bearer` with `cnf.jkt`: refused (§7.2);
 * 6. `cnf["x5t#S256"]`: the client certificate must be the one it names (RFC 8705 §3);
 * 7. `DPoP`: only now the proof's `jti` is marked used, so a refused request spends nothing.
 *
 * @see [RFC 9449 §7 - Protected Resource Access](https://www.rfc-editor.org/rfc/rfc9449#section-7)
 * @see [RFC 8705 §3 - Mutual-TLS Client Certificate-Bound Access Tokens](https://www.rfc-editor.org/rfc/rfc8705#section-3)
 */
import type { AudienceCheck } from '../auth/audience.js';
import { withAuthFields, type AuthInfo } from '../auth/info.js';
import { OAuthError, type AuthScheme } from '../errors/oauth-error.js';
import { invalidDpopProof } from '../sender/dpop.js';
import { certificateMismatch } from '../sender/mtls.js';
import type { DpopMode } from '../options/sender.js';
import { withSenderChallenge } from '../sender/challenge.js';
import type { Credentials } from '../auth/extract.js';
import { publishAccepted, publishRejected } from './token-events.js';
import type { TokenVerifier } from './verifier.js';
import { optionNames } from '../errors/unknown-option.js';

/** The facts of a request that sender constraints are checked against. */
export interface SenderRequest {
  /** The request method, upper case. */
  readonly method: string;
  /** The absolute URL the client addressed (`htu`); query and fragment are ignored. */
  readonly url: string;
  /** Every value of the `DPoP` request header; empty when there is none. */
  readonly dpop: readonly string[];
  /** DER bytes of the client certificate (TLS connection or trusted proxy), if any. */
  readonly certificate: Uint8Array | undefined;
}

/** What a request authenticated as, and the `DPoP-Nonce` to send with the answer, if any. */
export interface SenderResult {
  auth: AuthInfo;
  nonce: string | undefined;
}

/**
 * `true` when `auth` (a cache hit) may be used for `scheme` as it is: a bearer token with no
 * `cnf` on a route that takes bearer tokens. Everything else goes through {@link authenticateSender}.
 */
export function isPlainBearer(auth: AuthInfo, scheme: AuthScheme, mode: DpopMode): boolean {
  return scheme === 'Bearer' && mode !== 'required' && (auth.claims as Record<string, unknown>).cnf === undefined;
}

/**
 * Authenticates `credentials` on a request: rules 1–7 above. Rejects with an `OAuthError`;
 * errors about the request's scheme say so in `scheme` (the caller renders the challenge).
 */
export async function authenticateSender(
  verifier: TokenVerifier,
  credentials: Credentials,
  request: SenderRequest | (() => SenderRequest),
  mode: DpopMode,
  hash?: string,
  audience?: AudienceCheck,
): Promise<SenderResult> {
  const start = performance.now();
  let result: SenderResult & { cached: boolean };
  try {
    result = await checkSender(verifier, credentials, request, mode, hash, audience);
  } catch (err) {
    // `check` reports its own refusals; the proof, binding and replay checks are reported here.
    if (err instanceof VerifyFailure) throw err.cause;
    publishRejected(err, credentials.token, verifier.config.issuers, start, credentials.scheme);
    throw err;
  }
  // Accepted only now that the proof, the binding and the certificate passed too.
  publishAccepted(result.auth, start, result.cached);
  return { auth: result.auth, nonce: result.nonce };
}

/** Wraps a rejection of `verifier.check`, which has already been reported. */
class VerifyFailure {
  constructor(readonly cause: unknown) {}
}

async function checkSender(
  verifier: TokenVerifier,
  { token, scheme }: Credentials,
  request: SenderRequest | (() => SenderRequest),
  mode: DpopMode,
  hash: string | undefined,
  audience: AudienceCheck | undefined,
): Promise<SenderResult & { cached: boolean }> {
  if (scheme === 'Bearer' && mode === 'required') throw dpopRequired();
  const facts = typeof request === 'function' ? request() : request;
  const proof =
    scheme === 'DPoP'
      ? await verifier.dpop.verify({ method: facts.method, url: facts.url, proofs: facts.dpop, token })
      : undefined;
  const { auth: verified, cached } = await verifier.check(token, hash, audience).catch((err: unknown) => {
    throw new VerifyFailure(err);
  });
  const { jkt, x5t } = checkConfirmation(verified, scheme);
  if (proof !== undefined) {
    if (jkt === undefined) throw tokenError('token is not DPoP-bound (no cnf.jkt): send it with the Bearer scheme', 'DPoP');
    // DESIGN: a refused proof is invalid_dpop_proof; a proof by a key other than the bound one is refused.
    if (jkt !== proof.jkt) throw invalidDpopProof('DPoP proof key does not match the token binding (cnf.jkt)');
  } else if (jkt !== undefined) {
    throw tokenError(
      mode === 'disabled'
        ? 'DPoP-bound tokens are not accepted here'
        : 'DPoP-bound token presented as a bearer token: use the DPoP scheme with a proof',
      'Bearer',
    );
  }
  if (x5t !== undefined) {
    const mismatch = certificateMismatch(x5t, facts.certificate);
    if (mismatch !== undefined) throw tokenError(mismatch, scheme);
  }
  if (proof !== undefined) await verifier.dpop.markUsed(proof);
  const auth = scheme === verified.scheme ? verified : dpopVariant(verified);
  return { auth, nonce: proof?.nextNonce, cached };
}

/**
 * The `scheme: 'DPoP'` twin of a cached `AuthInfo`, made once per cached decision (it dies
 * with it), so a DPoP request answered from the cache allocates no new `AuthInfo`.
 */
const dpopVariants = new WeakMap<AuthInfo, AuthInfo>();

function dpopVariant(verified: AuthInfo): AuthInfo {
  let variant = dpopVariants.get(verified);
  if (variant === undefined) dpopVariants.set(verified, (variant = withAuthFields(verified, { scheme: 'DPoP' })));
  return variant;
}

/**
 * For a `req.auth` an earlier middleware set: the error when a route in `mode` must not take
 * it (`'required'` and not DPoP; `'disabled'` and DPoP), else `undefined`.
 */
export function routeSchemeError(auth: AuthInfo, mode: DpopMode): OAuthError | undefined {
  if (mode === 'required' && auth.scheme !== 'DPoP') return dpopRequired();
  if (mode === 'disabled' && auth.scheme === 'DPoP') return tokenError('DPoP-bound tokens are not accepted here', 'Bearer');
  return undefined;
}

/** The request a token came with, for `guard.verify(token, { request })`. */
export interface VerifyRequest {
  /** The scheme of the `Authorization` header. Default: `'Bearer'`. */
  scheme?: AuthScheme;
  /** The request method, upper case. */
  method: string;
  /** The absolute URL the client addressed, as `htu` names it. */
  url: string;
  /** The `DPoP` header: its value, or every value when it was repeated. */
  dpop?: string | readonly string[];
  /** DER bytes of the client's TLS certificate, for certificate-bound tokens. */
  certificate?: Uint8Array;
}

/** The member names of {@link VerifyRequest}, for the strict check of `guard.verify()`. */
export const VERIFY_REQUEST_OPTIONS = optionNames<VerifyRequest>({ scheme: true, method: true, url: true, dpop: true, certificate: true });

/**
 * `guard.verify()`: without `request` the token is a plain bearer token, and a
 * sender-constrained one (any `cnf`) is refused, since nothing proves its sender; with
 * `request` every rule of {@link authenticateSender} applies under the guard's `dpop` mode.
 */
export async function verifyToken(
  verifier: TokenVerifier,
  token: string,
  request: VerifyRequest | undefined,
  audience?: AudienceCheck,
): Promise<AuthInfo> {
  const config = verifier.config.sender;
  const scheme = request?.scheme ?? 'Bearer';
  try {
    if (request === undefined) {
      const { auth, cached, start } = await verifier.check(token, undefined, audience);
      if ((auth.claims as Record<string, unknown>).cnf !== undefined) {
        const refused = tokenError('sender-constrained token (cnf): verify it with its request (method, url, DPoP proof, certificate)', 'Bearer');
        publishRejected(refused, token, verifier.config.issuers, start);
        throw refused;
      }
      publishAccepted(auth, start, cached);
      return auth;
    }
    if (scheme === 'DPoP' && config.dpop === 'disabled') throw tokenError('the DPoP scheme is not accepted here', 'Bearer');
    const dpop = typeof request.dpop === 'string' ? [request.dpop] : (request.dpop ?? []);
    const facts: SenderRequest = { method: request.method, url: request.url, dpop, certificate: request.certificate };
    return (await authenticateSender(verifier, { token, scheme }, facts, config.dpop, undefined, audience)).auth;
  } catch (err) {
    throw err instanceof OAuthError ? err.withContext(withSenderChallenge(verifier.challenge, config, config.dpop, scheme)) : err;
  }
}

/** Rule 4: the `cnf` members this guard checks; refuses a `cnf` it cannot check. */
function checkConfirmation(auth: AuthInfo, scheme: AuthScheme): AuthInfo['confirmation'] {
  const cnf = (auth.claims as Record<string, unknown>).cnf;
  if (cnf === undefined) return auth.confirmation;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) throw tokenError('token cnf claim is not an object', scheme);
  const members = cnf as Record<string, unknown>;
  if (members.jkt !== undefined && typeof members.jkt !== 'string') throw tokenError('token cnf.jkt is not a string', scheme);
  if (members['x5t#S256'] !== undefined && typeof members['x5t#S256'] !== 'string') {
    throw tokenError('token cnf x5t#S256 is not a string', scheme);
  }
  if (members.jkt === undefined && members['x5t#S256'] === undefined) {
    throw tokenError('token is bound by a confirmation method this resource cannot check', scheme);
  }
  return auth.confirmation;
}

function dpopRequired(): OAuthError {
  return tokenError('this resource requires a DPoP-bound token sent with the DPoP scheme and a proof', 'DPoP');
}

function tokenError(description: string, scheme: AuthScheme): OAuthError {
  return new OAuthError({ status: 401, code: 'invalid_token', description, scheme });
}
