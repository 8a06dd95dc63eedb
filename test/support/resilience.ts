/**
 * Helpers for the resilience tests: outcomes of `verify` as data, cheap hostile tokens (a
 * flood of 10,000 needs no RSA signature per token), a white-box verifier, and an Express
 * app on a real port with one route the guard never touches.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { OAuthError, type Guard } from '../../src/index.js';
import { normalizeOptions, type GuardOptions } from '../../src/options/normalize.js';
import { TokenVerifier } from '../../src/verify/verifier.js';

export const AUDIENCE = 'https://api.example.com';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The `OAuthError` a promise rejects with, `undefined` when it resolves; anything else is rethrown. */
export async function failure(promise: Promise<unknown>): Promise<OAuthError | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    if (err instanceof OAuthError) return err;
    throw err;
  }
}

/** `200`, or the status of the `OAuthError`; any other rejection is rethrown (a crash). */
export async function statusOf(promise: Promise<unknown>): Promise<number> {
  return (await failure(promise))?.status ?? 200;
}

/** `{ status: count }` of a list of outcomes. */
export function tally(statuses: readonly number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

/**
 * A verifier built the way `createGuard` builds it, for white-box tests that read its caches:
 * `tokenCache.size`, `introspector.state`, each issuer's `jwks.remote.state`.
 */
export function whiteBoxVerifier(options: GuardOptions): TokenVerifier {
  return new TokenVerifier(normalizeOptions(options), {
    realm: options.resource ?? AUDIENCE,
    resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource',
  });
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * `token` with its JOSE header replaced by `header` and the signature kept: cheap to make in
 * bulk, never valid. For kid floods, where the key look-up happens before any signature check.
 */
export function withHeader(token: string, header: Record<string, unknown>): string {
  const [, payload, signature] = token.split('.');
  return `${b64(header)}.${payload}.${signature}`;
}

/** An HMAC-signed JWS: microseconds per token, so 100,000 valid tokens are affordable. */
export function hmacJwt(
  secret: Uint8Array | string,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'at+jwt' },
): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const signature = createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

/** A random opaque token, 40 base64url characters. */
export const opaque = () => randomBytes(30).toString('base64url');

export interface RunningApp {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * An Express 5 app on 127.0.0.1: `/api/*` behind `guard.authenticate()`, and `/health`, a
 * route the guard never sees, to show the process keeps answering while the AS hangs.
 * Errors answer with their status and headers and a `{ code, description }` body.
 */
export async function startGuardedApp(guard: Guard): Promise<RunningApp> {
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ ok: true });
  });
  app.use('/api', guard.authenticate());
  app.get('/api/data', (req, res) => {
    res.json({ tokenType: req.auth?.tokenType });
  });
  app.use(((err, _req, res, _next) => {
    const e = err as Partial<OAuthError>;
    res.status(e.status ?? 500).set(e.headers ?? {}).json({ code: e.code, description: e.description });
  }) as express.ErrorRequestHandler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
