/**
 * The in-bench authorization server: plain `node:http` on 127.0.0.1, RFC 8414 metadata,
 * a JWKS with one RS256, one ES256 and one EdDSA key, and an RFC 7662 introspection
 * endpoint (form body, client_secret_basic) for the opaque tokens it minted.
 *
 * Its issuer is the fixed name {@link ISSUER}, not its address: the port changes every run,
 * and a token pool kept on disk (`tokens.ts`) must still carry the right `iss`. So every
 * middleware is configured with the issuer plus where to fetch from (resource-guard
 * `metadataUrl`, the others `jwksUri`); the keys stay from run to run (`as-keys.ts`).
 *
 * It also mints the tokens: single tokens with jose's `SignJWT`, pools with `crypto.sign`
 * on the libuv thread pool (a 10,000-token RS256 pool in a few seconds instead of ten).
 */
import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { loadKeySet, type BenchAlg, type SigningKey } from './as-keys.js';
import { AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, SCOPE } from './constants.js';

export { ALGS, type BenchAlg } from './as-keys.js';
export { AUDIENCE, CLIENT_ID, CLIENT_SECRET, ISSUER, REQUIRED_SCOPE, SCOPE } from './constants.js';

export interface AsCounters {
  metadata: number;
  jwks: number;
  introspection: number;
}

const signAsync = promisify(sign) as (alg: string | null, data: Buffer, key: KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' }) => Promise<Buffer>;

export class AuthorizationServer {
  readonly counters: AsCounters = { metadata: 0, jwks: 0, introspection: 0 };
  readonly #keys: Map<BenchAlg, SigningKey>;
  /** Id of the key set (see `as-keys.ts`): token pools on disk are filed under it. */
  readonly keySetId: string;
  readonly #opaque = new Map<string, Record<string, unknown>>();
  #server: Server | undefined;
  #origin = '';

  constructor() {
    const { keys, id } = loadKeySet();
    this.#keys = keys;
    this.keySetId = id;
  }

  get issuer(): string {
    return ISSUER;
  }

  /** Where the RFC 8414 metadata of {@link ISSUER} is served (resource-guard's `metadataUrl`). */
  get metadataUrl(): string {
    return `${this.#origin}/.well-known/oauth-authorization-server`;
  }

  get jwksUri(): string {
    return `${this.#origin}/jwks`;
  }

  get introspectionEndpoint(): string {
    return `${this.#origin}/introspect`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.#handle(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The standard claims of a bench token; `jti` makes each one distinct. Lifetime in seconds. */
  claims(jti: string, now = Math.floor(Date.now() / 1000), lifetime = 3600): Record<string, unknown> {
    return {
      iss: ISSUER,
      sub: `user-${jti}`,
      aud: AUDIENCE,
      client_id: CLIENT_ID,
      scope: SCOPE,
      iat: now,
      exp: now + lifetime,
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
   * the thread pool). Same header and claims shape as {@link mint}; `lifetime` in seconds
   * (pools kept on disk live longer than a run).
   */
  async mintPool(alg: BenchAlg, count: number, prefix = 'pool', lifetime = 3600): Promise<string[]> {
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
        const input = `${header}.${b64(JSON.stringify(this.claims(`${prefix}-${i}`, now, lifetime)))}`;
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
      iss: ISSUER,
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
        issuer: ISSUER,
        jwks_uri: this.jwksUri,
        introspection_endpoint: this.introspectionEndpoint,
        token_endpoint: `${this.#origin}/token`,
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
