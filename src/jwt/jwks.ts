/**
 * The key cache of one authorization server (RFC 7517 JWK Set).
 *
 * Bounds: at most {@link MAX_KEYS} keys are imported from one document, and the document
 * is read up to the response size cap. Freshness: `Cache-Control: max-age` within
 * [cooldown, jwksMaxAge], else jwksMaxAge; a refresh is conditional (`If-None-Match` /
 * `If-Modified-Since`) when the server sent a validator, so an unchanged set costs a 304, and
 * a read shortly before expiry refreshes in the background. An unknown `kid` triggers one refetch, then no
 * other for `cooldown` seconds however many unknown kids arrive. While the endpoint fails,
 * the keys already cached keep verifying for `maxStale` seconds. A document with garbage,
 * no usable key or over the size cap is refused and the good cached set stays.
 *
 * Each key carries its RFC 7638 thumbprint: what identifies it across refreshes whatever its
 * `kid` (absent, or reused for another key). A refresh reports the thumbprints that are gone,
 * so what those keys verified can be dropped, and whether any key is new.
 *
 * @see [RFC 7517 §5 - JWK Set Format](https://www.rfc-editor.org/rfc/rfc7517#section-5)
 */
import { createPublicKey, hash, type JsonWebKey, type KeyObject } from 'node:crypto';
import { temporarilyUnavailable } from '../errors/factories.js';
import { CHANNELS, fetchFailed, fetchSucceeded, publish, redact } from '../events/channels.js';
import { conditionalHeaders, freshnessOf, parseJsonObject, parseRetryAfter, request, validatorsOf } from '../remote/http.js';
import type { GuardConfig } from '../options/normalize.js';
import { Remote } from '../remote/document.js';
import { failurePhrase } from '../remote/failure.js';
import { UpstreamFailure, type Loaded, type NotModified, type Validators } from '../remote/loader.js';

/** Most keys imported from one JWKS; the rest are ignored. */
export const MAX_KEYS = 100;

/** One public key, imported once, with what it may verify. */
export interface VerificationKey {
  kid: string | undefined;
  /** The JWK's own `alg`: when set, the key verifies that algorithm only. */
  alg: string | undefined;
  kty: string;
  crv: string | undefined;
  key: KeyObject;
  /** RFC 7638 SHA-256 thumbprint, base64url: the key's identity, whatever its `kid`. */
  thumbprint: string;
}

export interface KeySet {
  keys: readonly VerificationKey[];
}

/** Which key types and curves may verify each algorithm (RFC 7518 §3.1, RFC 8037, RFC 9864). */
const KEY_TYPES: Record<string, { kty: string; crv?: readonly string[] }> = {
  RS256: { kty: 'RSA' }, RS384: { kty: 'RSA' }, RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' }, PS384: { kty: 'RSA' }, PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: ['P-256'] },
  ES384: { kty: 'EC', crv: ['P-384'] },
  ES512: { kty: 'EC', crv: ['P-521'] },
  EdDSA: { kty: 'OKP', crv: ['Ed25519', 'Ed448'] },
  Ed25519: { kty: 'OKP', crv: ['Ed25519'] },
};

/** Keys of `set` that may verify a token with this `alg` and `kid` (no kid: every fitting key). */
export function selectKeys(set: KeySet, alg: string, kid: string | undefined): VerificationKey[] {
  const type = KEY_TYPES[alg];
  if (type === undefined) return [];
  return set.keys.filter(
    (k) =>
      (kid === undefined || k.kid === kid) &&
      (k.alg === undefined || k.alg === alg) &&
      k.kty === type.kty &&
      (type.crv === undefined || (k.crv !== undefined && type.crv.includes(k.crv))),
  );
}

/**
 * Parses a JWK Set, keeping the keys that can verify signatures: public, `use` absent or
 * `sig`, `key_ops` absent or with `verify`, a supported type. Throws when none is left.
 */
export function parseJwks(body: string, url: string): KeySet {
  const document = parseJsonObject(body);
  if (document === undefined || !Array.isArray(document.keys)) {
    throw new UpstreamFailure(`JWKS at ${url} is not a JSON object with a "keys" array`, {
      phrase: 'the JWKS is not a JSON object with a "keys" array',
    });
  }
  const keys: VerificationKey[] = [];
  for (const jwk of document.keys.slice(0, MAX_KEYS) as unknown[]) {
    const key = importKey(jwk);
    if (key !== undefined) keys.push(key);
  }
  if (keys.length === 0) throw new UpstreamFailure(`JWKS at ${url} has no usable signing key`, { phrase: 'the JWKS has no usable signing key' });
  return { keys };
}

function importKey(jwk: unknown): VerificationKey | undefined {
  if (typeof jwk !== 'object' || jwk === null) return undefined;
  const { kty, kid, alg, use, key_ops: ops, crv, d } = jwk as Record<string, unknown>;
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') return undefined;
  if (d !== undefined) return undefined; // a private key published by mistake is not used
  if (use !== undefined && use !== 'sig') return undefined;
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return undefined;
  if (kid !== undefined && typeof kid !== 'string') return undefined;
  if (alg !== undefined && (typeof alg !== 'string' || KEY_TYPES[alg]?.kty !== kty)) return undefined;
  if (crv !== undefined && typeof crv !== 'string') return undefined;
  try {
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    return { kid, alg, kty, crv, key, thumbprint: thumbprintOf(key) };
  } catch {
    return undefined;
  }
}

/**
 * RFC 7638 SHA-256 thumbprint of a public key: its required members, in lexicographic order,
 * as Node exports them (so any spelling of the same key in a JWKS gives the same value).
 *
 * @see [RFC 7638 §3 - JWK Thumbprint](https://www.rfc-editor.org/rfc/rfc7638#section-3)
 */
export function thumbprintOf(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : jwk.kty === 'EC'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
        : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return hash('sha256', JSON.stringify(members), 'base64url');
}

/**
 * Fetches and parses one JWKS document; with `validators` of an earlier answer from `url`,
 * the request is conditional and a 304 comes back as {@link NotModified}.
 */
export async function fetchJwks(
  url: string,
  config: GuardConfig,
  validators?: Validators,
): Promise<Loaded<KeySet> | NotModified> {
  const conditional = conditionalHeaders(validators, url);
  const response = await request({
    url,
    headers: conditional,
    timeout: config.timeout,
    maxBytes: config.maxResponseBytes,
    allowInsecureHttp: config.allowInsecureHttp,
  });
  const maxAge = freshnessOf(response.headers, config.cooldown, config.jwksMaxAge);
  if (response.status === 304 && Object.keys(conditional).length > 0) {
    return { notModified: true, maxAge, validators: validatorsOf(response.headers, url) };
  }
  if (response.status !== 200) {
    const retryAfter = response.status === 429 || response.status === 503
      ? parseRetryAfter(response.headers.get('retry-after'))
      : undefined;
    throw new UpstreamFailure(`JWKS at ${url} answered ${response.status}`, { phrase: `the JWKS endpoint answered ${response.status}`, retryAfter });
  }
  const value = parseJwks(response.body, url);
  return { value, maxAge, validators: validatorsOf(response.headers, url) };
}

/** The outcome of a key look-up for one token. */
export type KeyLookup =
  | { found: true; keys: VerificationKey[] }
  | { found: false; reason: string };

/** What a refresh changed in a key set, by key identity (thumbprint). */
export interface KeyChange {
  /** Thumbprints of the keys the new set no longer holds. */
  removed: string[];
  /** Whether the new set holds a key the old one did not. */
  added: boolean;
}

/** The keys of one issuer, with kid-miss refetch under a cooldown. */
export class Jwks {
  readonly remote: Remote<KeySet>;
  #kids = new Set<string>();
  #thumbprints = new Set<string>();
  #url: string | undefined;

  /**
   * @param resolveUri where the JWKS lives (the `jwksUri` option or the metadata's `jwks_uri`)
   * @param onKeysChanged called when a refresh removed or added keys (not on the first fetch)
   * @param issuer whose keys these are, for events; `undefined` for a set several issuers share
   */
  constructor(
    resolveUri: () => Promise<string>,
    private readonly config: GuardConfig,
    onKeysChanged: (change: KeyChange, from: Jwks) => void = () => undefined,
    issuer?: string,
  ) {
    this.remote = new Remote(
      async ({ validators, background }) => {
        const start = performance.now();
        let url: string | undefined;
        try {
          url = await resolveUri();
          this.#url = url;
          const loaded = await fetchJwks(url, config, validators);
          if (!('notModified' in loaded)) {
            const thumbprints = new Set(loaded.value.keys.map((k) => k.thumbprint));
            const first = this.remote.current === undefined;
            const removed = [...this.#thumbprints].filter((t) => !thumbprints.has(t));
            const added = [...thumbprints].some((t) => !this.#thumbprints.has(t));
            this.#thumbprints = thumbprints;
            this.#kids = new Set(loaded.value.keys.flatMap((k) => (k.kid === undefined ? [] : [k.kid])));
            if (!first && (removed.length > 0 || added)) onKeysChanged({ removed, added }, this);
          }
          publish(CHANNELS.jwksFetch, () => ({ issuer, url, kids: [...this.#kids], ...fetchSucceeded(loaded, start, background) }));
          return loaded;
        } catch (err) {
          publish(CHANNELS.jwksFetch, () => ({ issuer, url, ...fetchFailed(err, start, background) }));
          throw err;
        }
      },
      {
        label: 'JWKS',
        maxStale: config.maxStale,
        maxBackoff: config.cooldown,
        onStale: (age, error) => publish(CHANNELS.jwksStale, () => ({ issuer, age, error: redact(error) })),
      },
    );
  }

  /** The JWKS URL last fetched (or tried), once known. */
  get url(): string | undefined {
    return this.#url;
  }

  /** Key ids in the cached set. */
  get kids(): string[] {
    return [...this.#kids];
  }

  /** True while the cached key set needs no refresh; near expiry, a read starts one in the background. */
  get isFresh(): boolean {
    return this.remote.read() !== undefined;
  }

  /**
   * Keys that may verify a token with `alg`/`kid`. Refetches once for an unknown kid
   * (unless cooling down). Throws 503 when no key is cached and the JWKS cannot be fetched.
   */
  async lookup(alg: string, kid: string | undefined): Promise<KeyLookup> {
    const keys = selectKeys(this.remote.read() ?? (await this.remote.get()), alg, kid);
    if (keys.length > 0) return { found: true, keys };
    const outcome = await this.remote.refetch(this.config.cooldown);
    if (outcome === 'failed') {
      const failure = this.remote.lastFailure;
      // What failed, for the client; where (the JWKS URL), in `cause` only.
      throw temporarilyUnavailable(
        `no cached key for this token and the JWKS could not be fetched: ${failurePhrase(failure)}`,
        this.remote.retryAfter(),
        failure,
      );
    }
    const again = outcome === 'fetched' ? selectKeys(await this.remote.get(), alg, kid) : [];
    if (again.length > 0) return { found: true, keys: again };
    return {
      found: false,
      reason: kid === undefined ? `no key for ${alg} in the JWKS` : `key '${kid}' not found in the JWKS`,
    };
  }
}
