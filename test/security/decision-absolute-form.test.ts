/**
 * Decision (issue 17): absolute-form request targets (`GET http://other/path`, RFC 9112
 * §3.2.2). A server must accept them, but they must not let a client pick the origin that
 * DPoP `htu` and `audience: 'request-url'` are compared with: before, the guard took the
 * target's origin as it was, past the Host and `trust proxy` rules (and past any proxy that
 * routes by Host). Now an absolute-form target is accepted when it names the origin the
 * origin-form rules give (Host, or a trusted proxy's X-Forwarded-*); another origin is 400
 * `invalid_request`. With `publicBaseUrl` only its path counts, as for any request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type GuardOptions } from '../../src/index.js';
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
  const start = async (options: Partial<GuardOptions> = {}, trustProxy?: string) => {
    const guard = createGuard({ issuer: fault.issuer, audience, ...options });
    const app = flavour.create();
    if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
    app.use('/api', guard.authenticate());
    app.get('/api/profile', (req, res) => {
      reached.push(req.path);
      res.json({ ok: true });
    });
    app.use('/mcp', guard.authenticate({ audience: 'request-url' }), (req, res) => {
      reached.push(req.baseUrl);
      res.json({ ok: true });
    });
    return listen(app);
  };
  const dpopGet = async (api: Listening, target: string, htu: string, headers: string[] = []) =>
    rawRequest(api.port, [
      `GET ${target} HTTP/1.1`,
      `Host: 127.0.0.1:${api.port}`,
      ...headers,
      `Authorization: DPoP ${token}`,
      `DPoP: ${await proof(key, { htm: 'GET', htu, token })}`,
    ]);

  let api: Listening;
  beforeAll(async () => {
    api = await start();
  });
  afterAll(() => api?.close());

  it('DPoP: an absolute-form target naming another origin than Host is 400, whatever the proof says', async () => {
    reached.length = 0;
    const reply = await dpopGet(api, 'http://other.example/api/profile', 'http://other.example/api/profile');
    expect(outcome(reply)).toEqual([400, 'invalid_request']);
    expect(reached).toEqual([]);
  });

  it('DPoP: an absolute-form target naming the Host origin is accepted (RFC 9112 §3.2.2), and held to the path rules', async () => {
    reached.length = 0;
    expect((await dpopGet(api, `${api.origin}/api/profile`, `${api.origin}/api/profile`)).status).toBe(200);
    expect((await dpopGet(api, `HTTP://127.0.0.1:${api.port}/api/profile?x=1`, `${api.origin}/api/profile`)).status).toBe(200);
    expect(outcome(await dpopGet(api, `${api.origin}/api/x/../profile`, `${api.origin}/api/profile`))).toEqual([400, 'invalid_request']);
    expect(outcome(await dpopGet(api, `http://user@127.0.0.1:${api.port}/api/profile`, `${api.origin}/api/profile`))).toEqual([400, 'invalid_request']);
    expect(reached).toEqual(['/api/profile', '/api/profile']);
  });

  it("request-url: an absolute-form target naming another origin is 400, even with a token for that origin", async () => {
    reached.length = 0;
    const forOther = fault.mintJwt({ claims: { aud: 'http://other.example/mcp' } });
    const send = (target: string, bearer: string) =>
      rawRequest(api.port, [`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${api.port}`, `Authorization: Bearer ${bearer}`]);
    expect(outcome(await send('http://other.example/mcp', forOther))).toEqual([400, 'invalid_request']);
    expect(reached).toEqual([]);
    const forThis = fault.mintJwt({ claims: { aud: `${api.origin}/mcp` } });
    expect((await send(`${api.origin}/mcp`, forThis)).status).toBe(200);
  });

  it('behind a trusted proxy, the forwarded origin is the one an absolute-form target must name', async () => {
    const proxied = await start({}, 'loopback');
    try {
      const forwarded = ['X-Forwarded-Proto: https', 'X-Forwarded-Host: api.example.com'];
      const htu = 'https://api.example.com/api/profile';
      expect((await dpopGet(proxied, htu, htu, forwarded)).status).toBe(200);
      expect(outcome(await dpopGet(proxied, `${proxied.origin}/api/profile`, `${proxied.origin}/api/profile`, forwarded))).toEqual([400, 'invalid_request']);
    } finally {
      await proxied.close();
    }
  });

  it('with publicBaseUrl the configured origin wins: only the path of an absolute-form target counts', async () => {
    const pinned = await start({ publicBaseUrl: 'https://public.example.com' });
    try {
      const htu = 'https://public.example.com/api/profile';
      expect((await dpopGet(pinned, 'http://other.example/api/profile', htu)).status).toBe(200);
      expect(outcome(await dpopGet(pinned, 'http://other.example/api/profile', 'http://other.example/api/profile'))).toEqual([401, 'invalid_dpop_proof']);
    } finally {
      await pinned.close();
    }
  });
});
