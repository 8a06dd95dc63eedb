/**
 * Folder `sender/`: RFC 9449 DPoP proofs and nonces, RFC 8705 certificate binding, and the
 * challenges of each `dpop` mode. Its one rule: check a proof or a certificate against plain
 * values; the access token itself is decided elsewhere (`verify/`).
 *
 * DPoP proofs (RFC 9449): the checks of §4.3 in its order, the `jti` replay set, and the
 * server nonce of §9. Framework-free: it takes the request's method, URL and `DPoP` header
 * values, and the access token the proof must be bound to.
 *
 * In order:
 * 1. exactly one `DPoP` header, one proof in it;
 * 2. a compact JWS whose header and payload are JSON;
 * 3. `typ` is `dpop+jwt`;
 * 4. `alg` is asymmetric and in `dpopAlgorithms` (never `none`, never HMAC);
 * 5. `jwk` is a public key (no private members) that fits `alg`: an RSA key with `e` = 65537
 *    and a 2048–4096-bit modulus, an EC/OKP key on the curve `alg` names; checked before any
 *    signature work, since the client picks the key and thereby the cost of verifying;
 * 6. the signature verifies with that key; unknown `crit` headers are refused;
 * 7. `jti`, `htm`, `htu` and `iat` are present;
 * 8. `htm` is the request method; `htu` the request URL without query and fragment
 *    (RFC 3986 §6 normalisation of scheme, host, default port and percent-encoding; never
 *    dot-segment removal: an `htu` or request path with `.`/`..` segments or `\` is refused);
 * 9. `nonce` is a current server nonce, when nonces are on;
 * 10. `iat` is within `dpopProofWindow` of now, either way;
 * 11. `ath` is base64url(SHA-256(access token)).
 *
 * What it leaves to its caller (`verify/sender.ts`): comparing the key's RFC 7638 thumbprint with
 * the token's `cnf.jkt`, which needs the verified token, and only then marking the `jti` as
 * used (`markUsed`), so a request refused for another reason does not spend its proof.
 *
 * Bounds of the replay set: one entry per accepted proof, kept until its `iat` leaves the
 * window; in the guard's `store` when it has one, else in a `memoryStore` of 100,000 entries
 * and 16 MiB. A mark is never dropped early to make room: when the set is full, new proofs
 * are refused with 503 and `Retry-After` (whatever `onStoreError` says) and the process warns
 * once. Keys are hashes of the key thumbprint and `jti`, so a client cannot spend another
 * client's `jti`.
 *
 * @see [RFC 9449 §4.3 - Checking DPoP Proofs](https://www.rfc-editor.org/rfc/rfc9449#section-4.3)
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, errors as joseErrors, importJWK, type JWK } from 'jose';
import { DpopNonces } from './dpop-nonce.js';
import { proofKeyProblem } from './proof-key.js';
import { OAuthError } from '../errors/oauth-error.js';
import { invalidRequest, temporarilyUnavailable } from '../errors/factories.js';
import { parseExactUrl } from '../auth/request-url.js';
import { decodeJws } from '../jwt/verify.js';
import { SENDER_DEFAULTS, type SenderConfig } from '../options/sender.js';
import { memoryStore, StoreFullError, type Store } from '../store/memory.js';

/** Longest `DPoP` header value looked at. */
export const MAX_PROOF_LENGTH = 8 * 1024;
/** Longest `jti` accepted; it becomes (hashed) a key of the replay set. */
const MAX_JTI_LENGTH = 256;
const KEY_PREFIX = 'rg:dpop:';

/** What a proof is checked against. */
export interface ProofInput {
  /** The request method (`GET`, `POST`, …). */
  method: string;
  /** The absolute URL the client addressed; query and fragment are ignored. */
  url: string;
  /** Every value of the request's `DPoP` header (several when it was repeated). */
  proofs: readonly string[];
  /** The access token sent with the proof. */
  token: string;
}

/** A proof that passed every check that does not need the verified token. */
export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key, to compare with `cnf.jkt`. */
  jkt: string;
  jti: string;
  iat: number;
  /** The next nonce to hand the client, when its proof carried an older one. */
  nextNonce: string | undefined;
}

/** 401 `invalid_dpop_proof` under the `DPoP` scheme (RFC 9449 §7.1). */
export function invalidDpopProof(description: string, cause?: unknown): OAuthError {
  return new OAuthError({ status: 401, code: 'invalid_dpop_proof', description, cause, scheme: 'DPoP' });
}

/** base64url(SHA-256(token)): the `ath` claim (RFC 9449 §4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * The form of a URL that `htu` is compared in: scheme, host and port as the WHATWG parser
 * normalises them (lower case, default port dropped), percent-encoding with upper-case hex and
 * unreserved characters decoded, no query, no fragment, no userinfo. `undefined` for anything
 * that is not an absolute http(s) URL, and for one whose path a parser would rewrite (a
 * backslash, a control character, a `.`/`..` segment in any spelling): dot segments are never
 * resolved, since the router routes the path as sent (`auth/request-url.ts`).
 */
export function normalizeHtu(value: string): string | undefined {
  const url = parseExactUrl(value);
  if (url === undefined) return undefined;
  const path = url.pathname.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const char = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return /^[A-Za-z0-9\-._~]$/.test(char) ? char : escape.toUpperCase();
  });
  return `${url.protocol}//${url.host}${path}`;
}

export class DpopProofs {
  readonly #config: SenderConfig;
  readonly #allowed: ReadonlySet<string>;
  readonly #store: Store;
  readonly #timeoutMs: number;
  readonly #onStoreError: 'deny' | 'allow';
  #warnedFull = false;
  /** Server nonces, when `dpopNonce` is on. */
  readonly nonces: DpopNonces | undefined;

  constructor(
    config: SenderConfig,
    shared: { store?: Store | undefined; timeout: number; onStoreError?: 'deny' | 'allow' | undefined },
  ) {
    this.#config = config;
    this.#allowed = new Set(config.dpopAlgorithms);
    this.#store = shared.store ?? memoryStore(SENDER_DEFAULTS.replayCache);
    this.#timeoutMs = shared.timeout * 1000;
    this.#onStoreError = shared.onStoreError ?? 'deny';
    this.nonces = config.dpopNonce && new DpopNonces(config.dpopNonce.key, config.dpopNonce.lifetime);
  }

  /** Runs checks 1–11; throws `invalid_dpop_proof` (or `use_dpop_nonce`) naming the first that failed. */
  async verify(input: ProofInput, now = Date.now()): Promise<VerifiedProof> {
    const proof = singleProof(input.proofs);
    const decoded = decodeJws(proof);
    if (decoded === undefined) throw invalidDpopProof('DPoP proof is not a compact JWS');
    const { header, payload } = decoded;
    if (header.typ !== 'dpop+jwt') throw invalidDpopProof('DPoP proof typ must be "dpop+jwt"');
    const alg = this.#checkAlgorithm(header.alg as string);
    const jwk = checkJwk(header.jwk, alg);
    await verifySignature(proof, jwk, alg);

    const { jti, htm, htu, iat, ath } = payload;
    if (typeof jti !== 'string' || jti.length === 0) throw invalidDpopProof('DPoP proof has no jti');
    if (jti.length > MAX_JTI_LENGTH) throw invalidDpopProof('DPoP proof jti too long');
    if (typeof htm !== 'string') throw invalidDpopProof('DPoP proof has no htm');
    if (typeof htu !== 'string') throw invalidDpopProof('DPoP proof has no htu');
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalidDpopProof('DPoP proof has no numeric iat');
    if (htm !== input.method) throw invalidDpopProof('DPoP proof htm does not match the request method');
    const expectedHtu = normalizeHtu(input.url);
    // Only from `guard.verify(token, { request })`: the Express adapter refuses such a request earlier.
    if (expectedHtu === undefined) throw invalidRequest('request URL is not an absolute http(s) URL without dot segments');
    if (normalizeHtu(htu) !== expectedHtu) {
      throw invalidDpopProof('DPoP proof htu does not match the request URL');
    }
    const nextNonce = this.#checkNonce(payload.nonce, now);
    const age = now / 1000 - iat;
    const window = this.#config.dpopProofWindow;
    if (age > window) throw invalidDpopProof(`DPoP proof iat is ${Math.floor(age)} s old (limit ${window} s)`);
    if (-age > window) throw invalidDpopProof(`DPoP proof iat is ${Math.ceil(-age)} s in the future (limit ${window} s)`);
    if (typeof ath !== 'string') throw invalidDpopProof('DPoP proof has no ath');
    if (ath !== accessTokenHash(input.token)) throw invalidDpopProof('DPoP proof ath does not match the access token');

    return { jkt: await calculateJwkThumbprint(jwk as JWK, 'sha256'), jti, iat, nextNonce };
  }

  /**
   * Marks the proof's `jti` as used until its `iat` leaves the window; throws
   * `invalid_dpop_proof` for a replay, 503 when the store fails (unless `onStoreError: 'allow'`).
   */
  async markUsed(proof: VerifiedProof, now = Date.now()): Promise<void> {
    const key = KEY_PREFIX + createHash('sha256').update(`${proof.jkt}\n${proof.jti}`).digest('base64url');
    const ttlMs = Math.max(1, proof.iat + this.#config.dpopProofWindow + 1 - now / 1000) * 1000;
    let first: boolean;
    try {
      first = await withTimeout(Promise.resolve().then(() => this.#store.setIfAbsent(key, '1', ttlMs)), this.#timeoutMs);
    } catch (cause) {
      // Full is a bound, not an outage: accepting unchecked would let any replay through.
      if (cause instanceof StoreFullError) throw this.#full(cause);
      if (this.#onStoreError === 'allow') return;
      throw temporarilyUnavailable('the DPoP replay store is unavailable; retry later', 1, cause);
    }
    if (!first) throw invalidDpopProof('DPoP proof jti already used (replay)');
  }

  /** 503 for a proof the full `jti` set cannot take; warns once with the sizing advice. */
  #full(cause: StoreFullError): OAuthError {
    if (!this.#warnedFull) {
      this.#warnedFull = true;
      const span = 2 * this.#config.dpopProofWindow;
      process.emitWarning(
        `resource-guard: the DPoP jti replay set is full (${cause.bounds.maxEntries} entries, ${cause.bounds.maxBytes} bytes of keys and values); ` +
          `new DPoP proofs are refused with 503 until marks expire. It holds one entry per proof accepted within ${span} s ` +
          `(dpopProofWindow either way): give createGuard a store with room for the peak proofs per second × ${span}, ` +
          'e.g. store: memoryStore({ maxEntries, maxBytes }) or a shared redisStore(client).',
        { code: 'RESOURCE_GUARD_REPLAY_SET_FULL' },
      );
    }
    return temporarilyUnavailable('the DPoP replay set is full; retry later', cause.retryAfter, cause);
  }

  /** `use_dpop_nonce` with the current nonce in `DPoP-Nonce` (RFC 9449 §9). */
  useNonce(description: string, now = Date.now()): OAuthError {
    return new OAuthError({
      status: 401,
      code: 'use_dpop_nonce',
      description,
      scheme: 'DPoP',
      headers: { 'DPoP-Nonce': this.nonces!.current(now) },
    });
  }

  #checkAlgorithm(alg: string): string {
    if (alg.toLowerCase() === 'none') throw invalidDpopProof("unsigned DPoP proofs (alg 'none') are not accepted");
    if (/^HS\d+$/i.test(alg)) throw invalidDpopProof(`symmetric algorithm ${alg} is not accepted for DPoP proofs`);
    if (!this.#allowed.has(alg)) throw invalidDpopProof(`DPoP proof algorithm ${alg.replace(/[^\x21-\x7e]/g, '').slice(0, 32)} not allowed`);
    return alg;
  }

  #checkNonce(nonce: unknown, now: number): string | undefined {
    if (this.nonces === undefined) return undefined;
    if (nonce === undefined) throw this.useNonce('DPoP proof needs the server nonce', now);
    const state = this.nonces.check(nonce, now);
    if (state === 'invalid') throw this.useNonce('DPoP proof nonce is not valid or has expired', now);
    return state === 'previous' ? this.nonces.current(now) : undefined;
  }
}

function singleProof(proofs: readonly string[]): string {
  if (proofs.length === 0) throw invalidDpopProof('DPoP proof missing: send it in the DPoP header');
  if (proofs.length > 1) throw invalidDpopProof('more than one DPoP header');
  const proof = proofs[0]!.trim();
  if (proof.length > MAX_PROOF_LENGTH) throw invalidDpopProof('DPoP proof too large');
  // Node joins repeated headers it does not know with ", "; a JWS never holds a comma.
  if (proof.includes(',')) throw invalidDpopProof('more than one DPoP proof');
  return proof;
}

function checkJwk(jwk: unknown, alg: string): Record<string, unknown> {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw invalidDpopProof('DPoP proof header has no jwk');
  }
  const key = jwk as Record<string, unknown>;
  const problem = proofKeyProblem(key, alg);
  if (problem !== undefined) throw invalidDpopProof(`DPoP proof ${problem}`);
  return key;
}

async function verifySignature(proof: string, jwk: Record<string, unknown>, alg: string): Promise<void> {
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK({ ...jwk, ext: true } as JWK, alg);
  } catch (err) {
    throw invalidDpopProof(`DPoP proof jwk is not a ${alg.slice(0, 8)} public key`, err);
  }
  if (key instanceof Uint8Array || key.type !== 'public') {
    throw invalidDpopProof('DPoP proof jwk is not a public key');
  }
  try {
    await compactVerify(proof, key, { algorithms: [alg] });
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) {
      switch (err.code) {
        case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
          throw invalidDpopProof('DPoP proof signature invalid', err);
        case 'ERR_JOSE_NOT_SUPPORTED':
          throw invalidDpopProof('DPoP proof uses an unsupported or critical header', err);
      }
    }
    throw invalidDpopProof('DPoP proof cannot be verified with its jwk', err);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
