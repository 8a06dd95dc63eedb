/**
 * What the security regression tests share: an app on a real port, and raw HTTP/1.1 over
 * `node:net` for the requests a well-behaved client library refuses to send (a Host that is
 * not a host, backslashes and dot segments in the target, absolute-form targets, a socket
 * that hangs up before the answer).
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { dpopKey, type DpopKey } from '../dpop/support.js';
import { parseChallenges, type Challenge } from '../support/challenge.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';

export interface Listening {
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** `app` on an ephemeral port of 127.0.0.1. */
export async function listen(app: Express): Promise<Listening> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export interface RawReply {
  status: number;
  /** Lower-cased names; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` (request line and header lines, without the blank line) and `body` exactly as
 * written, with `Connection: close`, and reads the answer until the server closes.
 */
export function rawRequest(port: number, head: readonly string[], body: string | Buffer = ''): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(parseReply(Buffer.concat(chunks).toString('latin1')));
      } catch (err) {
        reject(err);
      }
    });
    // No half-close: Node's server drops a connection whose client ended before the answer.
    socket.write(`${[...head, 'Connection: close'].join('\r\n')}\r\n\r\n`);
    socket.write(body);
  });
}

function parseReply(text: string): RawReply {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete answer: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = text.slice(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = unchunk(body);
  return { status, headers, body };
}

function unchunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const line = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, line), 16);
    if (!(size > 0)) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
}

/**
 * Opens a connection, writes `data`, and destroys the socket without waiting for an answer
 * once `hangUpAfter` resolves (default: right after writing). Resolves when the socket closed.
 */
export function sendAndHangUp(port: number, data: string | Buffer, hangUpAfter?: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1', () => {
      socket.write(data, () => {
        Promise.resolve(hangUpAfter?.()).then(() => socket.destroy());
      });
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve());
  });
}

/** The challenges of `WWW-Authenticate`, in order (none when the header is absent). */
export function challengesOf(reply: { headers: Record<string, unknown> }): Challenge[] {
  const header = reply.headers['www-authenticate'];
  return typeof header === 'string' ? parseChallenges(header) : [];
}

/** `[status, error of the first challenge that has one]`, for one-line assertions. */
export function outcome(reply: { status: number; headers: Record<string, unknown> }): [number, string | undefined] {
  return [reply.status, challengesOf(reply).find((c) => c.params.error !== undefined)?.params.error];
}

export interface TestCertificate {
  pem: string;
  der: Buffer;
  /** base64url SHA-256 of the DER: the `cnf["x5t#S256"]` that binds a token to it. */
  x5t: string;
}

/** A self-signed P-256 certificate made with Debian's openssl (RFC 8705 §2.2 allows self-signed ones). */
export function makeCertificate(name: string): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'rg-sec-cert-'));
  try {
    const certFile = join(dir, 'cert.pem');
    execFileSync('/usr/bin/openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', certFile, '-days', '1', '-subj', `/CN=${name}`,
    ], { stdio: 'pipe' });
    const pem = readFileSync(certFile, 'utf8');
    const der = Buffer.from(new X509Certificate(pem).raw);
    return { pem, der, x5t: createHash('sha256').update(der).digest('base64url') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The process warnings with `code` emitted while `run` runs (`process.emitWarning` delivers on a later tick). */
export async function warningsDuring(code: string, run: () => Promise<void>): Promise<Array<{ code: string | undefined; message: string }>> {
  const seen: Array<{ code: string | undefined; message: string }> = [];
  const listener = (warning: Error & { code?: string }) => seen.push({ code: warning.code, message: warning.message });
  process.on('warning', listener);
  try {
    await run();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen.filter((warning) => warning.code === code);
}

/** An authorization server for `audience`, a DPoP key, and a token bound to that key (`cnf.jkt`). */
export interface DpopBound {
  fault: FaultServer;
  key: DpopKey;
  token: string;
}

/** Starts what the DPoP `htu` tests share: the server, an ES256 proof key, a token bound to it. */
export async function startDpopBound(audience: string): Promise<DpopBound> {
  const fault = await startFaultServer({ audience });
  const key = await dpopKey('ES256');
  return { fault, key, token: fault.mintJwt({ claims: { cnf: { jkt: key.jkt } } }) };
}

