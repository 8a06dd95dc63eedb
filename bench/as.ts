/**
 * The in-bench authorization server: plain `node:http` on 127.0.0.1, RFC 8414 metadata,
 * a JWKS with one RS256, one ES256 and one EdDSA key, and an RFC 7662 introspection
 * endpoint (form body, client_secret_basic) for the opaque tokens it minted.
 *
 * It also mints the tokens: single tokens with jose's `SignJWT`, pools with `crypto.sign`
 * on the libuv thread pool (a 10,000-token RS256 pool in a few seconds instead of ten).
 */
import { KeyObject, randomBytes, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

export type BenchAlg = 'RS256' | 'ES256' | 'EdDSA';
export const ALGS: readonly BenchAlg[] = ['RS256', 'ES256', 'EdDSA'];

export const AUDIENCE = 'https://api.bench.example';
export const SCOPE = 'messages:read messages:write';
export const REQUIRED_SCOPE = 'messages:read';
export const CLIENT_ID = 'bench-rs';
export const CLIENT_SECRET = 'bench-rs-secret';

const KIDS: Record<BenchAlg, string> = { RS256: 'rs-1', ES256: 'es-1', EdDSA: 'ed-1' };

interface SigningKey {
  alg: BenchAlg;
  kid: string;
  privateKey: KeyObject;
  jwk: JWK;
}

export interface AsCounters {
  metadata: number;
  jwks: number;
  introspection: number;
}

const signAsync = promisify(sign) as (alg: string | null, data: Buffer, key: KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' }) => Promise<Buffer>;

export class AuthorizationServer {
  readonly counters: AsCounters = { metadata: 0, jwks: 0, introspection: 0 };
  readonly #keys = new Map<BenchAlg, SigningKey>();
  readonly #opaque = new Map<string, Record<string, unknown>>();
  #server: Server | undefined;
  #issuer = '';

  get issuer(): string {
    return this.#issuer;
  }

  get jwksUri(): string {
    return `${this.#issuer}/jwks`;
  }

  get introspectionEndpoint(): string {
    return `${this.#issuer}/introspect`;
  }

  async start(): Promise<void> {
    for (const alg of ALGS) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid: KIDS[alg], alg, use: 'sig' };
      this.#keys.set(alg, { alg, kid: KIDS[alg], privateKey: KeyObject.from(privateKey), jwk });
    }
    const server = createServer((req, res) => this.#handle(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The standard claims of a bench token; `jti` makes each one distinct. */
  claims(jti: string, now = Math.floor(Date.now() / 1000)): Record<string, unknown> {
    return {
      iss: this.#issuer,
      sub: `user-${jti}`,
      aud: AUDIENCE,
      client_id: CLIENT_ID,
      scope: SCOPE,
      iat: now,
      exp: now + 3600,
      jti,
    };
  }

  /** One access token, minted with jose (`typ: at+jwt`, exp in 1 h). */
  async mint(alg: BenchAlg, jti = randomBytes(8).toString('hex')): Promise<string> {
    const key = this.#keys.get(alg)!;
    return new SignJWT(this.claims(jti))
      .setProtectedHeader({ alg, typ: 'at+jwt', kid: key.kid })
      .sign(key.privateKey);
  }

  /** A token whose signature is valid-looking but wrong: the right kid, another payload's signature. */
  async mintBadSignature(alg: BenchAlg): Promise<string> {
    const good = await this.mint(alg, 'bad-signature');
    const other = await this.mint(alg, 'another-payload');
    return `${good.slice(0, good.lastIndexOf('.'))}${other.slice(other.lastIndexOf('.'))}`;
  }

  /**
   * `count` distinct tokens, signed with `crypto.sign` (asynchronous, so RSA signing uses
   * the thread pool). Same header and claims shape as {@link mint}.
   */
  async mintPool(alg: BenchAlg, count: number, prefix = 'pool'): Promise<string[]> {
    const key = this.#keys.get(alg)!;
    const header = b64(JSON.stringify({ alg, typ: 'at+jwt', kid: key.kid }));
    const now = Math.floor(Date.now() / 1000);
    const tokens = new Array<string>(count);
    const signer = alg === 'RS256' ? 'sha256' : alg === 'ES256' ? 'sha256' : null;
    const keyArg = alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' as const } : key.privateKey;
    let next = 0;
    const work = async () => {
      while (next < count) {
        const i = next++;
        const input = `${header}.${b64(JSON.stringify(this.claims(`${prefix}-${i}`, now)))}`;
        const signature = await signAsync(signer, Buffer.from(input), keyArg);
        tokens[i] = `${input}.${signature.toString('base64url')}`;
      }
    };
    await Promise.all(Array.from({ length: 16 }, work));
    return tokens;
  }

  /** An opaque token the introspection endpoint answers `active: true` for. */
  mintOpaque(): string {
    const token = randomBytes(32).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    this.#opaque.set(token, {
      active: true,
      iss: this.#issuer,
      aud: AUDIENCE,
      client_id: CLIENT_ID,
      sub: 'user-opaque',
      scope: SCOPE,
      token_type: 'Bearer',
      iat: now,
      exp: now + 3600,
    });
    return token;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/.well-known/oauth-authorization-server') {
      this.counters.metadata++;
      return json(res, 200, {
        issuer: this.#issuer,
        jwks_uri: this.jwksUri,
        introspection_endpoint: this.introspectionEndpoint,
        token_endpoint: `${this.#issuer}/token`,
        introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
    }
    if (req.method === 'GET' && url === '/jwks') {
      this.counters.jwks++;
      return json(res, 200, { keys: [...this.#keys.values()].map((k) => k.jwk) }, { 'cache-control': 'max-age=600' });
    }
    if (req.method === 'POST' && url === '/introspect') {
      this.counters.introspection++;
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const expected = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return json(res, 401, { error: 'invalid_client' });
        const token = new URLSearchParams(body).get('token') ?? '';
        json(res, 200, this.#opaque.get(token) ?? { active: false });
      });
      return;
    }
    json(res, 404, { error: 'not_found' });
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function b64(text: string): string {
  return Buffer.from(text).toString('base64url');
}
