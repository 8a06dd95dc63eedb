/**
 * Ory Hydra, as its documentation and API reference have it: the issuer is `URLS_SELF_ISSUER`
 * with its trailing slash, metadata at `/.well-known/openid-configuration`, keys at
 * `/.well-known/jwks.json`. With `strategies.access_token: jwt` its access tokens carry
 * `aud: []` (unless the client asked for an audience), `client_id`, scopes in an `scp`
 * array; with the default opaque strategy (`ory_at_…` tokens) only the admin API's
 * `/admin/oauth2/introspect` (no client authentication, on the private admin port) can decide
 * them, and it answers for refresh tokens too, saying `token_use: "refresh_token"`.
 *
 * @see https://www.ory.sh/docs/hydra/jwt-access-token
 * @see https://www.ory.sh/docs/hydra/guides/oauth2-token-introspection
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { configs, IDS } from './configs.js';
import { accepted, call, flavours, Introspection, now, opaque, providerApp, refused, sign, signingKey, startProviderServer, type ProviderServer, type SigningKey } from './support.js';

const { client } = IDS.hydra;
/** The public port (issuer, metadata, keys) and the admin port (introspection). */
let hydra: ProviderServer;
let admin: ProviderServer;
let key: SigningKey;
let issuer: string;
const introspection = new Introspection();

beforeAll(async () => {
  [hydra, admin] = await Promise.all([startProviderServer(), startProviderServer()]);
  key = await signingKey(randomUUID());
  issuer = `${hydra.origin}/`;
  hydra.json('/.well-known/openid-configuration', {
    issuer,
    authorization_endpoint: `${hydra.origin}/oauth2/auth`,
    token_endpoint: `${hydra.origin}/oauth2/token`,
    jwks_uri: `${hydra.origin}/.well-known/jwks.json`,
    subject_types_supported: ['public'],
    response_types_supported: ['code', 'code id_token', 'id_token', 'token id_token', 'token', 'token id_token code'],
    claims_supported: ['sub'],
    grant_types_supported: ['authorization_code', 'implicit', 'client_credentials', 'refresh_token'],
    response_modes_supported: ['query', 'fragment'],
    userinfo_endpoint: `${hydra.origin}/userinfo`,
    scopes_supported: ['offline_access', 'offline', 'openid'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'private_key_jwt', 'none'],
    id_token_signing_alg_values_supported: ['RS256'],
    revocation_endpoint: `${hydra.origin}/oauth2/revoke`,
    end_session_endpoint: `${hydra.origin}/oauth2/sessions/logout`,
    code_challenge_methods_supported: ['plain', 'S256'],
  });
  hydra.json('/.well-known/jwks.json', { keys: [{ use: 'sig', kty: 'RSA', kid: key.kid, alg: 'RS256', n: key.publicJwk.n, e: key.publicJwk.e }] });
  admin.post('/admin/oauth2/introspect', introspection.endpoint(() => true));
});
afterAll(() => Promise.all([hydra.close(), admin.close()]));

const subject = 'c3f1b2a4-5d6e-4f70-8a9b-0c1d2e3f4a5b';

function jwtAccessToken(claims: Record<string, unknown> = {}): string {
  const iat = now();
  return sign(key, { alg: 'RS256', kid: key.kid, typ: 'JWT' }, {
    aud: [],
    client_id: client,
    exp: iat + 3600,
    ext: {},
    iat,
    iss: issuer,
    jti: randomUUID(),
    nbf: iat,
    scp: ['openid', 'offline', 'orders.read'],
    sub: subject,
    ...claims,
  });
}

function idToken(): string {
  const iat = now();
  return sign(key, { alg: 'RS256', kid: key.kid, typ: 'JWT' }, {
    at_hash: 'k3mBk3J1r4uG5uG2Vk3a0Q',
    aud: [client],
    auth_time: iat - 5,
    exp: iat + 3600,
    iat,
    iss: issuer,
    jti: randomUUID(),
    rat: iat - 10,
    sid: randomUUID(),
    sub: subject,
  });
}

/** An opaque `ory_at_` access token (or `ory_rt_` refresh token) the admin API answers for. */
function opaqueToken(use: 'access_token' | 'refresh_token' = 'access_token', clientId: string = client): string {
  const iat = now();
  const token = `${opaque(use === 'access_token' ? 'ory_at_' : 'ory_rt_')}.${opaque()}`;
  return introspection.issue(token, {
    client_id: clientId,
    exp: iat + 3600,
    iat,
    iss: issuer,
    nbf: iat,
    scope: 'openid offline orders.read',
    sub: subject,
    token_type: 'Bearer',
    token_use: use,
    aud: [],
  });
}

describe.each(flavours)('Ory Hydra on $name', (flavour) => {
  describe('JWT access tokens', () => {
    let app: ReturnType<typeof providerApp>;
    beforeAll(() => {
      app = providerApp(flavour, createGuard(configs.hydraJwt(hydra.origin)), 'orders.read');
    });

    it('accepts a JWT with aud: [] by its client_id; scopes from the scp array', async () => {
      expect(accepted(await call(app, '/api/read', jwtAccessToken()))).toMatchObject({
        tokenType: 'jwt',
        issuer,
        audience: [],
        clientId: client,
        scopes: ['openid', 'offline', 'orders.read'],
      });
    });

    it("refuses another client's token, and the ID token (its client only in aud)", async () => {
      refused(await call(app, '/api/me', jwtAccessToken({ client_id: 'billing-cli' })), 'token issued to a client not accepted here');
      refused(await call(app, '/api/me', idToken()), 'token names no client (client_id, azp or cid)');
    });
  });

  describe('opaque access tokens', () => {
    let app: ReturnType<typeof providerApp>;
    beforeAll(() => {
      app = providerApp(flavour, createGuard(configs.hydraOpaque(hydra.origin, admin.origin)), 'orders.read');
    });

    it('accepts an ory_at_ token through the admin introspection endpoint, once', async () => {
      const token = opaqueToken();
      const before = admin.counts.get('/admin/oauth2/introspect');
      for (let i = 0; i < 3; i++) {
        expect(accepted(await call(app, '/api/read', token))).toMatchObject({ tokenType: 'opaque', clientId: client, scopes: ['openid', 'offline', 'orders.read'] });
      }
      expect(admin.counts.get('/admin/oauth2/introspect') - before).toBe(1);
    });

    it('refuses a refresh token, which introspection reports as active', async () => {
      refused(await call(app, '/api/me', opaqueToken('refresh_token')), 'refresh tokens are not access tokens');
    });

    it("refuses another client's token", async () => {
      refused(await call(app, '/api/me', opaqueToken('access_token', 'billing-cli')), 'token issued to a client not accepted here');
    });

    it('JWT access tokens keep working beside it', async () => {
      accepted(await call(app, '/api/read', jwtAccessToken()));
    });
  });
});
