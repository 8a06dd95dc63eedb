/** The counted server the test authorization servers run on, and small request/response helpers. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export { RequestCounts, startCountedServer } from '../../example-app/authorization-server/counted-server.js';
export type {
  CountedServer,
  CountedServerOptions,
  RecordedRequest,
  RequestHandler,
} from '../../example-app/authorization-server/counted-server.js';

/** The request body as text; more than `limit` bytes is an error. */
export async function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parameters of a form (`application/x-www-form-urlencoded`) or JSON body; non-string JSON
 * values are dropped. `undefined` when the body is neither or does not parse.
 */
export async function readParams(req: IncomingMessage): Promise<Record<string, string> | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const body = await readBody(req);
  if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
      return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch {
      return undefined;
    }
  }
  if (type === 'application/x-www-form-urlencoded' || (type === '' && body === '')) {
    return Object.fromEntries(new URLSearchParams(body));
  }
  return undefined;
}

/** Headers for token and introspection responses (RFC 6749 §5.1). */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** A JSON response with Content-Length; no caching headers unless given. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** `client_secret_basic` credentials (RFC 6749 §2.3.1: form-urlencoded id and secret). */
export function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(req: IncomingMessage): string | undefined {
  return /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '')?.[1];
}

/** The pathname of the request, query string removed. */
export function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://x').pathname;
}
