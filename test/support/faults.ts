/** Ways an authorization server endpoint can misbehave, and how each is acted out on a response. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Behavior =
  | { kind: 'ok' }
  /** Reset the connection as soon as the request arrives (the client sees a socket error). */
  | { kind: 'down' }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Wait `ms`, then behave as `then` (default ok). */
  | { kind: 'slow'; ms: number; then: Behavior }
  /** Send status and headers at once, then the body `ms` later (a timeout must cover the body). */
  | { kind: 'trickle'; ms: number }
  | { kind: 'status'; code: number; headers: Record<string, string>; body: string | undefined }
  /** 200 `application/json` whose body is not JSON. */
  | { kind: 'garbage' }
  /** 200 `application/json` of `bytes` bytes, streamed; Content-Length only if `declareLength`. */
  | { kind: 'oversized'; bytes: number; declareLength: boolean }
  | { kind: 'redirect'; location: string; code: number }
  | { kind: 'json'; body: unknown; code: number; headers: Record<string, string> };

/** Behaviour constructors: `fault.status(429, { 'retry-after': '7' })`, `fault.slow(200)`, … */
export const fault = {
  ok: { kind: 'ok' } as Behavior,
  down: { kind: 'down' } as Behavior,
  hang: { kind: 'hang' } as Behavior,
  garbage: { kind: 'garbage' } as Behavior,
  slow: (ms: number, then: Behavior = { kind: 'ok' }): Behavior => ({ kind: 'slow', ms, then }),
  trickle: (ms: number): Behavior => ({ kind: 'trickle', ms }),
  status: (code: number, headers: Record<string, string> = {}, body?: string): Behavior => ({ kind: 'status', code, headers, body }),
  oversized: (bytes: number, { declareLength = false } = {}): Behavior => ({ kind: 'oversized', bytes, declareLength }),
  redirect: (location: string, code = 302): Behavior => ({ kind: 'redirect', location, code }),
  json: (body: unknown, code = 200, headers: Record<string, string> = {}): Behavior => ({ kind: 'json', body, code, headers }),
};

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

function later(ms: number, fn: () => void): void {
  setTimeout(fn, ms).unref();
}

/** Act out `behavior`; `ok` runs the endpoint's real handler. */
export function perform(behavior: Behavior, req: IncomingMessage, res: ServerResponse, ok: () => void): void {
  switch (behavior.kind) {
    case 'ok':
      return ok();
    case 'down':
      req.socket.destroy();
      return;
    case 'hang':
      return;
    case 'slow':
      return later(behavior.ms, () => {
        if (!res.destroyed) perform(behavior.then, req, res, ok);
      });
    case 'trickle': {
      res.writeHead(200, JSON_TYPE);
      res.write('{"keys":[');
      return later(behavior.ms, () => {
        if (!res.destroyed) res.end(']}');
      });
    }
    case 'status': {
      const body = behavior.body ?? JSON.stringify({ error: 'server_error', error_description: `status ${behavior.code}` });
      res.writeHead(behavior.code, { ...JSON_TYPE, ...behavior.headers });
      res.end(behavior.code === 304 ? undefined : body);
      return;
    }
    case 'garbage':
      res.writeHead(200, JSON_TYPE);
      res.end('<html><body>502 Bad Gateway</body></html>');
      return;
    case 'oversized':
      return sendOversized(res, behavior.bytes, behavior.declareLength);
    case 'redirect':
      res.writeHead(behavior.code, { location: behavior.location });
      res.end();
      return;
    case 'json': {
      const text = JSON.stringify(behavior.body);
      res.writeHead(behavior.code, { ...JSON_TYPE, 'content-length': Buffer.byteLength(text), ...behavior.headers });
      res.end(text);
      return;
    }
  }
}

/** A valid JSON document of exactly `bytes` bytes (at least 12), sent in 64 KiB chunks. */
function sendOversized(res: ServerResponse, bytes: number, declareLength: boolean): void {
  const open = '{"pad":"';
  const close = '"}';
  let remaining = Math.max(0, bytes - open.length - close.length);
  res.writeHead(200, declareLength ? { ...JSON_TYPE, 'content-length': String(open.length + remaining + close.length) } : JSON_TYPE);
  res.write(open);
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const pump = () => {
    while (remaining > 0 && !res.destroyed) {
      const piece = chunk.subarray(0, Math.min(chunk.length, remaining));
      remaining -= piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end(close);
  };
  pump();
}
