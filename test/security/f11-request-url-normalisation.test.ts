/**
 * Finding 11: `audience: 'request-url'` compared the resource after URL normalisation while
 * Express routes the raw path. On `/orgs/:org/mcp/:server`, a token for `…/orgs/evil/mcp/s1`
 * passed on the raw target `/orgs/victim/mcp/..\..\evil\mcp\s1` (Express routes
 * `org=victim`, WHATWG `URL` turns `\` into `/` and resolves `..`), and a token whose `aud` is
 * `…/orgs/evil/../victim/mcp/s1` passed on `/orgs/victim/mcp/s1`. Now nothing is resolved
 * before the comparison: such a target is 400 `invalid_request`, such an `aud` names no
 * resource (401 "audience mismatch"), and the handler never runs.
 */
import type { Request, Response } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { challengesOf, listen, outcome, rawRequest, type Listening } from './support.js';

const audience = 'https://api.example.com';
let fault: FaultServer;
beforeAll(async () => {
  fault = await startFaultServer({ audience });
});
afterAll(() => fault?.close());

describe.each(flavours)('$name', (flavour) => {
  const reached: string[] = [];
  let api: Listening;
  beforeAll(async () => {
    const guard = createGuard({ issuer: fault.issuer, audience });
    const app = flavour.create();
    const record = (req: Request, res: Response) => {
      reached.push(String(req.params.org));
      res.json({ org: req.params.org });
    };
    app.use('/orgs/:org/mcp/:server', guard.authenticate({ audience: 'request-url' }), record);
    // On a route the resource is the whole path requested, so dot segments can span several params.
    app.get('/deep/:org/mcp/:a/:b/:c/:d/:e', guard.authenticate({ audience: 'request-url' }), record);
    api = await listen(app);
  });
  afterAll(() => api?.close());

  const tokenFor = (path: string) => fault.mintJwt({ claims: { aud: `${api.origin}${path}` } });
  const send = (target: string, token: string) =>
    rawRequest(api.port, [`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${api.port}`, `Authorization: Bearer ${token}`]);

  it('the attack: a token for org evil on /orgs/victim/mcp/..\\..\\evil\\mcp\\s1 is 400, the handler never runs', async () => {
    reached.length = 0;
    const reply = await send('/orgs/victim/mcp/..\\..\\evil\\mcp\\s1', tokenFor('/orgs/evil/mcp/s1'));
    expect(outcome(reply)).toEqual([400, 'invalid_request']);
    expect(reached).toEqual([]);
  });

  it.each([
    ['raw dot segments', '/deep/victim/mcp/../../evil/mcp/s1'],
    ['%2e%2e', '/deep/victim/mcp/%2e%2e/%2e%2e/evil/mcp/s1'],
    ['mixed-case %2E%2e', '/deep/victim/mcp/%2E%2e/%2e%2E/evil/mcp/s1'],
    ['.%2e and %2e.', '/deep/victim/mcp/.%2e/%2e./evil/mcp/s1'],
  ])('the same with %s across route params is 400', async (_name, target) => {
    reached.length = 0;
    expect(outcome(await send(target, tokenFor('/deep/evil/mcp/s1')))).toEqual([400, 'invalid_request']);
    expect(reached).toEqual([]);
  });

  it('an encoded backslash is compared as sent, never decoded: a token for org evil does not fit', async () => {
    reached.length = 0;
    const reply = await send('/orgs/victim/mcp/..%5c..%5cevil%5cmcp%5cs1', tokenFor('/orgs/evil/mcp/s1'));
    expect(outcome(reply)).toEqual([401, 'invalid_token']);
    expect(challengesOf(reply)[0]!.params.error_description).toBe('audience mismatch');
    expect(reached).toEqual([]);
  });

  it.each([
    ['..', '/orgs/evil/../victim/mcp/s1'],
    ['%2e%2e', '/orgs/evil/%2e%2e/victim/mcp/s1'],
    ['.', '/orgs/victim/./mcp/s1'],
    ['backslashes', '/orgs\\victim\\mcp\\s1'],
    ['a tab (WHATWG drops it)', '/orgs/vic\ttim/mcp/s1'],
  ])('a token whose aud resolves to the route only after normalisation (%s) is 401 audience mismatch', async (_name, path) => {
    reached.length = 0;
    const reply = await send('/orgs/victim/mcp/s1', tokenFor(path));
    expect(outcome(reply)).toEqual([401, 'invalid_token']);
    expect(challengesOf(reply)[0]!.params.error_description).toBe('audience mismatch');
    expect(reached).toEqual([]);
  });

  it('the token minted for the exact resource still passes', async () => {
    reached.length = 0;
    expect((await send('/orgs/victim/mcp/s1', tokenFor('/orgs/victim/mcp/s1'))).status).toBe(200);
    expect((await send('/deep/victim/mcp/a/b/c/d/e', tokenFor('/deep/victim/mcp/a/b/c/d/e'))).status).toBe(200);
    expect(reached).toEqual(['victim', 'victim']);
  });
});
