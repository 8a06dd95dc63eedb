/**
 * Decision (issue 17): Envoy's `X-Forwarded-Client-Cert` (XFCC) with `APPEND_FORWARD` keeps
 * what the client sent and appends the proxy's own element after it, so the *first* element
 * is the client's to choose. The guard read the first one: a client holding a stolen token
 * bound to alice's certificate (public) passed by sending `Cert="<alice>"` itself.
 *
 * Decision: the guard reads the last element, the one the proxy in front of the app added
 * (with `SANITIZE_SET` it is the only one). Elements are split respecting quoted values
 * (`Subject="CN=a,O=b"`). A proxy chain that appends after the TLS-terminating hop leaves a
 * last element without the client's `Cert`: certificate-bound tokens are then refused (401),
 * never accepted (docs/security.md says how to configure Envoy).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { listen, makeCertificate, outcome, type Listening, type TestCertificate } from './support.js';

const audience = 'https://api.example.com';
let fault: FaultServer;
let alice: TestCertificate;
let mallory: TestCertificate;
let aliceToken: string;
beforeAll(async () => {
  fault = await startFaultServer({ audience });
  alice = makeCertificate('alice');
  mallory = makeCertificate('mallory');
  aliceToken = fault.mintJwt({ claims: { cnf: { 'x5t#S256': alice.x5t } } });
});
afterAll(() => fault?.close());

/** One XFCC element as Envoy writes it: `By`, the certificate's `Hash` (hex), `Subject`, URL-encoded `Cert`. */
const element = (cert: TestCertificate, extra = '') =>
  `By=spiffe://cluster.local/ns/default/sa/api;Hash=${Buffer.from(cert.x5t, 'base64url').toString('hex')}${extra};Cert="${encodeURIComponent(cert.pem)}"`;

describe.each(flavours)('$name', (flavour) => {
  let api: Listening;
  beforeAll(async () => {
    const guard = createGuard({ issuer: fault.issuer, audience, clientCertificateHeader: 'X-Forwarded-Client-Cert' });
    const app = flavour.create();
    app.set('trust proxy', 'loopback');
    app.get('/api/data', guard.authenticate(), (req, res) => {
      res.json(req.auth?.confirmation);
    });
    api = await listen(app);
  });
  afterAll(() => api?.close());

  const send = async (xfcc: string) => {
    const res = await fetch(`${api.origin}/api/data`, { headers: { authorization: `Bearer ${aliceToken}`, 'x-forwarded-client-cert': xfcc } });
    return outcome({ status: res.status, headers: Object.fromEntries(res.headers) });
  };

  it("the attack: mallory's own element comes last (APPEND_FORWARD) after the alice element he sent: 401", async () => {
    expect(await send(`Cert="${encodeURIComponent(alice.pem)}",${element(mallory)}`)).toEqual([401, 'invalid_token']);
    expect(await send(`${element(alice)},${element(mallory)}`)).toEqual([401, 'invalid_token']);
  });

  it("alice's own connection: her element alone (SANITIZE_SET) or last (APPEND_FORWARD) passes", async () => {
    expect(await send(element(alice))).toEqual([200, undefined]);
    expect(await send(`${element(mallory)},${element(alice)}`)).toEqual([200, undefined]);
  });

  it('quoted values with commas and semicolons do not split an element', async () => {
    expect(await send(element(alice, ';Subject="CN=alice,O=Example; Inc.";URI=spiffe://client'))).toEqual([200, undefined]);
    expect(await send(`${element(mallory, ';Subject="CN=x,O=\\"y\\""')},${element(alice, ';Subject="CN=alice,OU=a"')}`)).toEqual([200, undefined]);
  });

  it('a last element without Cert (a hop that appended after the TLS-terminating one) is no certificate: 401', async () => {
    expect(await send(`${element(alice)},By=spiffe://sidecar;Hash=abcd;URI=spiffe://gateway`)).toEqual([401, 'invalid_token']);
  });

  it.each([
    ['an unterminated quote', () => `Cert="${encodeURIComponent(alice.pem)}`],
    ['two Cert keys in one element', () => `Cert="${encodeURIComponent(mallory.pem)}";Cert="${encodeURIComponent(alice.pem)}"`],
    ['a trailing comma (an empty last element)', () => `${element(alice)},`],
  ])('malformed XFCC (%s) is no certificate', async (_name, value) => {
    expect(await send(value())).toEqual([401, 'invalid_token']);
  });
});
