/**
 * Local stand-ins for the authorization servers of docs/providers.md: a plain HTTP server on
 * 127.0.0.1 per provider, whose routes each provider's test declares from that provider's
 * published documents (where the metadata lives and what it says, the JWKS and its key
 * fields, token headers and claims, introspection answers). Tokens are signed by hand with
 * real keys (`../support/keys.ts`), so a test can send exactly what the provider sends.
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Express, RequestHandler } from 'express';
import { expect } from 'vitest';
import supertest from 'supertest';
import type { AuthInfo, Guard } from '../../src/index.js';
import { NO_STORE, basicCredentials, bearerToken, pathOf, readParams, sendJson, startCountedServer, type RequestCounts } from '../support/http-server.js';
import { generateSigningKey, signJws, type AsymmetricAlg, type SigningKey } from '../support/keys.js';
import type { ExpressFlavour } from '../support/webhook-app.js';
import { parseChallenges } from '../support/challenge.js';

export { flavours } from '../support/guard-app.js';
export type { SigningKey };

/** Seconds since the epoch, as in `exp` and `iat`. */
export const now = (): number => Math.floor(Date.now() / 1000);

type Answer = [status: number, body: unknown, headers?: Record<string, string>];

export interface ProviderServer {
  /** `http://127.0.0.1:<port>`, standing in for the provider's `https://` origin. */
  readonly origin: string;
  readonly counts: RequestCounts;
  /** GET `path` answers `body` as JSON (a function is called per request). */
  json(path: string, body: unknown): void;
  /** POST `path` answers what `answer` returns for the request's form or JSON parameters. */
  post(path: string, answer: (params: Record<string, string>, req: IncomingMessage) => Answer | Promise<Answer>): void;
  close(): Promise<void>;
}

/** A server that answers 404 (as JSON) wherever no route was declared. */
export async function startProviderServer(): Promise<ProviderServer> {
  const gets = new Map<string, unknown>();
  const posts = new Map<string, (params: Record<string, string>, req: IncomingMessage) => Answer | Promise<Answer>>();
  const http = await startCountedServer((req, res) => {
    const path = pathOf(req);
    if (req.method === 'GET' && gets.has(path)) {
      const body = gets.get(path);
      return sendJson(res, 200, typeof body === 'function' ? (body as () => unknown)() : body, { 'cache-control': 'max-age=300' });
    }
    const post = posts.get(path);
    if (req.method === 'POST' && post !== undefined) {
      readParams(req)
        .then(async (params) => {
          if (params === undefined) return sendJson(res, 400, { error: 'invalid_request' });
          const [status, body, headers] = await post(params, req);
          sendJson(res, status, body, { ...NO_STORE, ...headers });
        })
        .catch(() => sendJson(res, 500, { error: 'server_error' }));
      return;
    }
    sendJson(res, 404, { error: 'not_found' });
  });
  return {
    origin: http.url,
    counts: http.counts,
    json: (path, body) => void gets.set(path, body),
    post: (path, answer) => void posts.set(path, answer),
    close: () => http.close(),
  };
}

/** A compact JWS with exactly `header` (its `alg` picks the algorithm) and `claims`. */
export function sign(key: SigningKey | KeyObject, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const privateKey = 'privateKey' in key ? key.privateKey : key;
  return signJws({ header, payload: claims, key: privateKey });
}

/** A fresh RS256 (or `alg`) key with this `kid`. */
export function signingKey(kid: string, alg: AsymmetricAlg = 'RS256'): Promise<SigningKey> {
  return generateSigningKey(alg, kid);
}

/** The public JWK members of a key: `kty` and its material, nothing else. */
export function bareJwk(key: SigningKey): Record<string, unknown> {
  const { kty, n, e, crv, x, y } = key.publicKey.export({ format: 'jwk' });
  return Object.fromEntries(Object.entries({ kty, n, e, crv, x, y }).filter(([, v]) => v !== undefined));
}

/**
 * `x5c` and `x5t` members as servers that publish certificates send them (Entra ID,
 * Keycloak). The bytes are not a real certificate: the guard verifies with `n`/`e` and never
 * reads `x5c`, which these tests also show.
 */
export function certificateMembers(): { x5c: string[]; x5t: string; 'x5t#S256': string } {
  const der = randomBytes(700);
  return {
    x5c: [der.toString('base64')],
    x5t: createHash('sha1').update(der).digest('base64url'),
    'x5t#S256': createHash('sha256').update(der).digest('base64url'),
  };
}

/**
 * RFC 7662 answers of one server: tokens it issued (with the claims it reports) and revoked.
 * `authorize` decides whether the caller may introspect (client authentication).
 */
export class Introspection {
  readonly #answers = new Map<string, Record<string, unknown>>();
  readonly #revoked = new Set<string>();

  /** Remember `token`; introspection answers `active: true` with `claims` until `exp`. */
  issue(token: string, claims: Record<string, unknown>): string {
    this.#answers.set(token, claims);
    return token;
  }

  revoke(token: string): void {
    this.#revoked.add(token);
  }

  answer(token: string | undefined): Record<string, unknown> {
    const claims = token === undefined ? undefined : this.#answers.get(token);
    if (claims === undefined || this.#revoked.has(token!)) return { active: false };
    if (typeof claims.exp === 'number' && claims.exp <= now()) return { active: false };
    return { active: true, ...claims };
  }

  /** A POST handler for `ProviderServer.post`, checking credentials with `authorized`. */
  endpoint(authorized: (req: IncomingMessage, params: Record<string, string>) => boolean): (params: Record<string, string>, req: IncomingMessage) => Answer {
    return (params, req) => {
      if (!authorized(req, params)) return [401, { error: 'invalid_client' }];
      if (!params.token) return [400, { error: 'invalid_request' }];
      return [200, this.answer(params.token)];
    };
  }
}

/** `client_secret_basic` with exactly these credentials. */
export const basicAuth = (id: string, secret: string) => (req: IncomingMessage) => {
  const credentials = basicCredentials(req);
  return credentials?.id === id && credentials.secret === secret;
};

/** `Authorization: Bearer <key>`, as Telnyx introspection takes. */
export const bearerAuth = (key: string) => (req: IncomingMessage) => bearerToken(req) === key;

/** An opaque token as random base64url. */
export const opaque = (prefix = ''): string => `${prefix}${randomBytes(32).toString('base64url')}`;

/**
 * The API every provider test drives: `/api/me` (authenticate) and `/api/read` (any of
 * `scopes`, authenticating by itself), both answering `req.auth`, behind Express's own error
 * handler.
 */
export function providerApp(flavour: ExpressFlavour, guard: Guard, ...scopes: string[]): Express {
  const app = flavour.create();
  const echo: RequestHandler = (req, res) => void res.json(req.auth);
  app.use('/api/me', guard.authenticate(), echo);
  app.get('/api/read', guard.requireAnyScope(...scopes), echo);
  return app;
}

/** GET `path` with `token` as a bearer token. */
export function call(app: Express, path: string, token: string): supertest.Test {
  return supertest(app).get(path).set('Authorization', `Bearer ${token}`);
}

/** The `AuthInfo` of a 200 (failing with the challenge otherwise). */
export function accepted(res: supertest.Response): AuthInfo {
  expect({ status: res.status, challenge: res.headers['www-authenticate'] }).toEqual({ status: 200, challenge: undefined });
  return res.body as AuthInfo;
}

/** Asserts 401 `invalid_token` with exactly `description` in the Bearer challenge. */
export function refused(res: supertest.Response, description: string): void {
  expect(res.status).toBe(401);
  const bearer = parseChallenges(String(res.headers['www-authenticate'] ?? '')).find((c) => c.scheme === 'Bearer');
  expect(bearer?.params).toMatchObject({ error: 'invalid_token', error_description: description });
}
