/**
 * Quiet by default.
 *
 * - The README's first example (with `oauthErrorHandler()`) answers refusals as JSON and
 *   writes nothing to stderr; without it, Express's default handler answers HTML and logs
 *   every refusal with a stack, which is why the README mounts it.
 * - `req.auth` never reveals the bearer token when it is serialised or inspected (JSON, a
 *   logger, `util.inspect`, `console.log`), though `req.auth.token` stays readable: for a JWT
 *   verified locally (first sight and cache hit), an opaque token decided by introspection, a
 *   JWT also introspected (`introspectJwt`), and a DPoP-bound token. Cache hits share one
 *   frozen `AuthInfo`, DPoP ones included.
 */
import { execFile } from 'node:child_process';
import { format, inspect } from 'node:util';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type AuthInfo } from '../../src/index.js';
import { dpopKey, proof } from '../dpop/support.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';

const audience = 'https://api.example.com';
const client = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };

let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer();
});
afterAll(() => as.close());

/** Every way an app or its logger commonly turns `auth` into text. */
function renderings(auth: AuthInfo): Record<string, string> {
  return {
    json: JSON.stringify(auth),
    jsonPretty: JSON.stringify({ auth }, null, 2),
    inspect: inspect(auth, { depth: null }),
    consoleLog: format(auth),
    formatO: format('%O', auth),
    formatJ: format('%j', auth),
    keys: Object.keys(auth).join(','),
    entries: JSON.stringify(Object.entries(auth)),
  };
}

function expectQuiet(auth: AuthInfo, token: string): void {
  expect(auth.token).toBe(token);
  for (const [how, text] of Object.entries(renderings(auth))) {
    expect({ how, leaks: text.includes(token) }).toEqual({ how, leaks: false });
  }
  expect(Object.getOwnPropertyDescriptor(auth, 'token')).toMatchObject({ enumerable: false, writable: false });
  expect(Object.isFrozen(auth)).toBe(true);
}

interface Answer {
  status: number;
  type: string | null;
  challenge: boolean;
  body: string;
}

/** Runs test/adoption/fixtures/readme-app.ts as an app runs: its own process, NODE_ENV unset. */
function readmeApp(mode: 'with' | 'without'): Promise<{ answers: Answer[]; stderr: string }> {
  const { NODE_ENV: _unset, ...env } = process.env;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'test/adoption/fixtures/readme-app.ts', mode], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error !== null) return reject(new Error(`${error.message}\n${stderr}`));
      resolve({ answers: JSON.parse(stdout) as Answer[], stderr });
    });
  });
}

describe("the README's first example", () => {
  it('with oauthErrorHandler(): 401/400 as JSON with their challenge, nothing on stderr', async () => {
    const { answers, stderr } = await readmeApp('with');
    expect(stderr).toBe('');
    expect(answers.map((a) => [a.status, a.type, a.challenge])).toEqual([
      [401, 'application/json; charset=utf-8', true],
      [401, 'application/json; charset=utf-8', true],
      [400, 'application/json; charset=utf-8', true],
    ]);
    expect(JSON.parse(answers[1]!.body)).toEqual({ error: 'invalid_token', error_description: 'opaque tokens need introspection, which is not configured' });
  }, 40_000);

  it("without it (why the README mounts it): Express's default handler logs each refusal with a stack, and answers HTML", async () => {
    const { answers, stderr } = await readmeApp('without');
    expect(answers.map((a) => [a.status, a.challenge])).toEqual([[401, true], [401, true], [400, true]]);
    expect(answers.every((a) => a.type?.startsWith('text/html'))).toBe(true);
    expect(stderr.match(/OAuthError/g)?.length).toBe(3);
  }, 40_000);
});

describe.each(flavours)('$name: req.auth through the middleware', (flavour) => {
  it('serialised, inspected or logged by the handler: every field but the token', async () => {
    const guard = createGuard({ issuer: as.issuer, audience });
    const app = flavour.create();
    const seen: AuthInfo[] = [];
    app.get('/api', guard.requireScopes('messages:read'), (req, res) => {
      seen.push(req.auth!);
      res.json({ auth: req.auth, rendered: renderings(req.auth!), readable: req.auth!.token.length });
    });
    const token = as.mintJwt({ claims: { scope: 'messages:read', sub: 'user-1' } });
    for (let i = 0; i < 2; i++) {
      const res = await supertest(app).get('/api').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(token);
      expect(res.body.auth).toMatchObject({ tokenType: 'jwt', subject: 'user-1', scopes: ['messages:read'] });
      expect(res.body.auth).not.toHaveProperty('token');
      expect(res.body.readable).toBe(token.length);
    }
    // The second request was a cache hit: the very same frozen object, nothing rebuilt.
    expect(seen[1]).toBe(seen[0]);
    expectQuiet(seen[0]!, token);
  });
});

describe('every kind of AuthInfo', () => {
  it('an opaque token decided by introspection', async () => {
    const guard = createGuard({ issuer: as.issuer, audience, introspection: client });
    const token = as.mintOpaque({ scope: 'messages:read' });
    const auth = await guard.verify(token);
    expect(auth.tokenType).toBe('opaque');
    expectQuiet(auth, token);
    expect(await guard.verify(token)).toBe(auth);
  });

  it('a JWT verified locally and also introspected (introspectJwt)', async () => {
    const guard = createGuard({ issuer: as.issuer, audience, introspection: { ...client, introspectJwt: true } });
    const token = as.mintJwt({ claims: { scope: 'messages:read' } });
    const auth = await guard.verify(token);
    expect(auth.tokenType).toBe('jwt');
    expectQuiet(auth, token);
  });

  it('a DPoP-bound token: the DPoP form of a cached decision is made once and shared', async () => {
    const guard = createGuard({ issuer: as.issuer, audience });
    const key = await dpopKey('ES256');
    const token = as.mintJwt({ claims: { cnf: { jkt: key.jkt } } });
    const url = 'https://api.example.com/messages';
    const request = async () => ({ scheme: 'DPoP' as const, method: 'GET', url, dpop: await proof(key, { htm: 'GET', htu: url, token }) });
    const first = await guard.verify(token, { request: await request() });
    const second = await guard.verify(token, { request: await request() });
    expect(first.scheme).toBe('DPoP');
    expect(second).toBe(first);
    expectQuiet(first, token);
  });

  it('a copy by object spread has no token: build variants through the guard, not `{ ...auth }`', async () => {
    const guard = createGuard({ issuer: as.issuer, audience });
    const auth = await guard.verify(as.mintJwt());
    expect({ ...auth }).not.toHaveProperty('token');
  });
});
