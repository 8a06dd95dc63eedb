/**
 * Finding 5: the DPoP `htu` path binding was bypassed through `Host`. With a proof for
 * `GET /api/profile`, `GET /api/admin/export` with `Host: <host>/api/profile?` passed: the URL
 * was rebuilt from the unvalidated Host and the real path became a query, which `htu`
 * comparison drops. Every URL the guard builds from request headers (Host, a trusted proxy's
 * X-Forwarded-Host and -Proto; DPoP `htu` and `audience: 'request-url'`) takes only a
 * syntactically valid `host[:port]` and an http(s) scheme; anything else is 400
 * `invalid_request` before any token work, and the handler never runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { proof, type DpopKey } from '../dpop/support.js';
import type { FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { listen, outcome, rawRequest, startDpopBound, type Listening } from './support.js';

const audience = 'https://api.example.com';
let fault: FaultServer;
let key: DpopKey;
let token: string;
beforeAll(async () => {
  ({ fault, key, token } = await startDpopBound(audience));
});
afterAll(() => fault?.close());

describe.each(flavours)('$name', (flavour) => {
  const reached: string[] = [];
  const start = async (setup: (app: ReturnType<typeof flavour.create>) => void = () => {}) => {
    const guard = createGuard({ issuer: fault.issuer, audience });
    const app = flavour.create();
    setup(app);
    app.use('/api', guard.authenticate());
    app.get('/api/profile', (req, res) => {
      reached.push(req.path);
      res.json({ ok: true });
    });
    app.get('/api/admin/export', (req, res) => {
      reached.push(req.path);
      res.json({ secrets: true });
    });
    app.use('/mcp', guard.authenticate({ audience: 'request-url' }), (req, res) => {
      reached.push(req.originalUrl);
      res.json({ ok: true });
    });
    return listen(app);
  };
  const dpopGet = async (api: Listening, target: string, headers: string[], htu = `${api.origin}/api/profile`) =>
    rawRequest(api.port, [
      `GET ${target} HTTP/1.1`,
      ...headers,
      `Authorization: DPoP ${token}`,
      `DPoP: ${await proof(key, { htm: 'GET', htu, token })}`,
    ]);

  let api: Listening;
  beforeAll(async () => {
    api = await start();
  });
  afterAll(() => api?.close());

  it('the attack: a proof for /api/profile on /api/admin/export with Host "<host>/api/profile?" is 400, the handler never runs', async () => {
    reached.length = 0;
    const reply = await dpopGet(api, '/api/admin/export', [`Host: 127.0.0.1:${api.port}/api/profile?`]);
    expect(outcome(reply)).toEqual([400, 'invalid_request']);
    expect(reply.body).not.toContain('secrets');
    expect(reached).toEqual([]);
  });

  it.each([
    ['a path and a fragment', (port: number) => `127.0.0.1:${port}/api/profile#`],
    ['userinfo and a path', (port: number) => `attacker@127.0.0.1:${port}/api/profile?`],
    ['backslashes', (port: number) => `127.0.0.1:${port}\\api\\profile?`],
    ['a port out of range', () => '127.0.0.1:65536'],
    ['a port that is not a number', () => '127.0.0.1:http'],
    ['an unclosed IPv6 literal', () => '[::1'],
    ['a space inside', (port: number) => `127.0.0.1 :${port}`],
    ['percent-encoding', (port: number) => `127.0.0.1%3a${port}`],
    ['nothing', () => ''],
  ])('Host with %s is 400 invalid_request', async (_name, host) => {
    reached.length = 0;
    const reply = await dpopGet(api, '/api/admin/export', [`Host: ${host(api.port)}`]);
    expect(outcome(reply)).toEqual([400, 'invalid_request']);
    expect(reached).toEqual([]);
  });

  it('the same proof is still good where it belongs, and refused (401) on the other path with a valid Host', async () => {
    reached.length = 0;
    expect((await dpopGet(api, '/api/profile', [`Host: 127.0.0.1:${api.port}`])).status).toBe(200);
    expect(outcome(await dpopGet(api, '/api/admin/export', [`Host: 127.0.0.1:${api.port}`]))).toEqual([401, 'invalid_dpop_proof']);
    // Host names are case-insensitive (RFC 3986 §3.2.2): the same origin.
    expect((await dpopGet(api, '/api/profile', [`Host: LOCALHOST:${api.port}`], `http://localhost:${api.port}/api/profile`)).status).toBe(200);
    expect(reached).toEqual(['/api/profile', '/api/profile']);
  });

  it('two Host headers are 400 invalid_request (RFC 9112 §3.2): a proxy may have read the other one', async () => {
    reached.length = 0;
    const reply = await dpopGet(api, '/api/profile', [`Host: 127.0.0.1:${api.port}`, `Host: evil.example`]);
    expect(reply.status).toBe(400);
    expect(reached).toEqual([]);
  });

  it('sibling: a trusted proxy\'s X-Forwarded-Host and X-Forwarded-Proto are held to the same syntax', async () => {
    const proxied = await start((app) => app.set('trust proxy', 'loopback'));
    try {
      reached.length = 0;
      const base = [`Host: 127.0.0.1:${proxied.port}`];
      expect(outcome(await dpopGet(proxied, '/api/admin/export', [...base, 'X-Forwarded-Host: api.example.com/api/profile?'], 'http://api.example.com/api/profile'))).toEqual([400, 'invalid_request']);
      expect(
        outcome(await dpopGet(proxied, '/api/admin/export', [...base, 'X-Forwarded-Proto: https://api.example.com/api/profile?'], 'https://api.example.com/api/profile')),
      ).toEqual([400, 'invalid_request']);
      expect(outcome(await dpopGet(proxied, '/api/admin/export', [...base, 'X-Forwarded-Proto: ftp'], `ftp://127.0.0.1:${proxied.port}/api/admin/export`))).toEqual([400, 'invalid_request']);
      expect(reached).toEqual([]);
      // A well-formed forwarded origin works as before.
      expect((await dpopGet(proxied, '/api/profile', [...base, 'X-Forwarded-Host: api.example.com', 'X-Forwarded-Proto: https'], 'https://api.example.com/api/profile')).status).toBe(200);
    } finally {
      await proxied.close();
    }
  });

  it("sibling: audience 'request-url' refuses the same Host with 400, before looking at the token", async () => {
    reached.length = 0;
    const mcpToken = fault.mintJwt({ claims: { aud: `http://127.0.0.1:${api.port}/mcp` } });
    const send = (host: string) =>
      rawRequest(api.port, ['GET /mcp HTTP/1.1', `Host: ${host}`, `Authorization: Bearer ${mcpToken}`]);
    expect(outcome(await send(`127.0.0.1:${api.port}/mcp?`))).toEqual([400, 'invalid_request']);
    expect(outcome(await send(`x@127.0.0.1:${api.port}`))).toEqual([400, 'invalid_request']);
    expect(reached).toEqual([]);
    expect((await send(`127.0.0.1:${api.port}`)).status).toBe(200);
  });
});
