/**
 * Local JWT verification against a Telnyx-shaped authorization server on 127.0.0.1: its
 * metadata under /v2, its JWKS at /v2/oauth/jwks, tokens it mints (including hostile ones).
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, OAuthError, type Guard } from '../src/index.js';
import { expectFailure, flavours, get, guardedApp } from './support/guard-app.js';
import { startTelnyxServer, type TelnyxServer } from './support/telnyx-server.js';

let as: TelnyxServer;
beforeAll(async () => {
  as = await startTelnyxServer({ scopes: ['messages:read', 'messages:write', 'reports:read'] });
});
afterAll(() => as.close());

const audience = 'https://api.example.com';
const newGuard = (options: Partial<Parameters<typeof createGuard>[0]> = {}): Guard =>
  createGuard({ issuer: as.issuer, audience, ...options });

describe.each(flavours)('$name', (flavour) => {
  let app: ReturnType<typeof guardedApp>;
  beforeAll(() => {
    app = guardedApp(flavour, newGuard());
  });

  it('discovers the metadata under /v2 and accepts a token it issued', async () => {
    const res = await get(app, '/api/messages', as.mintJwt({ claims: { scope: 'messages:read' } }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tokenType: 'jwt', issuer: as.issuer, audience: [audience], scopes: ['messages:read'] });
  });

  it.each(['RS256', 'ES256', 'EdDSA'] as const)('verifies %s tokens', async (alg) => {
    expect((await get(app, '/api/messages', as.mintJwt({ alg, claims: { scope: 'messages:read' } }))).status).toBe(200);
  });

  it('enforces all-of and any-of scopes with 403 naming what the route needs', async () => {
    const readOnly = as.mintJwt({ claims: { scope: 'messages:read' } });
    const post = await (await import('supertest')).default(app).post('/api/messages').set('Authorization', `Bearer ${readOnly}`);
    const challenge = expectFailure(post, 403, 'insufficient_scope', /messages:write/);
    expect(challenge?.params.scope).toBe('messages:write messages:read');
    const report = await get(app, '/api/report', readOnly);
    expect(expectFailure(report, 403, 'insufficient_scope')?.params.scope).toBe('reports:read admin');
    expect((await get(app, '/api/report', as.mintJwt({ claims: { scope: 'reports:read' } }))).status).toBe(200);
  });

  it('requireScopes authenticates by itself', async () => {
    expect((await get(app, '/single', as.mintJwt({ claims: { scope: 'messages:read' } }))).status).toBe(200);
    expectFailure(await get(app, '/single'), 401);
  });

  it('optional authentication lets anonymous requests through but not bad tokens', async () => {
    expect((await get(app, '/me')).body).toEqual({ auth: null });
    expect((await get(app, '/me', as.mintJwt())).body.auth.tokenType).toBe('jwt');
    expectFailure(await get(app, '/me', as.mintJwt({ expiresIn: -60 })), 401, 'invalid_token');
  });

  it('no credentials: 401 without error; another scheme is no credentials', async () => {
    expectFailure(await get(app, '/api/messages'), 401);
    const basic = await get(app, '/api/messages').set('Authorization', 'Basic dXNlcjpwYXNz');
    expectFailure(basic, 401);
  });

  it('malformed requests are 400 invalid_request', async () => {
    expectFailure(await get(app, '/api/messages').set('Authorization', 'Bearer'), 400, 'invalid_request');
    expectFailure(await get(app, '/api/messages').set('Authorization', 'Bearer a b'), 400, 'invalid_request');
    expectFailure(await get(app, '/api/messages').set('Authorization', `Bearer ${'a'.repeat(9000)}`), 400, 'invalid_request');
  });

  it.each(['Authorization', 'AUTHORIZATION', 'authorization'])(
    'two Authorization headers (the second spelled %s) are 400 invalid_request, even with a cached token first',
    async (second) => {
      const token = as.mintJwt({ claims: { scope: 'messages:read' } });
      expect((await get(app, '/api/messages', token)).status).toBe(200);
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as { port: number };
      const raw = await rawRequest(port, [
        'GET /api/messages HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: Bearer ${token}`,
        `${second}: Bearer other`,
        'Connection: close',
      ]);
      server.close();
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(raw).toMatch(/WWW-Authenticate: Bearer error="invalid_request"/i);
    },
  );

  it('serves RFC 9728 metadata listing the scopes routes require', async () => {
    const res = await get(app, '/.well-known/oauth-protected-resource');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    expect(res.body).toEqual({
      resource: audience,
      authorization_servers: [as.issuer],
      bearer_methods_supported: ['header'],
      scopes_supported: ['messages:read', 'messages:write', 'reports:read', 'admin'],
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'Ed25519', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'],
      dpop_bound_access_tokens_required: false,
    });
  });
});

describe('hostile tokens', () => {
  let guard: Guard;
  beforeAll(() => {
    guard = newGuard();
  });
  const refused = async (token: string, description: RegExp, status = 401) => {
    const err = await guard.verify(token).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OAuthError);
    const oauth = err as OAuthError;
    expect({ status: oauth.status, description: oauth.description }).toEqual({ status, description: expect.stringMatching(description) });
    expect(oauth.description).not.toContain(token);
    if (status === 401) expect(oauth.headers['WWW-Authenticate']).toContain('error="invalid_token"');
  };

  it('alg none', () => refused(as.mintJwt({ alg: 'none', kid: null }), /alg 'none'/));
  it('alg None (case variant)', () => refused(as.mintJwt({ alg: 'none', header: { alg: 'None' }, kid: null }), /alg 'none'/));
  it('HS256 signed with the RSA public key as the secret', () => {
    const rsa = as.keys.current('RS256');
    const pem = createPublicKey(rsa.privateKey).export({ type: 'spki', format: 'pem' }).toString();
    return refused(as.mintJwt({ alg: 'HS256', secret: pem, kid: rsa.kid, register: false }), /HS256 tokens cannot be verified locally/);
  });
  it('HS256 signed with the RSA public key, even with an hmacSecret configured', async () => {
    const strict = newGuard({ hmacSecret: 'x'.repeat(32) });
    const rsa = as.keys.current('RS256');
    const pem = createPublicKey(rsa.privateKey).export({ type: 'spki', format: 'pem' }).toString();
    await expect(strict.verify(as.mintJwt({ alg: 'HS256', secret: pem, kid: rsa.kid }))).rejects.toMatchObject({ status: 401, description: 'invalid signature' });
  });
  it('an algorithm outside the allow-list', async () => {
    const esOnly = newGuard({ algorithms: ['ES256'] });
    await expect(esOnly.verify(as.mintJwt({ alg: 'RS256' }))).rejects.toMatchObject({ status: 401, description: 'algorithm RS256 not allowed' });
  });
  it('a signature by a key the JWKS does not have, under a published kid', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return refused(as.mintJwt({ key: privateKey, kid: as.keys.current('RS256').kid }), /invalid signature/);
  });
  it('a key the JWKS publishes that is too weak to trust: RSA of 1024 bits', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak', use: 'sig', alg: 'RS256' }] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    try {
      const port = (jwks.address() as AddressInfo).port;
      const weakGuard = newGuard({ jwksUri: `http://127.0.0.1:${port}/jwks` });
      await expect(weakGuard.verify(as.mintJwt({ key: weak.privateKey, kid: 'weak' }))).rejects.toMatchObject({
        status: 401,
        description: "token cannot be verified with the issuer's key",
      });
    } finally {
      jwks.close();
    }
  });
  it('unknown kid', () => refused(as.mintJwt({ kid: 'no-such-kid' }), /key 'no-such-kid' not found/));
  it('expired', () => refused(as.mintJwt({ expiresIn: -60 }), /token expired 6\d s ago/));
  it('expired within the clock tolerance passes', async () => {
    await expect(guard.verify(as.mintJwt({ expiresIn: -2 }))).resolves.toMatchObject({ tokenType: 'jwt' });
  });
  it('no exp', () => refused(as.mintJwt({ claims: { exp: undefined } }), /no valid 'exp'/));
  it('future nbf', () => refused(as.mintJwt({ claims: { nbf: Math.floor(Date.now() / 1000) + 120 } }), /not valid before/));
  it('future iat', () => refused(as.mintJwt({ claims: { iat: Math.floor(Date.now() / 1000) + 120 } }), /issued in the future/));
  it('wrong iss', () => refused(as.mintJwt({ claims: { iss: 'https://evil.example.com' } }), /issuer not trusted/));
  it('wrong aud', () => refused(as.mintJwt({ claims: { aud: 'https://other.example.com' } }), /audience mismatch/));
  it('no aud', () => refused(as.mintJwt({ claims: { aud: undefined } }), /no audience/));
  it('aud array containing ours passes', async () => {
    const auth = await guard.verify(as.mintJwt({ claims: { aud: ['https://other.example.com', audience] } }));
    expect(auth.audience).toEqual(['https://other.example.com', audience]);
  });
  it('crit header', () => refused(as.mintJwt({ header: { crit: ['exp'], exp: 1 } }), /critical header/));
  it('typ of another kind of JWT', () => refused(as.mintJwt({ header: { typ: 'dpop+jwt' } }), /not an access token type/));
  it('typ JWT and no typ pass; strictTyp wants at+jwt', async () => {
    await expect(guard.verify(as.mintJwt({ header: { typ: 'JWT' } }))).resolves.toBeTruthy();
    await expect(guard.verify(as.mintJwt({ header: { typ: undefined } }))).resolves.toBeTruthy();
    await expect(guard.verify(as.mintJwt({ header: { typ: 'application/AT+JWT' } }))).resolves.toBeTruthy();
    const strict = newGuard({ strictTyp: true });
    await expect(strict.verify(as.mintJwt({ header: { typ: 'JWT' } }))).rejects.toMatchObject({ status: 401 });
  });
  it('jku and jwk headers are ignored: an attacker key in the header does not verify', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    await refused(
      as.mintJwt({ key: privateKey, kid: 'attacker', header: { jwk, jku: 'http://127.0.0.1:1/jwks' } }),
      /key 'attacker' not found/,
    );
  });
  it('JWE (five parts) without introspection', () => refused('eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', /encrypted tokens/));
  it('truncated token', () => {
    const token = as.mintJwt();
    return refused(token.slice(0, token.length - 10), /invalid signature|malformed/);
  });
  it('garbage', () => refused('not-a-jwt', /opaque tokens need introspection/));
  it('a payload that is not JSON', () => refused(as.mintJwt({ payload: 'hello' }), /^malformed JWT: its payload is not base64url-encoded JSON/));
  it('maxTokenAge', async () => {
    const young = newGuard({ maxTokenAge: 60 });
    await expect(young.verify(as.mintJwt({ claims: { iat: Math.floor(Date.now() / 1000) - 600 } }))).rejects.toMatchObject({
      status: 401,
      description: 'token older than 60 s',
    });
  });
});

describe('HMAC tokens with an explicit secret', () => {
  it('verifies HS256 only with the configured secret', async () => {
    const secret = 's'.repeat(40);
    const guard = newGuard({ hmacSecret: secret });
    await expect(guard.verify(as.mintJwt({ alg: 'HS256', secret, kid: null }))).resolves.toMatchObject({ tokenType: 'jwt' });
    await expect(guard.verify(as.mintJwt({ alg: 'HS256', secret: 't'.repeat(40), kid: null }))).rejects.toMatchObject({ status: 401 });
  });
  it('refuses configuration that would allow HS* without a secret', () => {
    expect(() => newGuard({ algorithms: ['HS256'] })).toThrow(/needs "hmacSecret"/);
    expect(() => newGuard({ hmacSecret: 'short' })).toThrow(/at least 32/);
  });
});

describe('discovery', () => {
  it('an issuer mismatch in the metadata is a 500 naming both values', async () => {
    const other = await startTelnyxServer();
    other.setIssuer('https://evil.example.com');
    const guard = createGuard({ issuer: other.apiBase, audience });
    const err = (await guard.verify(other.mintJwt({ claims: { iss: other.apiBase } })).catch((e: unknown) => e)) as OAuthError;
    expect(err.status).toBe(500);
    expect(err.description).toContain('https://evil.example.com');
    expect(err.description).toContain(other.apiBase);
    await other.close();
  });

  it('metadata is fetched once for many concurrent first requests (single-flight)', async () => {
    const other = await startTelnyxServer();
    const guard = createGuard({ issuer: other.apiBase, audience });
    const tokens = Array.from({ length: 50 }, () => other.mintJwt());
    const results = await Promise.all(tokens.map((t) => guard.verify(t)));
    expect(results).toHaveLength(50);
    expect(other.counts.get('/v2/.well-known/oauth-authorization-server')).toBe(1);
    expect(other.counts.get('/v2/oauth/jwks')).toBe(1);
    await other.close();
  });

  it('metadataUrl skips the search', async () => {
    const other = await startTelnyxServer();
    const guard = createGuard({ issuer: other.apiBase, audience, metadataUrl: other.endpoints.metadata });
    await guard.verify(other.mintJwt());
    expect(other.counts.total()).toBe(2);
    expect(other.counts.get('/.well-known/oauth-authorization-server/v2')).toBe(0);
    await other.close();
  });

  it('every location answering 404 is a 500 listing them', async () => {
    const other = await startTelnyxServer();
    const guard = createGuard({ issuer: `${other.url}/nowhere`, audience });
    const err = (await guard.verify(other.mintJwt({ claims: { iss: `${other.url}/nowhere` } })).catch((e: unknown) => e)) as OAuthError;
    expect(err.status).toBe(500);
    expect(err.description).toMatch(/no authorization server metadata/);
    await other.close();
  });

  it('refuses a non-https issuer that is not loopback unless allowed', () => {
    expect(() => createGuard({ issuer: 'http://auth.example.com', audience })).toThrow(/https/);
    expect(() => createGuard({ issuer: 'http://auth.example.com', audience, allowInsecureHttp: true })).not.toThrow();
  });
});

/** Sends a hand-written HTTP/1.1 request (for what HTTP clients refuse to send) and returns the raw answer. */
function rawRequest(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(`${lines.join('\r\n')}\r\n\r\n`));
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}
