/**
 * `authenticate({ audience: 'request-url' })` (RFC 8707, as MCP clients use it): the token
 * must have been minted for the URL the client called. The discovery loop runs for real: a
 * 401 names the path-specific RFC 9728 document, which names the resource, for which the
 * local oidc-provider mints a token with a resource indicator. Behind a proxy the origin
 * comes from `X-Forwarded-*` only when Express's `trust proxy` trusts the sender.
 */
import type { Express } from 'express';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type AuthorizationServer } from '../../example-app/authorization-server.js';
import { createGuard, type AuthInfo } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { audience, bearerParams, expectChallenge, expectOk, request } from './helpers.js';

const echo = (req: { auth?: AuthInfo }, res: { json: (body: unknown) => void }) => res.json(req.auth ?? null);

describe.each(flavours)('$name', (flavour) => {
  describe('with a real authorization server and resource indicators', () => {
    let app: Express;
    let server: Server;
    let origin: string;
    let as: AuthorizationServer;
    beforeAll(async () => {
      app = flavour.create();
      server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      // The API resource of the AS is this app's /mcp, so it mints tokens with that aud.
      as = await startAuthorizationServer({ apiResource: `${origin}/mcp` });
      const guard = createGuard({ issuer: as.issuer, audience });
      app.use(guard.metadata());
      app.use('/mcp', guard.authenticate({ audience: 'request-url' }), echo);
      app.post('/tools/call', guard.authenticate({ audience: 'request-url' }), echo);
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
      await as.close();
    });

    it('discovery loop: 401 → path-specific metadata → token for that resource → 200', async () => {
      const first = await request(server, '/mcp');
      const challenge = expectChallenge(
        first,
        401,
        `Bearer realm="${audience}", resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`,
      );
      const metadataUrl = new URL(challenge.resource_metadata!);
      const doc = expectOk(await request(server, metadataUrl.pathname));
      expect(doc).toMatchObject({ resource: `${origin}/mcp`, authorization_servers: [as.issuer] });

      const { access_token } = await as.clientCredentialsToken({ scope: 'messages:read', resource: doc.resource as string });
      const auth = expectOk<AuthInfo>(await request(server, '/mcp', access_token));
      expect(auth.audience).toEqual([`${origin}/mcp`]);
      // Sub-paths of the mount are the same resource.
      expectOk(await request(server, '/mcp/tools/list', access_token));
    });

    it('user tokens from the code flow with a resource indicator pass too', async () => {
      const { access_token } = await as.authorizationCodeToken({ scope: 'messages:read', resource: `${origin}/mcp` });
      expectOk(await request(server, '/mcp', access_token));
    });

    it('a token for another resource is refused, naming this resource', async () => {
      const other = await startAuthorizationServer();
      try {
        const otherGuardApp = flavour.create();
        const otherGuard = createGuard({ issuer: other.issuer, audience });
        otherGuardApp.use('/mcp', otherGuard.authenticate({ audience: 'request-url' }), echo);
        const { access_token } = await other.clientCredentialsToken({ resource: 'https://api.example.com' });
        const res = await request(otherGuardApp, '/mcp', access_token);
        expect(res.status).toBe(401);
        expect(bearerParams(res)).toMatchObject({ error: 'invalid_token', error_description: 'audience mismatch' });
        expect(bearerParams(res).resource_metadata).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp$/);
      } finally {
        await other.close();
      }
    });

    it('on a route, the resource is the path requested', async () => {
      const res = await request(server, '/tools/call', undefined, 'post');
      expectChallenge(res, 401, `Bearer realm="${audience}", resource_metadata="${origin}/.well-known/oauth-protected-resource/tools/call"`);
      const doc = expectOk(await request(server, '/.well-known/oauth-protected-resource/tools/call'));
      expect(doc.resource).toBe(`${origin}/tools/call`);
      const { access_token } = await as.clientCredentialsToken({ resource: `${origin}/mcp` });
      expectChallenge(
        await request(server, '/tools/call', access_token, 'post'),
        401,
        `Bearer error="invalid_token", error_description="audience mismatch", realm="${audience}", resource_metadata="${origin}/.well-known/oauth-protected-resource/tools/call"`,
      );
    });
  });

  describe('behind a proxy (hand-minted tokens)', () => {
    let fault: FaultServer;
    beforeAll(async () => {
      fault = await startFaultServer({ audience });
    });
    afterAll(() => fault.close());
    const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'mcp.example.com' };
    const mcpToken = (aud: string | string[] = 'https://mcp.example.com/mcp') => fault.mintJwt({ claims: { aud } });

    const appWith = (trustProxy: boolean | string, options: { origins?: string[]; resourcePath?: string } = {}) => {
      const app = flavour.create();
      if (trustProxy !== false) app.set('trust proxy', trustProxy);
      const guard = createGuard({ issuer: fault.issuer, audience });
      app.use(guard.metadata());
      app.use('/mcp', guard.authenticate({ audience: 'request-url', ...options }), echo);
      return app;
    };

    it('trust proxy: the forwarded origin is the resource', async () => {
      const app = appWith('loopback');
      expectOk(await request(app, '/mcp', mcpToken()).set(forwarded));
      // The same resource written with a trailing slash or an explicit default port.
      expectOk(await request(app, '/mcp', mcpToken('https://mcp.example.com/mcp/')).set(forwarded));
      expectOk(await request(app, '/mcp', mcpToken(['urn:x', 'https://MCP.example.com:443/mcp'])).set(forwarded));
      expectChallenge(
        await request(app, '/mcp', mcpToken('https://mcp.example.com/other')).set(forwarded),
        401,
        `Bearer error="invalid_token", error_description="audience mismatch", realm="${audience}", resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"`,
      );
      const doc = expectOk(await request(app, '/.well-known/oauth-protected-resource/mcp').set(forwarded));
      expect(doc.resource).toBe('https://mcp.example.com/mcp');
    });

    it('without trust proxy, X-Forwarded-* are ignored', async () => {
      const app = appWith(false);
      const res = await request(app, '/mcp', mcpToken()).set(forwarded);
      expect(res.status).toBe(401);
      expect(bearerParams(res).error_description).toBe('audience mismatch');
      expect(bearerParams(res).resource_metadata).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp$/);
      // A token for the URL the client really called passes.
      expectOk(await request(app, '/mcp', mcpToken('http://mcp.example.com/mcp')).set('Host', 'mcp.example.com'));
    });

    it('origins pins the hosts a resource may have', async () => {
      const app = appWith(false, { origins: ['https://mcp.example.com'] });
      expectChallenge(
        await request(app, '/mcp', mcpToken('http://evil.example.com/mcp')).set('Host', 'evil.example.com'),
        401,
        `Bearer error="invalid_token", error_description="audience mismatch", realm="${audience}", resource_metadata="${audience}/.well-known/oauth-protected-resource"`,
      );
      const trusted = appWith(true, { origins: ['https://mcp.example.com'] });
      expectOk(await request(trusted, '/mcp', mcpToken()).set(forwarded));
    });

    it('a declared resourcePath is served before any request reached the route', async () => {
      const app = appWith(true, { resourcePath: '/mcp' });
      const doc = expectOk(await request(app, '/.well-known/oauth-protected-resource/mcp').set(forwarded));
      expect(doc.resource).toBe('https://mcp.example.com/mcp');
      expect((await request(app, '/.well-known/oauth-protected-resource/other').set(forwarded)).status).toBe(404);
    });

    it('a Host that is not a host is refused as a malformed request, never used', async () => {
      const app = appWith(false);
      const res = await request(app, '/mcp', mcpToken('http://a/b/mcp')).set('Host', 'a/b');
      expect(res.status).toBe(400);
      expect(bearerParams(res).error).toBe('invalid_request');
    });
  });
});
