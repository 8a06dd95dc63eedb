/**
 * A plain `node:http` server on an ephemeral port that counts every request before its handler
 * sees it, so tests can assert how often the guard reached an authorization server.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The query string including `?`, or `''`. */
  search: string;
  headers: IncomingHttpHeaders;
}

/**
 * Requests seen, per path (query string ignored). Counts are exact; the request log keeps the
 * latest `logLimit` requests so a long-running example app does not grow without bound.
 */
export class RequestCounts {
  readonly #counts = new Map<string, number>(); // "<path>" and "<METHOD> <path>"
  readonly #log: RecordedRequest[] = [];
  #total = 0;

  constructor(readonly logLimit = 1_000) {}

  record(req: IncomingMessage): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    for (const key of [url.pathname, `${method} ${url.pathname}`]) this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    this.#total++;
    this.#log.push({ method, path: url.pathname, search: url.search, headers: req.headers });
    if (this.#log.length > this.logLimit) this.#log.shift();
  }

  /** Requests to `path` (exact pathname), optionally of one method. */
  get(path: string, method?: string): number {
    return this.#counts.get(method === undefined ? path : `${method.toUpperCase()} ${path}`) ?? 0;
  }

  /** Every request seen since the last reset. */
  total(): number {
    return this.#total;
  }

  /** The latest recorded requests, oldest first, optionally only those to `path`. */
  requests(path?: string, method?: string): RecordedRequest[] {
    return this.#log.filter(
      (r) => (path === undefined || r.path === path) && (method === undefined || r.method === method.toUpperCase()),
    );
  }

  /** `{ path: count }` for every path seen. */
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.#counts].filter(([key]) => key.startsWith('/')));
  }

  reset(): void {
    this.#counts.clear();
    this.#log.length = 0;
    this.#total = 0;
  }
}

export interface CountedServerOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
}

export interface CountedServer {
  server: Server;
  port: number;
  host: string;
  /** `http://<host>:<port>`, no trailing slash. */
  url: string;
  counts: RequestCounts;
  /** Replace the handler; counting stays in front of it. */
  setHandler(handler: RequestHandler): void;
  /** Stop listening and drop every connection, keep-alive and in-flight ones included. */
  close(): Promise<void>;
  /** Listen again on the same port after `close()`. */
  reopen(): Promise<void>;
  readonly listening: boolean;
}

export async function startCountedServer(
  handler: RequestHandler,
  options: CountedServerOptions = {},
): Promise<CountedServer> {
  const host = options.host ?? '127.0.0.1';
  const counts = new RequestCounts();
  let current = handler;
  const server = createServer((req, res) => {
    counts.record(req);
    current(req, res);
  });
  // A test that ends while a request hangs must not leave the socket open.
  server.keepAliveTimeout = 1_000;

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    server,
    port,
    host,
    url: `http://${urlHost}:${port}`,
    counts,
    setHandler(next) {
      current = next;
    },
    close() {
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    reopen: () => (server.listening ? Promise.resolve() : listen(port)),
    get listening() {
      return server.listening;
    },
  };
}
