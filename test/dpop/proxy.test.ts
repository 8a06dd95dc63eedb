/**
 * The URL a proof's `htu` must name when the API sits behind a proxy: Express's `trust proxy`
 * decides whether `X-Forwarded-Proto`/`X-Forwarded-Host` count, and `publicBaseUrl` pins the
 * public URL outright (a proxy that strips a path prefix). Real HTTP, Express 5 and 4.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type AuthorizationServer } from '../../example-app/authorization-server.js';
import { createGuard, type GuardOptions } from '../../src/index.js';
import { flavours } from '../support/guard-app.js';
import type { ExpressFlavour } from '../support/webhook-app.js';
import { dpopKey, expectDpopFailure, proof, type DpopKey } from './support.js';

let as: AuthorizationServer;
let key: DpopKey;
let token: string;
beforeAll(async () => {
  as = await startAuthorizationServer();
  key = await dpopKey('EdDSA');
  const response = await as.clientCredentialsToken({
    scope: 'messages:read',
    resource: as.apiResource,
    dpop: await proof(key, { htm: 'POST', htu: as.endpoints.token }),
  });
  token = response.access_token;
});
afterAll(() => as?.close());

async function listen(flavour: ExpressFlavour, options: Partial<GuardOptions>, setup: (app: Express) => void = () => {}) {
  const guard = createGuard({ issuer: as.issuer, audience: as.apiResource, ...options });
  const app = flavour.create();
  setup(app);
  app.get('/v1/messages', guard.requireScopes('messages:read'), (req, res) => {
    res.json(req.auth);
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { local, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example.com' };

describe.each(flavours)('$name', (flavour) => {
  const send = async (base: string, htu: string, headers: Record<string, string> = {}) =>
    supertest(base)
      .get('/v1/messages?page=1')
      .set(headers)
      .set('Authorization', `DPoP ${token}`)
      .set('DPoP', await proof(key, { htm: 'GET', htu, token }));

  it('trust proxy: the forwarded scheme and host make the URL', async () => {
    const api = await listen(flavour, {}, (app) => app.set('trust proxy', 'loopback'));
    try {
      expect((await send(api.local, 'https://api.example.com/v1/messages', forwarded)).status).toBe(200);
      expectDpopFailure(await send(api.local, `${api.local}/v1/messages`, forwarded), 'invalid_dpop_proof', /htu/);
    } finally {
      await api.close();
    }
  });

  it('without trust proxy the forwarded headers are ignored: a client cannot pick the URL', async () => {
    const api = await listen(flavour, {});
    try {
      expectDpopFailure(await send(api.local, 'https://api.example.com/v1/messages', forwarded), 'invalid_dpop_proof', /htu/);
      expect((await send(api.local, `${api.local}/v1/messages`, forwarded)).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('trust proxy for another address: forwarded headers from this peer are ignored', async () => {
    const api = await listen(flavour, {}, (app) => app.set('trust proxy', '10.1.2.3'));
    try {
      expectDpopFailure(await send(api.local, 'https://api.example.com/v1/messages', forwarded), 'invalid_dpop_proof', /htu/);
    } finally {
      await api.close();
    }
  });

  it('publicBaseUrl: the public URL, path prefix included, whatever the request says', async () => {
    const api = await listen(flavour, { publicBaseUrl: 'https://public.example.com/api/' });
    try {
      expect((await send(api.local, 'https://public.example.com/api/v1/messages')).status).toBe(200);
      expect((await send(api.local, 'https://public.example.com/api/v1/messages', forwarded)).status).toBe(200);
      expectDpopFailure(await send(api.local, `${api.local}/v1/messages`), 'invalid_dpop_proof', /htu/);
      expectDpopFailure(await send(api.local, 'https://public.example.com/v1/messages'), 'invalid_dpop_proof', /htu/);
    } finally {
      await api.close();
    }
  });

  it('a router mounted under a path: htu is the full original URL', async () => {
    const guard = createGuard({ issuer: as.issuer, audience: as.apiResource });
    const app = flavour.create();
    const router = (await import(flavour.name === 'express 4' ? 'express4' : 'express')).default.Router();
    router.get('/messages', guard.authenticate(), (req: { auth?: unknown }, res: { json(v: unknown): void }) => res.json(req.auth));
    app.use('/v1', router);
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await send(local, `${local}/v1/messages`)).status).toBe(200);
      expectDpopFailure(await send(local, `${local}/messages`), 'invalid_dpop_proof', /htu/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
