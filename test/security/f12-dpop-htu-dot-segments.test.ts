/**
 * Finding 12: DPoP `htu` had the normalisation gap of finding 11. A proof for
 * `/orgs/evil/data/x` was accepted on `/orgs/victim/data/..\..\evil\data\x`: Express routes
 * `org=victim`, the URL rebuilt for `htu` resolved to `/orgs/evil/data/x`. Now the request URL
 * comes from `auth/request-url.ts`, which never resolves: such a target is 400
 * `invalid_request`, an `htu` with dot segments matches nothing, and `guard.verify` holds the
 * URL it is given to the same rule.
 */
import type { Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type Guard } from '../../src/index.js';
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
  let api: Listening;
  let guard: Guard;
  beforeAll(async () => {
    guard = createGuard({ issuer: fault.issuer, audience });
    const app = flavour.create();
    const record = (req: Request, res: Response) => {
      reached.push(String(req.params.org));
      res.json({ org: req.params.org });
    };
    app.get('/orgs/:org/data/:item', guard.authenticate(), record);
    app.use('/tenants/:org', guard.authenticate(), record);
    api = await listen(app);
  });
  afterAll(() => api?.close());

  const send = async (target: string, htu: string) =>
    rawRequest(api.port, [
      `GET ${target} HTTP/1.1`,
      `Host: 127.0.0.1:${api.port}`,
      `Authorization: DPoP ${token}`,
      `DPoP: ${await proof(key, { htm: 'GET', htu, token })}`,
    ]);

  it('the attack: a proof for /orgs/evil/data/x on /orgs/victim/data/..\\..\\evil\\data\\x is 400, the handler never runs', async () => {
    reached.length = 0;
    const reply = await send('/orgs/victim/data/..\\..\\evil\\data\\x', `${api.origin}/orgs/evil/data/x`);
    expect(outcome(reply)).toEqual([400, 'invalid_request']);
    expect(reached).toEqual([]);
  });

  it.each([
    ['raw dot segments', '/tenants/victim/../evil/data/x'],
    ['%2e%2e', '/tenants/victim/%2e%2e/evil/data/x'],
    ['%2E.', '/tenants/victim/%2E./evil/data/x'],
    ['a single dot', '/tenants/victim/./../evil/data/x'],
  ])('the same under a mount with %s is 400', async (_name, target) => {
    reached.length = 0;
    expect(outcome(await send(target, `${api.origin}/tenants/evil/data/x`))).toEqual([400, 'invalid_request']);
    expect(reached).toEqual([]);
  });

  it.each([
    ['..', '/orgs/evil/../victim/data/x'],
    ['%2e%2e', '/orgs/evil/%2e%2e/victim/data/x'],
    ['a backslash', '/orgs\\victim/data/x'],
  ])('a proof whose htu reaches the path only after normalisation (%s) is 401 invalid_dpop_proof', async (_name, path) => {
    reached.length = 0;
    expect(outcome(await send('/orgs/victim/data/x', `${api.origin}${path}`))).toEqual([401, 'invalid_dpop_proof']);
    expect(reached).toEqual([]);
  });

  it('the exact proof still passes', async () => {
    reached.length = 0;
    expect((await send('/orgs/victim/data/x', `${api.origin}/orgs/victim/data/x`)).status).toBe(200);
    expect(reached).toEqual(['victim']);
  });

  it('guard.verify refuses a request URL with dot segments or backslashes (400 invalid_request)', async () => {
    const htu = `${api.origin}/orgs/evil/data/x`;
    for (const url of [`${api.origin}/orgs/victim/data/..\\..\\evil\\data\\x`, `${api.origin}/orgs/victim/../evil/data/x`]) {
      const dpop = await proof(key, { htm: 'GET', htu, token });
      await expect(guard.verify(token, { request: { scheme: 'DPoP', method: 'GET', url, dpop } })).rejects.toMatchObject({
        status: 400,
        code: 'invalid_request',
      });
    }
    const dpop = await proof(key, { htm: 'GET', htu, token });
    await expect(guard.verify(token, { request: { scheme: 'DPoP', method: 'GET', url: htu, dpop } })).resolves.toMatchObject({ scheme: 'DPoP' });
  });
});
