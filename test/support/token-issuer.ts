/**
 * What the Telnyx-shaped and the fault-injecting servers share: an issuer identity, published
 * keys, and tokens they mint and can introspect (JWTs and opaque ones, revocable).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { KeySet, merge, signJws } from './keys.js';
import type { AsymmetricAlg, JwsAlg, SigningKey } from './keys.js';

export interface MintJwtOptions {
  /** Default: the server's `alg`. `'none'` gives an unsigned token. */
  alg?: JwsAlg;
  /** Over the defaults `iss, sub, aud, client_id, scope, iat, exp, jti`; `undefined` removes one. */
  claims?: Record<string, unknown>;
  /** Over the defaults `alg, typ: 'at+jwt', kid`; `undefined` removes one. Used as is: may lie about `alg`. */
  header?: Record<string, unknown>;
  /** Shortcut for `header.kid`; `null` removes it. */
  kid?: string | null;
  /** Sign with this private key (e.g. one not published) instead of the newest published key for `alg`. */
  key?: SigningKey | KeyObject;
  /** HS* secret; default the key set's `hmacSecret`. A public key's PEM here makes an alg-confusion token. */
  secret?: Uint8Array | string;
  /** Raw payload text instead of the claims (e.g. not JSON). */
  payload?: string;
  /** Lifetime for the default `exp`, seconds; default 300. Negative gives an expired token. */
  expiresIn?: number;
  /** Also answer introspection for this token; default true. */
  register?: boolean;
}

export interface MintOpaqueOptions {
  scope?: string;
  aud?: string | string[];
  client_id?: string;
  sub?: string;
  /** Seconds since epoch; default now + `expiresIn`. */
  exp?: number;
  iat?: number;
  expiresIn?: number;
  /** Other members of the introspection response. */
  claims?: Record<string, unknown>;
  /** The token value; default 40 random base64url characters. */
  token?: string;
}

export interface TokenIssuerDefaults {
  issuer: string;
  audience: string;
  scopes: readonly string[];
  clientId: string;
  alg: JwsAlg;
  accessTokenTTL: number;
}

const now = () => Math.floor(Date.now() / 1000);

export class TokenIssuer {
  readonly #registry = new Map<string, Record<string, unknown>>();
  readonly #revoked = new Set<string>();
  #claimedIssuer: string | undefined;

  constructor(
    readonly keys: KeySet,
    readonly defaults: TokenIssuerDefaults,
  ) {}

  static async create(defaults: TokenIssuerDefaults, algs?: readonly AsymmetricAlg[]): Promise<TokenIssuer> {
    return new TokenIssuer(await KeySet.create(algs), defaults);
  }

  /** The issuer the server claims: its real one unless `setIssuer` changed it. */
  get issuer(): string {
    return this.#claimedIssuer ?? this.defaults.issuer;
  }

  /** Claim another issuer in metadata, new tokens and introspection; no argument restores the real one. */
  setIssuer(issuer?: string): void {
    this.#claimedIssuer = issuer;
  }

  mintJwt(options: MintJwtOptions = {}): string {
    const alg = options.alg ?? this.defaults.alg;
    const iat = now();
    const claims = merge(
      {
        iss: this.issuer,
        sub: this.defaults.clientId,
        aud: this.defaults.audience,
        client_id: this.defaults.clientId,
        scope: this.defaults.scopes.join(' '),
        iat,
        exp: iat + (options.expiresIn ?? this.defaults.accessTokenTTL),
        jti: randomUUID(),
      },
      options.claims,
    );
    const asymmetric = alg !== 'none' && !alg.startsWith('HS');
    const signer = options.key ?? (asymmetric ? this.keys.current(alg as AsymmetricAlg) : undefined);
    const kid = options.kid === null ? undefined : (options.kid ?? (signer && 'kid' in signer ? signer.kid : undefined));
    const header = merge({ alg, typ: 'at+jwt', ...(kid === undefined ? {} : { kid }) }, options.header);
    const key = !asymmetric ? (options.secret ?? this.keys.hmacSecret) : signer && 'privateKey' in signer ? signer.privateKey : signer;
    const token = signJws({ header, payload: options.payload ?? claims, key: alg === 'none' ? undefined : key, alg });
    if (options.register !== false && options.payload === undefined) this.#registry.set(token, claims);
    return token;
  }

  mintOpaque(options: MintOpaqueOptions = {}): string {
    const token = options.token ?? randomBytes(30).toString('base64url');
    const iat = options.iat ?? now();
    this.#registry.set(
      token,
      merge(
        {
          iss: this.issuer,
          sub: options.sub ?? options.client_id ?? this.defaults.clientId,
          aud: options.aud ?? this.defaults.audience,
          client_id: options.client_id ?? this.defaults.clientId,
          scope: options.scope ?? this.defaults.scopes.join(' '),
          iat,
          exp: options.exp ?? iat + (options.expiresIn ?? this.defaults.accessTokenTTL),
          token_type: 'Bearer',
        },
        options.claims,
      ),
    );
    return token;
  }

  /** Make `token` inactive at introspection. Returns whether it was known. */
  revoke(token: string): boolean {
    this.#revoked.add(token);
    return this.#registry.has(token);
  }

  /** RFC 7662 response: `{ active: false }` for unknown, revoked or expired tokens. */
  introspect(token: string, fields?: readonly string[]): Record<string, unknown> {
    const claims = this.#registry.get(token);
    if (!claims || this.#revoked.has(token)) return { active: false };
    if (typeof claims.exp === 'number' && claims.exp <= now()) return { active: false };
    const all: Record<string, unknown> = { active: true, ...claims };
    if (!fields) return all;
    return Object.fromEntries(Object.entries(all).filter(([k]) => k === 'active' || fields.includes(k)));
  }
}
