// The local authorization servers the guard's tests rely on, proven through plain fetch.
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer } from '../../example-app/authorization-server.js';
import type { AuthorizationServer } from '../../example-app/authorization-server.js';
import { startTelnyxServer } from './telnyx-server.js';
import type { TelnyxServer } from './telnyx-server.js';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const json = (res: Response) => res.json() as Promise<Record<string, unknown>>;
const getJson = async (url: string) => json(await fetch(url));
const jwks = async (url: string) => createLocalJWKSet((await getJson(url)) as unknown as JSONWebKeySet);

describe('authorization server (oidc-provider)', () => {
  let as: AuthorizationServer;
  beforeAll(async () => {
    as = await startAuthorizationServer();
  });
  afterAll(() => as.close());

  it('publishes its metadata at the RFC 8414 and the OIDC locations for its http://127.0.0.1 issuer', async () => {
    expect(as.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const url of [as.endpoints.oauthMetadata, as.endpoints.openidConfiguration]) {
      const md = await getJson(url);
      expect(md).toMatchObject({ issuer: as.issuer, jwks_uri: as.endpoints.jwks, introspection_endpoint: as.endpoints.introspection });
    }
  });

  it('counts requests per path before the provider sees them, unknown paths included', async () => {
    as.resetCounts();
    await fetch(`${as.url}/nowhere?x=1`);
    await fetch(as.endpoints.jwks);
    await fetch(as.endpoints.jwks);
    expect(as.counts.get('/nowhere')).toBe(1);
    expect(as.counts.get('/jwks')).toBe(2);
    expect(as.counts.total()).toBe(3);
  });

  it('issues RFC 9068 JWT access tokens for the API resource, verifiable with its JWKS', async () => {
    const { access_token, scope, token_type } = await as.clientCredentialsToken({ scope: 'messages:read admin' });
    expect({ scope, token_type }).toEqual({ scope: 'messages:read admin', token_type: 'Bearer' });
    const { payload, protectedHeader } = await jwtVerify(access_token, await jwks(as.endpoints.jwks), { issuer: as.issuer, audience: as.apiResource });
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(payload).toMatchObject({ client_id: 'api-client', sub: 'api-client', scope: 'messages:read admin' });
  });

  it.each(['ES256', 'EdDSA'] as const)('signs with %s when told to', async (alg) => {
    as.setAccessTokenAlg(alg);
    try {
      const { access_token } = await as.clientCredentialsToken({ scope: 'messages:read' });
      const { protectedHeader } = await jwtVerify(access_token, await jwks(as.endpoints.jwks));
      expect(protectedHeader.alg).toBe(alg);
    } finally {
      as.setAccessTokenAlg('RS256');
    }
  });

  it('issues opaque tokens for the opaque resource, which introspection answers until revoked', async () => {
    const { access_token } = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.opaqueResource });
    expect(access_token.split('.')).toHaveLength(1);
    expect(await as.introspect(access_token)).toMatchObject({
      active: true, aud: as.opaqueResource, client_id: 'api-client', scope: 'messages:read', iss: as.issuer,
    });
    await as.revoke(access_token);
    expect(await as.introspect(access_token)).toEqual({ active: false });
  });

  it('introspection refuses a client without credentials', async () => {
    const res = await fetch(as.endpoints.introspection, { method: 'POST', body: new URLSearchParams({ token: 'x' }) });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toBe('invalid_request');
  });

  it('the limited client only gets messages:read', async () => {
    await expect(as.clientCredentialsToken({ clientId: 'limited-client', scope: 'admin' })).rejects.toThrow(/invalid_scope/);
    expect((await as.clientCredentialsToken({ clientId: 'limited-client', scope: 'messages:read' })).scope).toBe('messages:read');
  });

  it('completes the public client’s PKCE authorization code flow', async () => {
    const { access_token } = await as.authorizationCodeToken({ scope: 'messages:write', accountId: 'alice' });
    const { payload } = await jwtVerify(access_token, await jwks(as.endpoints.jwks), { audience: as.apiResource });
    expect(payload).toMatchObject({ sub: 'alice', client_id: 'spa-client', scope: 'messages:write' });
  });

  it('rotates keys: new kid signs, old kid stays published, opaque tokens survive', async () => {
    const opaque = (await as.clientCredentialsToken({ scope: 'admin', resource: as.opaqueResource })).access_token;
    const before = (await as.clientCredentialsToken({ scope: 'admin' })).access_token;
    const fresh = await as.rotateKeys();
    const after = (await as.clientCredentialsToken({ scope: 'admin' })).access_token;
    expect(decodeProtectedHeader(after).kid).toBe(fresh.find((k) => k.alg === 'RS256')!.kid);
    const set = await jwks(as.endpoints.jwks);
    await expect(jwtVerify(before, set)).resolves.toBeTruthy();
    await expect(jwtVerify(after, set)).resolves.toBeTruthy();
    expect((await as.introspect(opaque)).active).toBe(true);
  });

  it('can hide the RFC 8414 location like OIDC-only servers, and closes keep-alive sockets on close', async () => {
    const other = await startAuthorizationServer({ discovery: 'openid-only', apiResource: 'https://other.example' });
    expect((await fetch(other.endpoints.oauthMetadata)).status).toBe(404);
    expect((await getJson(other.endpoints.openidConfiguration)).issuer).toBe(other.issuer);
    expect(other.counts.get('/.well-known/oauth-authorization-server')).toBe(1);
    await other.close();
    await expect(fetch(other.endpoints.jwks)).rejects.toThrow();
  });
});

describe('Telnyx-shaped server', () => {
  let tx: TelnyxServer;
  beforeAll(async () => {
    tx = await startTelnyxServer();
  });
  afterAll(() => tx.close());

  const introspect = (body: string | URLSearchParams, headers: Record<string, string> = {}) =>
    fetch(tx.endpoints.introspection, { method: 'POST', body, headers: { authorization: `Bearer ${tx.apiKey}`, ...headers } });

  it('serves its well-known documents under /v2, not at the RFC 8414 location', async () => {
    expect(tx.issuer).toBe(`${tx.url}/v2`);
    expect(await getJson(tx.endpoints.metadata)).toMatchObject({
      issuer: tx.issuer,
      token_endpoint: `${tx.issuer}/oauth/token`,
      jwks_uri: `${tx.issuer}/oauth/jwks`,
      introspection_endpoint: `${tx.issuer}/oauth/introspect`,
      grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
    });
    expect(await getJson(tx.endpoints.protectedResource)).toMatchObject({ resource: tx.apiBase, authorization_servers: [tx.issuer] });
    expect((await fetch(`${tx.url}/.well-known/oauth-authorization-server/v2`)).status).toBe(404);
  });

  it('issues client_credentials tokens to basic or form credentials, and refuses wrong ones', async () => {
    const viaBasic = await fetch(tx.endpoints.token, {
      method: 'POST',
      headers: { authorization: basic('telnyx-client', 'telnyx-client-secret') },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'messages:read' }),
    });
    const token = (await viaBasic.json()) as Record<string, string>;
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'messages:read' });
    const { payload } = await jwtVerify(token.access_token!, await jwks(tx.endpoints.jwks), { issuer: tx.issuer, audience: tx.audience });
    expect(payload.client_id).toBe('telnyx-client');

    const viaForm = await fetch(tx.endpoints.token, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'telnyx-client', client_secret: 'telnyx-client-secret' }),
    });
    expect(viaForm.status).toBe(200);
    const wrong = await fetch(tx.endpoints.token, { method: 'POST', headers: { authorization: basic('telnyx-client', 'nope') }, body: 'grant_type=client_credentials' });
    expect(wrong.status).toBe(401);
  });

  it('introspects with the API key, from JSON or a form, returning the documented fields', async () => {
    const token = tx.mintOpaque({ scope: 'messages:read', client_id: 'c1' });
    const body = await json(await introspect(JSON.stringify({ token }), { 'content-type': 'application/json' }));
    expect(Object.keys(body).sort()).toEqual(['active', 'aud', 'client_id', 'exp', 'iat', 'iss', 'scope']);
    expect(body).toMatchObject({ active: true, scope: 'messages:read', client_id: 'c1', aud: tx.audience, iss: tx.issuer });
    expect((await json(await introspect(new URLSearchParams({ token })))).active).toBe(true);
    expect((await fetch(tx.endpoints.introspection, { method: 'POST', body: new URLSearchParams({ token }) })).status).toBe(401);
  });

  it('answers active:false for unknown, revoked and expired tokens', async () => {
    const revoked = tx.mintOpaque();
    tx.revoke(revoked);
    const expired = tx.mintJwt({ expiresIn: -10 });
    for (const token of ['unknown', revoked, expired]) {
      expect(await json(await introspect(new URLSearchParams({ token })))).toEqual({ active: false });
    }
  });

  it('mints HS256 tokens (Telnyx examples) that only introspection or the secret can decide', async () => {
    const token = tx.mintJwt({ alg: 'HS256' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    await expect(jwtVerify(token, tx.keys.hmacSecret)).resolves.toBeTruthy();
    expect((await json(await introspect(new URLSearchParams({ token })))).active).toBe(true);
  });

  it('crafts hostile tokens: alg none, lying headers, unpublished keys', async () => {
    const none = tx.mintJwt({ alg: 'none' });
    expect(none.endsWith('.')).toBe(true);
    expect(decodeProtectedHeader(tx.mintJwt({ header: { jku: 'https://evil.example/jwks', typ: undefined }, kid: 'nope' }))).toEqual({
      alg: 'RS256', kid: 'nope', jku: 'https://evil.example/jwks',
    });
    const pem = tx.keys.current('RS256').publicKey.export({ type: 'spki', format: 'pem' });
    const confused = tx.mintJwt({ alg: 'HS256', secret: pem, kid: tx.keys.current('RS256').kid });
    await expect(jwtVerify(confused, new TextEncoder().encode(String(pem)))).resolves.toBeTruthy();
    const stranger = tx.mintJwt({ key: (await tx.rotateKeys({ algs: ['ES256'] }))[0]!, alg: 'ES256' });
    tx.removeKey(decodeProtectedHeader(stranger).kid!);
    await expect(jwtVerify(stranger, await jwks(tx.endpoints.jwks))).rejects.toThrow();
  });

  it('rotates keys, keeping or dropping the old ones, and can claim another issuer', async () => {
    const old = tx.keys.current('RS256').kid;
    const [fresh] = await tx.rotateKeys({ algs: ['RS256'] });
    expect(decodeProtectedHeader(tx.mintJwt()).kid).toBe(fresh!.kid);
    const kids = () => getJson(tx.endpoints.jwks).then((d) => (d.keys as { kid: string }[]).map((k) => k.kid));
    expect(await kids()).toEqual(expect.arrayContaining([old, fresh!.kid]));
    tx.removeKey(old);
    expect(await kids()).not.toContain(old);
    tx.setIssuer('https://api.telnyx.com/v2');
    expect((await getJson(tx.endpoints.metadata)).issuer).toBe('https://api.telnyx.com/v2');
    tx.setIssuer();
    expect((await getJson(tx.endpoints.metadata)).issuer).toBe(tx.apiBase);
    expect(tx.counts.get('/v2/oauth/jwks', 'GET')).toBeGreaterThanOrEqual(2);
  });
});
