/**
 * Decision (issue 17): `clientCertificateHeader` was read from any peer when Express's
 * `trust proxy` was not set, so a client that reached the app directly could claim any
 * certificate (a certificate is public; its thumbprint is all a bound token checks).
 *
 * Decision: the header is read only from a peer that `trust proxy` trusts, as Express reads
 * `X-Forwarded-*`. With `trust proxy` unset, the header is ignored (a certificate-bound token
 * is refused, 401) and the process warns once, naming the option and the setting. The TLS
 * connection's own certificate needs no trust and is unaffected.
 */
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { listen, makeCertificate, outcome, warningsDuring, type TestCertificate } from './support.js';

const audience = 'https://api.example.com';
let fault: FaultServer;
let alice: TestCertificate;
let aliceToken: string;
beforeAll(async () => {
  fault = await startFaultServer({ audience });
  alice = makeCertificate('alice');
  aliceToken = fault.mintJwt({ claims: { cnf: { 'x5t#S256': alice.x5t } } });
});
afterAll(() => fault?.close());

describe.each(flavours)('$name', (flavour) => {
  const start = async (trustProxy?: string | boolean) => {
    const guard = createGuard({ issuer: fault.issuer, audience, clientCertificateHeader: 'X-Client-Cert' });
    const app: Express = flavour.create();
    if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
    app.get('/api/data', guard.authenticate(), (req, res) => {
      res.json(req.auth?.confirmation);
    });
    return listen(app);
  };
  const send = async (origin: string) => {
    const res = await fetch(`${origin}/api/data`, {
      headers: { authorization: `Bearer ${aliceToken}`, 'x-client-cert': encodeURIComponent(alice.pem) },
    });
    return outcome({ status: res.status, headers: Object.fromEntries(res.headers) });
  };

  it("the attack: without trust proxy, a client's own header is ignored (401), with one warning", async () => {
    const api = await start();
    try {
      const warnings = await warningsDuring('RESOURCE_GUARD_UNTRUSTED_CERTIFICATE_HEADER', async () => {
        expect(await send(api.origin)).toEqual([401, 'invalid_token']);
        expect(await send(api.origin)).toEqual([401, 'invalid_token']);
      });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toMatch(/clientCertificateHeader/);
      expect(warnings[0]!.message).toMatch(/trust proxy/);
    } finally {
      await api.close();
    }
  });

  it('trust proxy set to false explicitly: the same', async () => {
    const api = await start(false);
    try {
      expect(await send(api.origin)).toEqual([401, 'invalid_token']);
    } finally {
      await api.close();
    }
  });

  it.each([
    ['loopback', 'loopback'],
    ['true (every peer: an explicit choice)', true],
  ])('trust proxy %s trusts this peer: the header counts', async (_name, setting) => {
    const api = await start(setting);
    try {
      expect(await send(api.origin)).toEqual([200, undefined]);
    } finally {
      await api.close();
    }
  });

  it('trust proxy for another address: ignored', async () => {
    const api = await start('10.1.2.3');
    try {
      expect(await send(api.origin)).toEqual([401, 'invalid_token']);
    } finally {
      await api.close();
    }
  });
});
