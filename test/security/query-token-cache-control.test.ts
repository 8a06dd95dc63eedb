/**
 * Issue 17: a 2xx answer to a request whose token came in the query string carries
 * `Cache-Control: private` (RFC 6750 §2.3), so no shared cache keeps an answer keyed by a URL
 * that holds a token. The guard sets it before the handler runs, so the handler's answer
 * carries it (including `res.sendFile`, which adds `public, max-age=0` only when nothing is
 * set); a directive set earlier is kept, made private; a handler may still replace it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { listen, type Listening } from './support.js';

const audience = 'https://api.example.com';
const dir = mkdtempSync(join(tmpdir(), 'rg-cache-'));
const file = join(dir, 'report.txt');
writeFileSync(file, 'report');

let fault: FaultServer;
let token: string;
beforeAll(async () => {
  fault = await startFaultServer({ audience });
  token = fault.mintJwt();
});
afterAll(() => fault?.close());

describe.each(flavours)('$name', (flavour) => {
  let api: Listening;
  beforeAll(async () => {
    const guard = createGuard({ issuer: fault.issuer, audience, tokenLocations: ['header', 'query'] });
    const app: Express = flavour.create();
    app.use('/public', (_req, res, next) => {
      res.setHeader('Cache-Control', 'public, max-age=600, s-maxage=600');
      next();
    });
    app.use('/nostore', (_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      next();
    });
    for (const base of ['', '/public', '/nostore']) {
      app.get(`${base}/data`, guard.authenticate(), (_req, res) => {
        res.json({ ok: true });
      });
    }
    app.get('/scoped', guard.requireScopes('messages:read'), (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/file', guard.authenticate(), (_req, res) => {
      res.sendFile(file);
    });
    app.get('/override', guard.authenticate(), (_req, res) => {
      res.set('Cache-Control', 'public, max-age=60').json({ ok: true });
    });
    api = await listen(app);
  });
  afterAll(() => api?.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${api.origin}${path}`, { headers });

  it('a 2xx answer to a token in the query is Cache-Control: private', async () => {
    for (const path of [`/data?access_token=${token}`, `/scoped?access_token=${token}`, `/file?access_token=${token}`]) {
      const res = await get(path);
      expect([path, res.status, res.headers.get('cache-control')]).toEqual([path, 200, 'private']);
    }
  });

  it('a directive set earlier is kept and made private; no-store stays no-store', async () => {
    const shared = await get(`/public/data?access_token=${token}`);
    expect([shared.status, shared.headers.get('cache-control')]).toEqual([200, 'private, max-age=600']);
    const nostore = await get(`/nostore/data?access_token=${token}`);
    expect([nostore.status, nostore.headers.get('cache-control')]).toEqual([200, 'no-store']);
  });

  it('a token in the Authorization header adds nothing', async () => {
    const res = await get('/data', { authorization: `Bearer ${token}` });
    expect([res.status, res.headers.get('cache-control')]).toEqual([200, null]);
  });

  it('a refusal of a query token is not left for shared caches either', async () => {
    const res = await get('/data?access_token=not-a-valid-token');
    expect([res.status, res.headers.get('cache-control')]).toEqual([401, 'private']);
  });

  it('the handler has the last word (documented)', async () => {
    const res = await get(`/override?access_token=${token}`);
    expect([res.status, res.headers.get('cache-control')]).toEqual([200, 'public, max-age=60']);
  });
});
