/**
 * Certificate-bound access tokens (RFC 8705 §3) end to end: certificates made here with
 * Debian's openssl, a real oidc-provider binding tokens to the client certificate
 * (`cnf["x5t#S256"]`), and the API on a real HTTPS server that asks for client certificates,
 * on Express 5 and 4. Then the same through a TLS-terminating proxy's forwarded header.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest, createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MTLS_CLIENT, startAuthorizationServer, type AuthorizationServer } from '../../example-app/authorization-server.js';
import { createGuard, type GuardOptions } from '../../src/index.js';
import { parseForwardedCertificate } from '../../src/sender/mtls.js';
import { parseChallenges } from '../support/challenge.js';
import { flavours } from '../support/guard-app.js';
import { dpopKey, proof } from './support.js';

interface Credential {
  key: string;
  cert: string;
  der: Buffer;
  x5t: string;
}

let dir: string;
let server: Credential;
let alice: Credential;
let mallory: Credential;
let as: AuthorizationServer;

/** A self-signed P-256 certificate from openssl (RFC 8705 §2.2 allows self-signed ones). */
function makeCertificate(name: string, extra: string[] = []): Credential {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  execFileSync('/usr/bin/openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${name}`, ...extra,
  ], { stdio: 'pipe' });
  const cert = readFileSync(certFile, 'utf8');
  const der = Buffer.from(new X509Certificate(cert).raw);
  return { key: readFileSync(keyFile, 'utf8'), cert, der, x5t: createHash('sha256').update(der).digest('base64url') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rg-mtls-'));
  server = makeCertificate('localhost', ['-addext', 'subjectAltName=IP:127.0.0.1']);
  alice = makeCertificate('alice');
  mallory = makeCertificate('mallory');
  as = await startAuthorizationServer({ mtls: true });
});
afterAll(async () => {
  await as?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const certificateBoundToken = async (certificate = alice.cert, dpop?: string) => {
  const response = await as.clientCredentialsToken({
    clientId: MTLS_CLIENT.id,
    clientSecret: MTLS_CLIENT.secret,
    scope: 'messages:read',
    resource: as.apiResource,
    certificate,
    ...(dpop === undefined ? {} : { dpop }),
  });
  return response.access_token;
};

function guardApp(flavour: (typeof flavours)[number], options: Partial<GuardOptions> = {}, setup?: (app: Express) => void) {
  const guard = createGuard({ issuer: as.issuer, audience: as.apiResource, ...options });
  const app = flavour.create();
  setup?.(app);
  app.get('/api/messages', guard.requireScopes('messages:read'), (req, res) => {
    res.json(req.auth);
  });
  return app;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET over TLS, presenting `client`'s certificate when given. */
function tlsGet(url: string, headers: Record<string, string>, client?: Credential): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { headers, ca: server.cert, ...(client === undefined ? {} : { cert: client.cert, key: client.key }) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const invalidTokenOf = (reply: { headers: Record<string, unknown> }) => {
  const challenge = parseChallenges(String(reply.headers['www-authenticate']))[0]!;
  return [challenge.scheme, challenge.params.error, challenge.params.error_description];
};

describe.each(flavours)('$name behind HTTPS with client certificates', (flavour) => {
  let https: Server;
  let url: string;
  beforeAll(async () => {
    const app = guardApp(flavour);
    https = createHttpsServer({ key: server.key, cert: server.cert, requestCert: true, rejectUnauthorized: false }, app);
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(https.address() as AddressInfo).port}/api/messages`;
  });
  afterAll(() => new Promise<void>((resolve) => https.close(() => resolve())));

  it('oidc-provider binds the token to the certificate (cnf x5t#S256)', async () => {
    const token = await certificateBoundToken();
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { cnf?: Record<string, string> };
    expect(payload.cnf).toEqual({ 'x5t#S256': alice.x5t });
  });

  it('the certificate the token names: 200, confirmation.x5t as sent', async () => {
    const reply = await tlsGet(url, { authorization: `Bearer ${await certificateBoundToken()}` }, alice);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ scheme: 'Bearer', confirmation: { x5t: alice.x5t } });
  });

  it('another certificate: 401 invalid_token', async () => {
    const reply = await tlsGet(url, { authorization: `Bearer ${await certificateBoundToken()}` }, mallory);
    expect(reply.status).toBe(401);
    expect(invalidTokenOf(reply)).toEqual(['Bearer', 'invalid_token', expect.stringMatching(/does not match the token binding/)]);
  });

  it('no client certificate: 401 invalid_token', async () => {
    const reply = await tlsGet(url, { authorization: `Bearer ${await certificateBoundToken()}` });
    expect(reply.status).toBe(401);
    expect(invalidTokenOf(reply)).toEqual(['Bearer', 'invalid_token', expect.stringMatching(/without a client certificate/)]);
  });

  it('every request is checked, cached token or not', async () => {
    const token = await certificateBoundToken();
    expect((await tlsGet(url, { authorization: `Bearer ${token}` }, alice)).status).toBe(200);
    expect((await tlsGet(url, { authorization: `Bearer ${token}` }, mallory)).status).toBe(401);
    expect((await tlsGet(url, { authorization: `Bearer ${token}` }, alice)).status).toBe(200);
  });

  it('a certificate-bound token under the DPoP scheme is refused: it has no cnf.jkt to bind a proof to', async () => {
    // oidc-provider refuses to bind one token both ways ("multiple proof-of-possession mechanisms").
    const key = await dpopKey();
    const token = await certificateBoundToken();
    const reply = await tlsGet(url, { authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: url, token }) }, alice);
    expect(reply.status).toBe(401);
    const challenges = parseChallenges(String(reply.headers['www-authenticate']));
    expect(challenges.map((c) => [c.scheme, c.params.error])).toEqual([['Bearer', undefined], ['DPoP', 'invalid_token']]);
    expect(challenges[1]!.params.error_description).toMatch(/not DPoP-bound/);
  });
});

describe.each(flavours)('$name behind a TLS-terminating proxy (clientCertificateHeader)', (flavour) => {
  const forwarded = {
    'URL-encoded PEM (nginx $ssl_client_escaped_cert)': (c: Credential) => encodeURIComponent(c.cert),
    'RFC 9440 Client-Cert': (c: Credential) => `:${c.der.toString('base64')}:`,
    'Envoy X-Forwarded-Client-Cert': (c: Credential) => `Hash=abc;Cert="${encodeURIComponent(c.cert)}";Subject="CN=x"`,
  };

  it.each(Object.entries(forwarded))('%s', async (_name, encode) => {
    // The header counts only from a peer `trust proxy` trusts (issue 17): here, the loopback proxy.
    const app = guardApp(flavour, { clientCertificateHeader: 'X-Client-Cert' }, (a) => a.set('trust proxy', 'loopback'));
    const token = await certificateBoundToken();
    const send = (value: string) => supertest(app).get('/api/messages').set('Authorization', `Bearer ${token}`).set('X-Client-Cert', value);
    const ok = await send(encode(alice));
    expect(ok.status).toBe(200);
    expect(ok.body.confirmation).toEqual({ x5t: alice.x5t });
    expect((await send(encode(mallory))).status).toBe(401);
    expect((await supertest(app).get('/api/messages').set('Authorization', `Bearer ${token}`)).status).toBe(401);
  });

  it("only a peer Express's trust proxy trusts may send the header", async () => {
    const token = await certificateBoundToken();
    const header = encodeURIComponent(alice.cert);
    const untrusted = guardApp(flavour, { clientCertificateHeader: 'x-client-cert' }, (app) => app.set('trust proxy', '10.0.0.1'));
    expect((await supertest(untrusted).get('/api/messages').set('Authorization', `Bearer ${token}`).set('x-client-cert', header)).status).toBe(401);
    const trusted = guardApp(flavour, { clientCertificateHeader: 'x-client-cert' }, (app) => app.set('trust proxy', 'loopback'));
    expect((await supertest(trusted).get('/api/messages').set('Authorization', `Bearer ${token}`).set('x-client-cert', header)).status).toBe(200);
  });

  it('without clientCertificateHeader a forwarded certificate is ignored', async () => {
    const app = guardApp(flavour);
    const token = await certificateBoundToken();
    const res = await supertest(app).get('/api/messages').set('Authorization', `Bearer ${token}`).set('x-client-cert', encodeURIComponent(alice.cert));
    expect(res.status).toBe(401);
  });
});

describe('guard.verify and the certificate', () => {
  it('takes the DER bytes in request.certificate', async () => {
    const guard = createGuard({ issuer: as.issuer, audience: as.apiResource });
    const token = await certificateBoundToken();
    const request = { method: 'GET', url: 'https://api.example.com/x' };
    await expect(guard.verify(token)).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
    await expect(guard.verify(token, { request: { ...request, certificate: mallory.der } })).rejects.toMatchObject({ status: 401 });
    expect((await guard.verify(token, { request: { ...request, certificate: alice.der } })).confirmation).toEqual({ x5t: alice.x5t });
  });
});

describe('parseForwardedCertificate', () => {
  it.each([
    ['raw PEM', (c: Credential) => c.cert],
    ['PEM with spaces for newlines', (c: Credential) => c.cert.replace(/\n/g, ' ')],
    ['URL-encoded PEM', (c: Credential) => encodeURIComponent(c.cert)],
    ['bare base64 DER', (c: Credential) => c.der.toString('base64')],
    ['RFC 9440', (c: Credential) => `:${c.der.toString('base64')}:`],
    // The last element is the one the proxy in front of the app wrote (issue 17).
    ['XFCC, last element', (c: Credential) => `By=spiffe://a;Cert="${encodeURIComponent(mallory.cert)}",By=spiffe://b;Cert="${encodeURIComponent(c.cert)}"`],
  ])('%s', (_name, encode) => {
    expect(Buffer.from(parseForwardedCertificate(encode(alice))!)).toEqual(alice.der);
  });

  it.each([
    ['empty', ''],
    ['not base64', 'garbage!'],
    ['base64 of something else', ':bm90IGEgY2VydA==:'],
    ['broken percent-encoding', '%E0%A4%A'],
    ['over 16 KiB', 'a'.repeat(20_000)],
  ])('%s is no certificate', (_name, value) => {
    expect(parseForwardedCertificate(value)).toBeUndefined();
  });
});
