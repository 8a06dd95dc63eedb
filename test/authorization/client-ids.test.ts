/**
 * `clientIds` (DESIGN "clientIds"): for authorization servers whose access tokens carry no
 * usable `aud`, the API pins the client instead. Two independent checks with `audience`, on
 * every path: local JWTs, introspection answers, cached decisions, per-route audiences,
 * `guard.verify`. Tokens are minted by hand on a local server so every shape, hostile ones
 * included, can be sent.
 */
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type AuthInfo, type Guard } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { bearerParams, expectChallenge, expectOk, request } from './helpers.js';

const app1 = 'app-one';
const app2 = 'app-two';
const billing = 'https://api.example.com/billing';
const billingMetadata = 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/billing"';
const introspection = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };

let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer();
});
afterAll(() => as.close());

const echo = (req: { auth?: AuthInfo }, res: { json: (body: unknown) => void }) => res.json(req.auth ?? null);

function routes(app: Express, guard: Guard): Express {
  app.use('/api', guard.authenticate());
  app.get('/api/me', echo);
  app.get('/read', guard.requireScopes('messages:read'), echo);
  app.use('/billing', guard.authenticate({ audience: billing }));
  app.get('/billing/invoices', echo);
  return app;
}

/** A JWT with these claims replacing the server's defaults (`undefined` removes one). */
const jwt = (claims: Record<string, unknown>) => as.mintJwt({ claims });
/** Cognito: no aud, the client in client_id. */
const noAud = (client = app1) => jwt({ aud: undefined, client_id: client });

describe.each(flavours)('$name', (flavour) => {
  describe('clientIds alone', () => {
    let guard: Guard;
    let app: Express;
    beforeAll(() => {
      guard = createGuard({ issuer: as.issuer, clientIds: [app1, app2], introspection });
      app = routes(flavour.create(), guard);
    });

    it('accepts tokens without aud, with aud: [], or with an unrelated aud, when their client is listed', async () => {
      for (const token of [
        noAud(), // Amazon Cognito
        jwt({ aud: [], client_id: app2 }), // Ory Hydra
        jwt({ aud: 'account', client_id: undefined, azp: app1 }), // Keycloak without an audience mapper
        jwt({ aud: 'api://default', client_id: undefined, cid: app2 }), // Okta
      ]) {
        const auth = expectOk<AuthInfo>(await request(app, '/api/me', token));
        expect([app1, app2]).toContain(auth.clientId);
      }
    });

    it('the client is client_id, else azp, else cid: the first present decides', async () => {
      expect(expectOk<AuthInfo>(await request(app, '/api/me', jwt({ client_id: app1, azp: 'other', cid: 'other' }))).clientId).toBe(app1);
      expect(expectOk<AuthInfo>(await request(app, '/api/me', jwt({ client_id: undefined, azp: app2, cid: 'other' }))).clientId).toBe(app2);
      // A listed azp does not rescue an unlisted client_id.
      expectChallenge(
        await request(app, '/api/me', jwt({ client_id: 'other', azp: app1 })),
        401,
        'Bearer error="invalid_token", error_description="token issued to a client not accepted here"',
      );
    });

    it('a client that is not listed is refused, compared exactly', async () => {
      for (const client of ['app-three', 'APP-ONE', 'app-one ', '']) {
        expectChallenge(
          await request(app, '/api/me', noAud(client)),
          401,
          'Bearer error="invalid_token", error_description="token issued to a client not accepted here"',
        );
      }
    });

    it('a token naming no client is refused: an OIDC ID token never passes as an access token', async () => {
      const idToken = as.mintJwt({ header: { typ: 'JWT' }, claims: { aud: app1, client_id: undefined, scope: undefined, nonce: 'n-0S6_WzA2Mj' } });
      for (const token of [idToken, jwt({ aud: undefined, client_id: undefined })]) {
        expectChallenge(
          await request(app, '/api/me', token),
          401,
          'Bearer error="invalid_token", error_description="token names no client (client_id, azp or cid)"',
        );
      }
    });

    it('a client claim that is not a string is no client, and does not fall through to azp', async () => {
      for (const client_id of [[app1], { id: app1 }, 42, true]) {
        expectChallenge(
          await request(app, '/api/me', jwt({ aud: undefined, client_id, azp: app1 })),
          401,
          'Bearer error="invalid_token", error_description="token names no client (client_id, azp or cid)"',
        );
      }
    });

    it('an ID token that says so (typ "ID", token_use "id") is refused even though it names the client', async () => {
      const keycloakId = jwt({ aud: app1, client_id: undefined, azp: app1, typ: 'ID' });
      const cognitoId = jwt({ aud: app1, client_id: undefined, azp: app1, token_use: 'id' });
      expectChallenge(await request(app, '/api/me', keycloakId), 401, `Bearer error="invalid_token", error_description="token type 'ID' (claim typ) is not an access token"`);
      expectChallenge(await request(app, '/api/me', cognitoId), 401, `Bearer error="invalid_token", error_description="token type 'id' (claim token_use) is not an access token"`);
      // The access tokens of the same servers say so too, and pass.
      expectOk(await request(app, '/api/me', jwt({ aud: 'account', client_id: undefined, azp: app1, typ: 'Bearer' })));
      expectOk(await request(app, '/api/me', jwt({ aud: undefined, client_id: app1, token_use: 'access' })));
    });

    it('an ID token naming its client in azp too (Spring Authorization Server, Google) is refused', async () => {
      const idToken = jwt({ aud: [app1], client_id: undefined, azp: app1, scope: undefined, sid: 'x', nonce: 'n' });
      expectChallenge(
        await request(app, '/api/me', idToken),
        401,
        'Bearer error="invalid_token", error_description="an ID token (its aud is its own client), not an access token"',
      );
      // An access token that says so passes with the same shape (Keycloak, its client roles putting it in aud),
      // and so does one whose aud names more than its client.
      expectOk(await request(app, '/api/me', jwt({ aud: app1, client_id: undefined, azp: app1, typ: 'Bearer' })));
      expectOk(await request(app, '/api/me', jwt({ aud: [app1, 'account'], client_id: undefined, azp: app1 })));
      // With client_id, the token follows the access-token profile (RFC 9068): aud may name anything.
      expectOk(await request(app, '/api/me', jwt({ aud: [app1], client_id: app1 })));
    });

    it('a malformed aud is refused even though aud is not compared', async () => {
      expectChallenge(await request(app, '/api/me', jwt({ aud: 42, client_id: app1 })), 401, 'Bearer error="invalid_token", error_description="token audience is malformed"');
    });

    it('cached decisions apply it too: the same token twice, accepted and refused alike', async () => {
      const good = noAud();
      const bad = noAud('app-three');
      for (let i = 0; i < 2; i++) {
        expectOk(await request(app, '/api/me', good));
        expectChallenge(await request(app, '/api/me', bad), 401, 'Bearer error="invalid_token", error_description="token issued to a client not accepted here"');
      }
    });

    it('introspected tokens: the client of the answer decides, aud may be absent', async () => {
      const good = as.mintOpaque({ client_id: app1, claims: { aud: undefined } });
      const other = as.mintOpaque({ client_id: 'app-three' });
      const none = as.mintOpaque({ claims: { client_id: undefined, aud: undefined } });
      for (let i = 0; i < 2; i++) {
        const auth = expectOk<AuthInfo>(await request(app, '/api/me', good));
        expect([auth.tokenType, auth.clientId, auth.audience]).toEqual(['opaque', app1, []]);
        expectChallenge(await request(app, '/api/me', other), 401, 'Bearer error="invalid_token", error_description="token issued to a client not accepted here"');
        expectChallenge(await request(app, '/api/me', none), 401, 'Bearer error="invalid_token", error_description="token names no client (client_id, azp or cid)"');
      }
    });

    it('an introspection answer for a refresh token is refused, however the server words it', async () => {
      for (const claims of [{ token_use: 'refresh_token' }, { typ: 'Refresh' }, { token_type: 'refresh_token' }]) {
        const token = as.mintOpaque({ client_id: app1, claims });
        expectChallenge(await request(app, '/api/me', token), 401, 'Bearer error="invalid_token", error_description="refresh tokens are not access tokens"');
      }
    });

    it('requireScopes authenticates by itself with the client check', async () => {
      expectOk(await request(app, '/read', noAud()));
      expectChallenge(await request(app, '/read', noAud('app-three')), 401, 'Bearer error="invalid_token", error_description="token issued to a client not accepted here"');
    });

    it('a per-route audience keeps working beside it: that route compares aud, and still the client', async () => {
      expectOk(await request(app, '/billing/invoices', jwt({ aud: billing, client_id: app1 })));
      expectChallenge(await request(app, '/billing/invoices', noAud()), 401, `Bearer error="invalid_token", error_description="token has no audience", ${billingMetadata}`);
      expectChallenge(
        await request(app, '/billing/invoices', jwt({ aud: 'https://api.example.com', client_id: app1 })),
        401,
        `Bearer error="invalid_token", error_description="audience mismatch", ${billingMetadata}`,
      );
      expectChallenge(
        await request(app, '/billing/invoices', jwt({ aud: billing, client_id: 'app-three' })),
        401,
        `Bearer error="invalid_token", error_description="token issued to a client not accepted here", ${billingMetadata}`,
      );
    });

    it('without audience and resource: challenges carry no resource_metadata and no realm', async () => {
      const res = await request(app, '/api/me');
      expectChallenge(res, 401, 'Bearer');
      expect(bearerParams(res)).toEqual({});
      expect(bearerParams(await request(app, '/api/me', noAud('app-three')))).toEqual({
        error: 'invalid_token',
        error_description: 'token issued to a client not accepted here',
      });
    });

    it('guard.metadata() throws a TypeError naming "resource"', () => {
      expect(() => guard.metadata()).toThrow(TypeError);
      expect(() => guard.metadata()).toThrow(/"resource"/);
    });

    it('guard.verify applies it, and a per-call audience beside it', async () => {
      expect((await guard.verify(noAud())).clientId).toBe(app1);
      await expect(guard.verify(noAud('app-three'))).rejects.toMatchObject({ status: 401, description: 'token issued to a client not accepted here' });
      await expect(guard.verify(noAud(), { audience: billing })).rejects.toMatchObject({ status: 401, description: 'token has no audience' });
      expect((await guard.verify(jwt({ aud: billing, client_id: app2 }), { audience: billing })).clientId).toBe(app2);
    });
  });

  describe('clientIds with audience: both hold', () => {
    let app: Express;
    beforeAll(() => {
      const guard = createGuard({ issuer: as.issuer, audience: 'https://api.example.com', clientIds: app1, introspection });
      app = routes(flavour.create(), guard);
    });

    it('right audience and right client pass; either one wrong is refused', async () => {
      expectOk(await request(app, '/api/me', jwt({ client_id: app1 })));
      const rootMetadata = 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"';
      expectChallenge(
        await request(app, '/api/me', jwt({ aud: 'https://other.example.com', client_id: app1 })),
        401,
        `Bearer error="invalid_token", error_description="audience mismatch", realm="https://api.example.com", ${rootMetadata}`,
      );
      expectChallenge(
        await request(app, '/api/me', jwt({ client_id: app2 })),
        401,
        `Bearer error="invalid_token", error_description="token issued to a client not accepted here", realm="https://api.example.com", ${rootMetadata}`,
      );
      expectChallenge(
        await request(app, '/api/me', noAud()),
        401,
        `Bearer error="invalid_token", error_description="token has no audience", realm="https://api.example.com", ${rootMetadata}`,
      );
    });

    it('introspected tokens too', async () => {
      expectOk(await request(app, '/api/me', as.mintOpaque({ client_id: app1 })));
      expect((await request(app, '/api/me', as.mintOpaque({ client_id: app2 }))).status).toBe(401);
      expect((await request(app, '/api/me', as.mintOpaque({ client_id: app1, aud: 'https://other.example.com' }))).status).toBe(401);
    });
  });

  describe('clientIds with an explicit resource', () => {
    it('challenges name its metadata and guard.metadata() serves it', async () => {
      const guard = createGuard({ issuer: as.issuer, clientIds: app1, resource: 'https://api.example.com' });
      const app = flavour.create();
      app.use(guard.metadata());
      app.use('/api', guard.authenticate());
      app.get('/api/me', echo);
      expectChallenge(
        await request(app, '/api/me'),
        401,
        'Bearer realm="https://api.example.com", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"',
      );
      expect(expectOk(await request(app, '/.well-known/oauth-protected-resource')).resource).toBe('https://api.example.com');
    });
  });
});

describe('with introspectJwt, a wrong client is decided locally', () => {
  it('no introspection call for a JWT issued to another client', async () => {
    const guard = createGuard({ issuer: as.issuer, clientIds: app1, introspection: { ...introspection, introspectJwt: true } });
    as.resetCounts();
    await expect(guard.verify(noAud('app-three'))).rejects.toMatchObject({ description: 'token issued to a client not accepted here' });
    expect(as.count('introspection')).toBe(0);
    expect((await guard.verify(noAud())).clientId).toBe(app1);
    expect(as.count('introspection')).toBe(1);
  });
});

describe('options', () => {
  it('neither audience nor clientIds: a TypeError naming both', () => {
    expect(() => createGuard({ issuer: as.issuer } as unknown as Parameters<typeof createGuard>[0])).toThrow(
      new TypeError('"audience" is required (the aud your tokens carry), or "clientIds" (the client_id/azp/cid they carry), or both'),
    );
  });

  it('clientIds must be non-empty strings', () => {
    for (const clientIds of [[], [''], [42], '']) {
      expect(() => createGuard({ issuer: as.issuer, clientIds } as unknown as Parameters<typeof createGuard>[0])).toThrow(/"clientIds"/);
    }
  });
});
