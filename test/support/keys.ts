/**
 * Key sets and JWS signing for the test authorization servers. Signing is done by hand with
 * node:crypto, not jose, so tests can craft any token, hostile ones included: any header
 * (`alg` that lies, `jku`, `crit`, embedded `jwk`), `alg: none`, HMAC with a public key's bytes.
 */
import { constants, createHmac, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { generateSigningKey } from '../../example-app/authorization-server/keys.js';
import type { AsymmetricAlg, SigningKey } from '../../example-app/authorization-server/keys.js';

export { generateSigningKey };
export type { AsymmetricAlg, SigningKey };

export type HmacAlg = 'HS256' | 'HS384' | 'HS512';
export type JwsAlg = AsymmetricAlg | HmacAlg | 'none';

/** Published signing keys, newest first, plus the shared HMAC secret. */
export class KeySet {
  #keys: SigningKey[];
  /** Secret for HS* tokens (Telnyx's examples show HS256 access tokens). */
  hmacSecret: Uint8Array = randomBytes(32);

  private constructor(keys: SigningKey[]) {
    this.#keys = keys;
  }

  /** One fresh key per algorithm. */
  static async create(algs: readonly AsymmetricAlg[] = ['RS256', 'ES256', 'EdDSA']): Promise<KeySet> {
    return new KeySet(await Promise.all(algs.map((alg) => generateSigningKey(alg))));
  }

  get keys(): readonly SigningKey[] {
    return this.#keys;
  }

  /** The JWKS document: public keys with `kid`, `use: 'sig'` and `alg`. */
  jwks(): { keys: SigningKey['publicJwk'][] } {
    return { keys: this.#keys.map((k) => k.publicJwk) };
  }

  /** The newest published key for `alg`. */
  current(alg: AsymmetricAlg): SigningKey {
    const key = this.#keys.find((k) => k.alg === alg);
    if (!key) throw new Error(`no published ${alg} key (published: ${this.#keys.map((k) => k.kid).join(', ') || 'none'})`);
    return key;
  }

  /** Generate and publish a key (first, so it signs from now on). */
  async add(alg: AsymmetricAlg, kid?: string): Promise<SigningKey> {
    const key = await generateSigningKey(alg, kid);
    this.#keys = [key, ...this.#keys];
    return key;
  }

  /**
   * A new key for every algorithm published now (or `algs`); the old keys stay published
   * after the new ones unless `keepOld: false`. Returns the new keys.
   */
  async rotate({ keepOld = true, algs }: { keepOld?: boolean; algs?: readonly AsymmetricAlg[] } = {}): Promise<SigningKey[]> {
    const wanted = algs ?? [...new Set(this.#keys.map((k) => k.alg))];
    const fresh = await Promise.all(wanted.map((alg) => generateSigningKey(alg)));
    this.#keys = keepOld ? [...fresh, ...this.#keys] : fresh;
    return fresh;
  }

  /** Stop publishing `kid`; returns the removed key (still usable to sign with `key:`). */
  remove(kid: string): SigningKey | undefined {
    const key = this.#keys.find((k) => k.kid === kid);
    this.#keys = this.#keys.filter((k) => k !== key);
    return key;
  }
}

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** Raw JWS signature over `input`. `key` is a private KeyObject, or the secret for HS*. */
export function signature(alg: JwsAlg, input: string, key: KeyObject | Uint8Array | string | undefined): Buffer {
  if (alg === 'none') return Buffer.alloc(0);
  if (key === undefined) throw new Error(`a key is needed to sign ${alg}`);
  const data = Buffer.from(input);
  if (alg.startsWith('HS')) {
    const secret = typeof key === 'string' || key instanceof Uint8Array ? key : key.export();
    return createHmac(HASH[alg.slice(2)]!, secret).update(data).digest();
  }
  if (typeof key === 'string' || key instanceof Uint8Array) throw new Error(`${alg} needs a private KeyObject`);
  if (alg === 'EdDSA' || alg === 'Ed25519') return sign(null, data, key);
  const hash = HASH[alg.slice(2)]!;
  if (alg.startsWith('PS')) {
    return sign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  }
  if (alg.startsWith('ES')) return sign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
  return sign(hash, data, key);
}

const b64url = (input: string | Buffer) => Buffer.from(input).toString('base64url');

/**
 * A compact JWS. `header` is used exactly as given (no `alg` is added: set it, or lie with it);
 * `payload` may be a string to send a non-JSON payload. Signs with `alg` (default: header.alg).
 */
export function signJws(options: {
  header: Record<string, unknown>;
  payload: Record<string, unknown> | string;
  key: KeyObject | Uint8Array | string | undefined;
  alg?: JwsAlg;
}): string {
  const alg = options.alg ?? (options.header.alg as JwsAlg);
  const payload = typeof options.payload === 'string' ? options.payload : JSON.stringify(options.payload);
  const input = `${b64url(JSON.stringify(options.header))}.${b64url(payload)}`;
  return `${input}.${b64url(signature(alg, input, options.key))}`;
}

/** `{ ...base, ...patch }` where a patch value of `undefined` removes the member. */
export function merge(base: Record<string, unknown>, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const out = { ...base, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete out[k];
  return out;
}
