/**
 * Microsoft Entra ID (the Microsoft identity platform), as Microsoft documents it: the v2.0
 * issuer is `https://login.microsoftonline.com/<tenant>/v2.0` (metadata at
 * `<issuer>/.well-known/openid-configuration`, keys at `/<tenant>/discovery/v2.0/keys`, RSA
 * keys with `x5t` and `x5c` and no `alg`). An API whose manifest does not ask for v2.0 tokens
 * gets v1.0 ones, issued by `https://sts.windows.net/<tenant>/` and signed with the same keys.
 * Delegated tokens carry scopes in `scp` (a space-separated string), app-only tokens carry
 * application permissions in `roles` (an array); v1.0 tokens carry the client in `appid`,
 * v2.0 tokens in `azp`.
 *
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/access-tokens
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { configs, IDS } from './configs.js';
import { accepted, call, certificateMembers, flavours, now, providerApp, refused, sign, signingKey, startProviderServer, type ProviderServer, type SigningKey } from './support.js';

const { tenant, api, client } = IDS.entra;
const GRAPH = '00000003-0000-0000-c000-000000000000';

/** `login.microsoftonline.com` and `sts.windows.net`: two origins, as in production. */
let login: ProviderServer;
let sts: ProviderServer;
let key: SigningKey;
let x5t: string;
let v2Issuer: string;
let v1Issuer: string;

beforeAll(async () => {
  [login, sts] = await Promise.all([startProviderServer(), startProviderServer()]);
  const certificate = certificateMembers();
  x5t = certificate.x5t;
  key = await signingKey(x5t); // Entra's kid is the certificate's x5t
  v2Issuer = `${login.origin}/${tenant}/v2.0`;
  v1Issuer = `${sts.origin}/${tenant}/`;
  login.json(`/${tenant}/v2.0/.well-known/openid-configuration`, {
    token_endpoint: `${login.origin}/${tenant}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${login.origin}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: v2Issuer,
    request_uri_parameter_supported: false,
    userinfo_endpoint: 'https://graph.microsoft.com/oidc/userinfo',
    authorization_endpoint: `${login.origin}/${tenant}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${login.origin}/${tenant}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${login.origin}/${tenant}/oauth2/v2.0/logout`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
  });
  login.json(`/${tenant}/.well-known/openid-configuration`, {
    issuer: v1Issuer,
    jwks_uri: `${login.origin}/common/discovery/keys`,
    token_endpoint: `${login.origin}/${tenant}/oauth2/token`,
  });
  login.json(`/${tenant}/discovery/v2.0/keys`, {
    keys: [{ kty: 'RSA', use: 'sig', kid: x5t, x5t, n: key.publicJwk.n, e: key.publicJwk.e, x5c: certificate.x5c, issuer: v2Issuer }],
  });
});
afterAll(() => Promise.all([login.close(), sts.close()]));

const oid = '5c3d2e1f-0000-4a4b-8c8d-9e9f0a0b1c1d';

function times(): Record<string, number> {
  const iat = now();
  return { iat, nbf: iat, exp: iat + 3900 };
}

/** A v2.0 delegated token: `scp`, the client in `azp`. */
function delegatedV2(claims: Record<string, unknown> = {}): string {
  return sign(key, { typ: 'JWT', alg: 'RS256', kid: x5t }, {
    aud: api,
    iss: v2Issuer,
    ...times(),
    aio: 'AWQAm/8TAAAA',
    azp: client,
    azpacr: '0',
    name: 'Jane Doe',
    oid,
    preferred_username: 'jane@example.com',
    rh: '0.AXEA',
    scp: 'Orders.Read Orders.Write',
    sid: randomUUID(),
    sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
    tid: tenant,
    uti: 'fqiBqXLPj0eQa82S-IYFAA',
    ver: '2.0',
    ...claims,
  });
}

/** A v2.0 app-only token (client credentials): application permissions in `roles`. */
function appOnlyV2(): string {
  return sign(key, { typ: 'JWT', alg: 'RS256', kid: x5t }, {
    aud: api,
    iss: v2Issuer,
    ...times(),
    aio: 'E2ZgYJjg',
    azp: client,
    azpacr: '1',
    idtyp: 'app',
    oid: 'e0b2b4a6-1111-4c4c-8d8d-2f2f2f2f2f2f',
    rh: '0.AXEA',
    roles: ['Orders.Read.All'],
    sub: 'e0b2b4a6-1111-4c4c-8d8d-2f2f2f2f2f2f',
    tid: tenant,
    uti: 'Zq9XvD0QK0aN',
    ver: '2.0',
  });
}

/** A v1.0 token: issued by sts.windows.net, `x5t` in the header, the client in `appid`. */
function delegatedV1(): string {
  return sign(key, { typ: 'JWT', alg: 'RS256', x5t, kid: x5t }, {
    aud: `api://${api}`,
    iss: v1Issuer,
    ...times(),
    acr: '1',
    aio: 'ATQAy/8T',
    amr: ['pwd'],
    appid: client,
    appidacr: '0',
    name: 'Jane Doe',
    oid,
    scp: 'Orders.Read',
    sub: 'l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA',
    tid: tenant,
    unique_name: 'jane@example.com',
    upn: 'jane@example.com',
    uti: 'fqiBqXLPj0eQa82S-IYFAA',
    ver: '1.0',
  });
}

/** The v2.0 ID token of a sign-in: its `aud` is the client, not the API. */
function idTokenV2(): string {
  return sign(key, { typ: 'JWT', alg: 'RS256', kid: x5t }, {
    aud: client,
    iss: v2Issuer,
    ...times(),
    name: 'Jane Doe',
    nonce: '678910',
    oid,
    preferred_username: 'jane@example.com',
    sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
    tid: tenant,
    ver: '2.0',
  });
}

describe.each(flavours)('Microsoft Entra ID on $name', (flavour) => {
  describe('v2.0 issuer', () => {
    let app: ReturnType<typeof providerApp>;
    beforeAll(() => {
      app = providerApp(flavour, createGuard(configs.entraV2(login.origin)), 'Orders.Read', 'Orders.Read.All');
    });

    it('accepts a delegated v2.0 token, verified with a key that names no alg; scopes from scp', async () => {
      expect(accepted(await call(app, '/api/read', delegatedV2()))).toMatchObject({
        issuer: v2Issuer,
        audience: [api],
        clientId: client,
        scopes: ['Orders.Read', 'Orders.Write'],
      });
    });

    it('accepts an app-only token: its application permissions (roles) are its scopes', async () => {
      expect(accepted(await call(app, '/api/read', appOnlyV2()))).toMatchObject({ clientId: client, scopes: ['Orders.Read.All'] });
    });

    it('refuses a v1.0 token (an API manifest without requestedAccessTokenVersion 2)', async () => {
      refused(await call(app, '/api/me', delegatedV1()), 'issuer not trusted');
    });

    it('refuses a token for Microsoft Graph, and the ID token of the sign-in', async () => {
      refused(await call(app, '/api/me', delegatedV2({ aud: GRAPH })), 'audience mismatch');
      refused(await call(app, '/api/me', idTokenV2()), 'audience mismatch');
    });
  });

  describe('v1.0 and v2.0 issuers together', () => {
    let app: ReturnType<typeof providerApp>;
    let stsRequests: number;
    beforeAll(() => {
      stsRequests = sts.counts.total();
      app = providerApp(flavour, createGuard(configs.entraV1AndV2(login.origin, sts.origin)), 'Orders.Read', 'Orders.Read.All');
    });

    it('accepts both token versions with the one key set, and never asks sts.windows.net', async () => {
      expect(accepted(await call(app, '/api/read', delegatedV1()))).toMatchObject({ issuer: v1Issuer, audience: [`api://${api}`], scopes: ['Orders.Read'] });
      expect(accepted(await call(app, '/api/read', delegatedV2()))).toMatchObject({ issuer: v2Issuer, audience: [api] });
      expect(sts.counts.total() - stsRequests).toBe(0);
    });

    it('a v1.0 token names its client in appid, which clientIds does not read: it is in claims', async () => {
      const auth = accepted(await call(app, '/api/me', delegatedV1()));
      expect(auth.clientId).toBeUndefined();
      expect(auth.claims.appid).toBe(client);
    });
  });
});
