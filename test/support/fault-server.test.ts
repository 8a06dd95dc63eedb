// The fault-injecting authorization server: each behaviour, proven through plain fetch.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fault, startFaultServer } from './fault-server.js';
import type { FaultServer } from './fault-server.js';

const json = (res: Response) => res.json() as Promise<Record<string, unknown>>;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('fault server', () => {
  let fs: FaultServer;
  beforeAll(async () => {
    fs = await startFaultServer({ issuerPath: '/tenant' });
  });
  afterEach(() => {
    fs.resetBehaviors();
    fs.resetCounts();
  });
  afterAll(() => fs.close());

  const introspect = (token: string, authorization = basic('resource-server', 'resource-server-secret')) =>
    fetch(fs.endpoints.introspection, { method: 'POST', headers: { authorization }, body: new URLSearchParams({ token }) });

  it('serves metadata at the RFC 8414 and OIDC locations of a path issuer, JWKS and introspection', async () => {
    expect(fs.endpoints.metadata).toBe(`${fs.url}/.well-known/oauth-authorization-server/tenant`);
    expect(fs.endpoints['openid-configuration']).toBe(`${fs.url}/tenant/.well-known/openid-configuration`);
    for (const url of [fs.endpoints.metadata, fs.endpoints['openid-configuration']]) {
      expect(await json(await fetch(url))).toMatchObject({ issuer: `${fs.url}/tenant`, jwks_uri: fs.endpoints.jwks });
    }
    expect(((await json(await fetch(fs.endpoints.jwks))).keys as unknown[]).length).toBe(3);
    const token = fs.mintOpaque({ scope: 'admin' });
    expect(await json(await introspect(token))).toMatchObject({ active: true, scope: 'admin', iss: `${fs.url}/tenant` });
    expect((await introspect(token, basic('resource-server', 'wrong'))).status).toBe(401);
    expect(fs.count('introspection')).toBe(2);
  });

  it('down resets the connection; stopListening refuses it until resume', async () => {
    fs.setBehavior('jwks', fault.down);
    await expect(fetch(fs.endpoints.jwks)).rejects.toThrow();
    expect(fs.count('jwks')).toBe(1);
    await fs.stopListening();
    await expect(fetch(fs.endpoints.jwks)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
    await fs.resume();
    fs.setBehavior('jwks', fault.ok);
    expect((await fetch(fs.endpoints.jwks)).status).toBe(200);
  });

  it('hang never answers; slow and trickle answer late', async () => {
    fs.setBehavior('metadata', fault.hang);
    await expect(fetch(fs.endpoints.metadata, { signal: AbortSignal.timeout(100) })).rejects.toThrow(/timeout|abort/i);
    fs.setBehavior('metadata', fault.slow(150));
    let start = Date.now();
    expect((await fetch(fs.endpoints.metadata)).status).toBe(200);
    expect(Date.now() - start).toBeGreaterThanOrEqual(140);
    fs.setBehavior('jwks', fault.trickle(200));
    const res = await fetch(fs.endpoints.jwks);
    const headersAt = Date.now();
    expect(await res.json()).toEqual({ keys: [] });
    expect(Date.now() - headersAt).toBeGreaterThanOrEqual(100);
  });

  it('plays a sequence: 503 then 429 with Retry-After then ok, the last one staying', async () => {
    fs.setBehavior('introspection', fault.status(503), fault.status(429, { 'retry-after': '7' }), fault.ok);
    expect((await introspect('t')).status).toBe(503);
    const limited = await introspect('t');
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    expect(await json(await introspect('t'))).toEqual({ active: false });
    expect(await json(await introspect('t'))).toEqual({ active: false });
  });

  it('garbage, oversized, redirect and arbitrary JSON', async () => {
    fs.setBehavior('jwks', fault.garbage);
    await expect((await fetch(fs.endpoints.jwks)).json()).rejects.toThrow();
    fs.setBehavior('jwks', fault.oversized(3 * 1024 * 1024));
    const big = await fetch(fs.endpoints.jwks);
    expect(big.headers.get('content-length')).toBeNull();
    expect((await big.arrayBuffer()).byteLength).toBe(3 * 1024 * 1024);
    fs.setBehavior('jwks', fault.redirect('http://169.254.169.254/latest'));
    const moved = await fetch(fs.endpoints.jwks, { redirect: 'manual' });
    expect([moved.status, moved.headers.get('location')]).toEqual([302, 'http://169.254.169.254/latest']);
    fs.setBehavior('metadata', fault.json({ issuer: 'https://evil.example' }));
    expect(await json(await fetch(fs.endpoints.metadata))).toEqual({ issuer: 'https://evil.example' });
  });

  it('ETag / If-None-Match gives 304, with the configured Cache-Control', async () => {
    fs.setCache('jwks', { etag: true, cacheControl: 'max-age=60' });
    const first = await fetch(fs.endpoints.jwks);
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('max-age=60');
    const again = await fetch(fs.endpoints.jwks, { headers: { 'if-none-match': etag } });
    expect([again.status, again.headers.get('etag')]).toEqual([304, etag]);
    await fs.rotateKeys();
    expect((await fetch(fs.endpoints.jwks, { headers: { 'if-none-match': etag } })).status).toBe(200);
    fs.setCache('jwks', {});
  });

  it('setMetadata, setIssuer and key removal change what is served', async () => {
    fs.setMetadata({ introspection_endpoint: undefined, jwks_uri: 'http://127.0.0.1:1/jwks' });
    fs.setIssuer('https://other.example');
    const md = await json(await fetch(fs.endpoints.metadata));
    expect(md).toMatchObject({ issuer: 'https://other.example', jwks_uri: 'http://127.0.0.1:1/jwks' });
    expect(md).not.toHaveProperty('introspection_endpoint');
    fs.setIssuer();
    fs.setMetadata({ introspection_endpoint: fs.endpoints.introspection, jwks_uri: fs.endpoints.jwks });
    const kid = fs.keys.current('ES256').kid;
    fs.removeKey(kid);
    const kids = ((await json(await fetch(fs.endpoints.jwks))).keys as { kid: string }[]).map((k) => k.kid);
    expect(kids).not.toContain(kid);
  });

  it('close() returns promptly with a request hanging', async () => {
    const other = await startFaultServer();
    other.setBehavior('jwks', fault.hang);
    const pending = fetch(other.endpoints.jwks).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 20));
    const start = Date.now();
    await other.close();
    expect(Date.now() - start).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(Error);
  });
});
