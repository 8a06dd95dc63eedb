/**
 * Options of sender-constrained tokens (RFC 9449 DPoP, RFC 8705 mTLS), their defaults and
 * their validation. `normalize.ts` folds them into the guard's frozen config; like everything
 * there, a bad value throws a `TypeError` naming the option, once, in `createGuard`.
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { AsymmetricAlgorithm } from './algorithms.js';
import { duration } from './checks.js';
import { checkOptionNames, optionNames } from '../errors/unknown-option.js';

/**
 * How a guard (or one route) treats DPoP (RFC 9449):
 * - `'allowed'`: bearer and DPoP tokens are both accepted; a DPoP-bound token needs its proof;
 * - `'required'`: only DPoP-bound tokens with a valid proof; plain bearer tokens are refused;
 * - `'disabled'`: the `DPoP` scheme is not understood (no credentials), and DPoP-bound tokens
 *   are refused, since accepting one as a bearer token would throw its binding away.
 */
export type DpopMode = 'allowed' | 'required' | 'disabled';

/** RFC 9449 server-provided nonces (§9). */
export interface DpopNonceOptions {
  /**
   * Key the nonces are derived from (HMAC-SHA256), at least 32 bytes. Give every instance of
   * the API the same one so a nonce from one is good at the others.
   * Default: 32 random bytes per guard.
   */
  secret?: string | Uint8Array;
  /** Seconds a nonce stays current; the one before it is still accepted. Default: 300. */
  lifetime?: number;
}

/** Options of sender-constrained tokens, part of `GuardOptions`. Durations in seconds. */
export interface SenderConstraintOptions {
  /**
   * DPoP (RFC 9449) for every route; `guard.authenticate({ dpop })` overrides it per route.
   * Default: `'allowed'`.
   * @see [RFC 9449 §7 - Protected Resource Access](https://www.rfc-editor.org/rfc/rfc9449#section-7)
   */
  dpop?: DpopMode;
  /**
   * JWS algorithms accepted for DPoP proofs, published as `algs` in challenges and as
   * `dpop_signing_alg_values_supported` in the RFC 9728 document. Asymmetric only.
   * Default: `ES256`, `EdDSA`, `Ed25519`, `ES384`, `ES512`, `PS256`, `PS384`, `PS512`,
   * `RS256`, `RS384`, `RS512`.
   */
  dpopAlgorithms?: readonly AsymmetricAlgorithm[];
  /** How far a proof's `iat` may be from now, either way, in seconds. Default: 60. */
  dpopProofWindow?: number;
  /**
   * Require server-provided nonces in proofs (RFC 9449 §9): a proof without the current one is
   * 401 `use_dpop_nonce` with a `DPoP-Nonce` header, and successful responses carry the next
   * nonce when it changes. Nonces are stateless (HMAC of a time step). Default: `false`.
   */
  dpopNonce?: boolean | DpopNonceOptions;
  /**
   * The public base URL of this API (`https://api.example.com`, or with a path prefix a proxy
   * strips: `https://example.com/api`). DPoP proofs' `htu` is compared with this base plus the
   * request's path. Default: the request's own URL, with Express's `trust proxy` setting
   * deciding whether `X-Forwarded-Proto` and `X-Forwarded-Host` count.
   */
  publicBaseUrl?: string;
  /**
   * Request header in which a TLS-terminating proxy forwards the client certificate, for
   * certificate-bound tokens (RFC 8705 §3) when the TLS connection does not end at Node.
   * Understood forms: RFC 9440 `Client-Cert` (`:base64 DER:`), PEM (URL-encoded as nginx's
   * `$ssl_client_escaped_cert`, or raw), bare base64 DER, and Envoy's
   * `X-Forwarded-Client-Cert` (`Cert="…"`). Default: none (only the TLS connection's own
   * client certificate counts).
   *
   * > [!WARNING]
   * > Name a header only when the proxy always sets or removes it: a client that can send it
   * > itself can claim any certificate. The header is read only from peers that Express's
   * > `trust proxy` trusts; with `trust proxy` unset it is ignored (and the process warns
   * > once). For Envoy's XFCC only the last element counts (the one the proxy in front of
   * > the app wrote): use `SANITIZE_SET` or `APPEND_FORWARD` at the TLS-terminating hop.
   */
  clientCertificateHeader?: string;
}

/** Default DPoP proof algorithms: elliptic curves first, then RSA. */
export const DPOP_ALGORITHMS = Object.freeze([
  'ES256', 'EdDSA', 'Ed25519', 'ES384', 'ES512',
  'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512',
] as const);

/** The option names of `dpopNonce`, for the strict check. */
export const DPOP_NONCE_OPTIONS = optionNames<DpopNonceOptions>({ secret: true, lifetime: true });

/** Every sender-constraint default, on one screen. Durations in seconds. */
export const SENDER_DEFAULTS = Object.freeze({
  dpop: 'allowed' as DpopMode,
  dpopAlgorithms: DPOP_ALGORITHMS,
  dpopProofWindow: 60,
  dpopNonceLifetime: 300,
  /** The in-memory `jti` replay set when the guard has no `store`. */
  replayCache: Object.freeze({ maxEntries: 100_000, maxBytes: 16 * 1024 * 1024 }),
});

/** The validated form of {@link SenderConstraintOptions}. */
export interface SenderConfig {
  dpop: DpopMode;
  /** Proof algorithms, in the order they are published. */
  dpopAlgorithms: readonly string[];
  dpopProofWindow: number;
  dpopNonce: { key: KeyObject; lifetime: number } | undefined;
  publicBaseUrl: URL | undefined;
  /** Lower-cased header name. */
  clientCertificateHeader: string | undefined;
}

const DPOP_MODES: readonly DpopMode[] = ['allowed', 'required', 'disabled'];

/** Checks a `dpop` mode; `name` is the option's name in the message. */
export function toDpopMode(value: unknown, name: string, fallback: DpopMode): DpopMode {
  if (value === undefined) return fallback;
  if (!DPOP_MODES.includes(value as DpopMode)) {
    throw new TypeError(`"${name}" must be "allowed", "required" or "disabled" (got ${JSON.stringify(value)})`);
  }
  return value as DpopMode;
}

/** Validates the sender-constraint options of `createGuard`. */
export function normalizeSenderOptions(options: SenderConstraintOptions): SenderConfig {
  return Object.freeze({
    dpop: toDpopMode(options.dpop, 'dpop', SENDER_DEFAULTS.dpop),
    dpopAlgorithms: toDpopAlgorithms(options.dpopAlgorithms),
    dpopProofWindow: duration(options.dpopProofWindow, 'dpopProofWindow', SENDER_DEFAULTS.dpopProofWindow),
    dpopNonce: toNonce(options.dpopNonce),
    publicBaseUrl: toBaseUrl(options.publicBaseUrl),
    clientCertificateHeader: toHeaderName(options.clientCertificateHeader),
  });
}

function toDpopAlgorithms(value: readonly string[] | undefined): readonly string[] {
  if (value === undefined) return SENDER_DEFAULTS.dpopAlgorithms;
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError('"dpopAlgorithms" must be a non-empty array of asymmetric JWS algorithms');
  }
  const known = new Set<string>(DPOP_ALGORITHMS);
  for (const alg of value) {
    if (!known.has(alg)) {
      throw new TypeError(`"dpopAlgorithms" has ${JSON.stringify(alg)}; supported: ${DPOP_ALGORITHMS.join(', ')}`);
    }
  }
  return Object.freeze([...new Set(value)]);
}

function toNonce(value: SenderConstraintOptions['dpopNonce']): SenderConfig['dpopNonce'] {
  if (value === undefined || value === false) return undefined;
  const options: DpopNonceOptions = value === true ? {} : value;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('"dpopNonce" must be a boolean or an object { secret, lifetime }');
  }
  checkOptionNames(options, DPOP_NONCE_OPTIONS, 'createGuard()', 'dpopNonce.');
  const lifetime = duration(options.lifetime, 'dpopNonce.lifetime', SENDER_DEFAULTS.dpopNonceLifetime, { min: 1 });
  const secret = options.secret;
  let bytes: Buffer;
  if (secret === undefined) bytes = randomBytes(32);
  else if (typeof secret === 'string') bytes = Buffer.from(secret, 'utf8');
  else if (secret instanceof Uint8Array) bytes = Buffer.from(secret);
  else throw new TypeError('"dpopNonce.secret" must be a string or a Uint8Array');
  if (bytes.length < 32) throw new TypeError('"dpopNonce.secret" must be at least 32 bytes');
  return Object.freeze({ key: createSecretKey(bytes), lifetime });
}

function toBaseUrl(value: unknown): URL | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) {
    throw new TypeError(`"publicBaseUrl" must be an absolute http(s) URL without query or fragment (got ${JSON.stringify(value)})`);
  }
  return url;
}

function toHeaderName(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value)) {
    throw new TypeError(`"clientCertificateHeader" must be an HTTP header name (got ${JSON.stringify(value)})`);
  }
  return value.toLowerCase();
}

