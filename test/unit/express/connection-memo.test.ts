/**
 * The per-connection memo of the last `Authorization` header (express/connection-memo.ts): a
 * keep-alive client that repeats its header skips re-reading and re-hashing it, and nothing a
 * later request on the same connection sends can ride on what an earlier one presented.
 * Raw HTTP/1.1 over one socket, so the requests really share a connection.
 */
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../../src/index.js';
import { startFaultServer, type FaultServer } from '../../support/fault-server.js';
import { flavours } from '../../support/guard-app.js';
import { recordEvents } from '../../support/events.js';

const audience = 'https://api.example.com';
let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer({ audience });
});
afterAll(() => as.close());

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One keep-alive connection: each `send` writes a raw request and reads its answer. */
class Connection {
  #buffer = '';
  #waiting: (() => void) | undefined;
  constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#waiting?.();
    });
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  async send(headerLines: string[]): Promise<Answer> {
    this.socket.write(['GET /api/messages HTTP/1.1', 'Host: 127.0.0.1', ...headerLines, '', ''].join('\r\n'));
    for (;;) {
      const answer = this.#take();
      if (answer !== undefined) return answer;
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
  }

  #take(): Answer | undefined {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const [statusLine, ...lines] = this.#buffer.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    if (this.#buffer.length < end + 4 + length) return undefined;
    const body = this.#buffer.slice(end + 4, end + 4 + length);
    this.#buffer = this.#buffer.slice(end + 4 + length);
    return { status: Number(statusLine!.split(' ')[1]), headers, body };
  }

  close(): void {
    this.socket.destroy();
  }
}

describe.each(flavours)('$name', (flavour) => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const guard = createGuard({ issuer: as.issuer, audience });
    const app = flavour.create();
    app.get('/api/messages', guard.requireScopes('messages:read'), (req, res) => {
      res.json({ subject: req.auth?.subject, token: req.auth?.token });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('the same header again on one connection: the same answer, from the cache', async () => {
    const token = as.mintJwt({ claims: { scope: 'messages:read' } });
    const connection = await Connection.open(port);
    const events = recordEvents();
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await connection.send([`Authorization: Bearer ${token}`]);
        expect({ status: answer.status, token: JSON.parse(answer.body).token }).toEqual({ status: 200, token });
      }
      expect(events.of('resource-guard:token:accepted').map((e) => e.cached)).toEqual([false, true, true]);
    } finally {
      events.stop();
      connection.close();
    }
  });

  it('another token on the same connection is read and decided on its own', async () => {
    const first = as.mintJwt({ claims: { scope: 'messages:read', sub: 'first' } });
    const second = as.mintJwt({ claims: { scope: 'messages:read', sub: 'second' } });
    const noScope = as.mintJwt({ claims: { scope: 'messages:write', sub: 'third' } });
    const connection = await Connection.open(port);
    try {
      expect(JSON.parse((await connection.send([`Authorization: Bearer ${first}`])).body).subject).toBe('first');
      expect(JSON.parse((await connection.send([`Authorization: Bearer ${second}`])).body).subject).toBe('second');
      expect((await connection.send([`Authorization: Bearer ${noScope}`])).status).toBe(403);
      expect(JSON.parse((await connection.send([`Authorization: Bearer ${first}`])).body).subject).toBe('first');
    } finally {
      connection.close();
    }
  });

  it('the remembered header sent twice, or spelt differently, is read again: 400, 401 or refused as it should be', async () => {
    const token = as.mintJwt({ claims: { scope: 'messages:read' } });
    const connection = await Connection.open(port);
    try {
      expect((await connection.send([`Authorization: Bearer ${token}`])).status).toBe(200);
      // RFC 6750: two Authorization headers are a malformed request, whatever the first one held.
      const twice = await connection.send([`Authorization: Bearer ${token}`, `Authorization: Bearer ${token}`]);
      expect({ status: twice.status, challenge: twice.headers['www-authenticate'] }).toMatchObject({
        status: 400,
        challenge: expect.stringContaining('error="invalid_request"'),
      });
      const malformed = await connection.send([`Authorization: Bearer ${token}!`]);
      expect(malformed.status).toBe(400);
      const none = await connection.send([]);
      expect({ status: none.status, challenge: none.headers['www-authenticate'] }).toMatchObject({
        status: 401,
        challenge: expect.not.stringContaining('error='),
      });
      expect((await connection.send([`Authorization: Basic ${Buffer.from('a:b').toString('base64')}`])).status).toBe(401);
      expect((await connection.send([`Authorization: Bearer ${token}`])).status).toBe(200);
    } finally {
      connection.close();
    }
  });

  it('nothing carries over between connections', async () => {
    const token = as.mintJwt({ claims: { scope: 'messages:read' } });
    const one = await Connection.open(port);
    const two = await Connection.open(port);
    try {
      expect((await one.send([`Authorization: Bearer ${token}`])).status).toBe(200);
      expect((await two.send([])).status).toBe(401);
      expect((await two.send([`Authorization: Bearer ${token}x`])).status).toBe(401);
    } finally {
      one.close();
      two.close();
    }
  });
});
