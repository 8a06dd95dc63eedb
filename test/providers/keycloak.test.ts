/**
 * Keycloak, as its server administration guide and token shapes have it: the issuer is
 * `<base>/realms/<realm>`, metadata at `<issuer>/.well-known/openid-configuration`, keys at
 * `<issuer>/protocol/openid-connect/certs` (a signing key and an `RSA-OAEP` encryption key,
 * both with certificates), introspection at `.../token/introspect`. Access tokens carry
 * `typ: "Bearer"`, the client in `azp` and `aud: "account"` (the Audience Resolve mapper), or
 * no `aud` at all, unless an audience mapper adds the API; ID tokens carry `typ: "ID"` and the
 * client in both `aud` and `azp`; refresh tokens are HS512 JWTs with `typ: "Refresh"`.
 *
 * @see https://www.keycloak.org/docs/latest/server_admin/#audience-support
 * @see https://www.keycloak.org/securing-apps/oidc-layers
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { configs, IDS } from './configs.js';
import {
  accepted,
  basicAuth,
  call,
  certificateMembers,
  flavours,
  Introspection,
  now,
  providerApp,
  refused,
  sign,
  signingKey,
  startProviderServer,
  type ProviderServer,
  type SigningKey,
} from './support.js';
import { signJws } from '../support/keys.js';

const { realm, apiClient } = IDS.keycloak;
const [web, cli] = IDS.keycloak.clients;
const apiSecret = 'orders-api-secret';
const env = { KEYCLOAK_CLIENT_SECRET: apiSecret };

let keycloak: ProviderServer;
let signing: SigningKey;
let encryption: SigningKey;
let issuer: string;
const hmacSecret = randomBytes(64);
const introspection = new Introspection();

beforeAll(async () => {
  keycloak = await startProviderServer();
  [signing, encryption] = await Promise.all([signingKey('q1Wm0TsnYnXtpG0MShdkCyF4JpB7Y0SLTGRRYb8pRXs'), signingKey('7uKoCn8VTXc9t0H2nvwXoWq9lw0oJcg6S3EjHeK_9Ew')]);
  issuer = `${keycloak.origin}/realms/${realm}`;
  const oidc = `${issuer}/protocol/openid-connect`;
  keycloak.json(`/realms/${realm}/.well-known/openid-configuration`, {
    issuer,
    authorization_endpoint: `${oidc}/auth`,
    token_endpoint: `${oidc}/token`,
    introspection_endpoint: `${oidc}/token/introspect`,
    userinfo_endpoint: `${oidc}/userinfo`,
    end_session_endpoint: `${oidc}/logout`,
    jwks_uri: `${oidc}/certs`,
    grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'password', 'client_credentials'],
    response_types_supported: ['code', 'none', 'id_token', 'token', 'id_token token', 'code id_token', 'code token', 'code id_token token'],
    id_token_signing_alg_values_supported: ['PS384', 'RS384', 'EdDSA', 'ES384', 'HS256', 'HS512', 'ES256', 'RS256', 'HS384', 'ES512', 'PS256', 'PS512', 'RS512'],
    introspection_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic', 'client_secret_post', 'tls_client_auth', 'client_secret_jwt'],
    scopes_supported: ['openid', 'profile', 'email', 'roles', 'web-origins', 'acr', 'orders:read'],
  });
  keycloak.json(`/realms/${realm}/protocol/openid-connect/certs`, {
    keys: [
      { kid: encryption.kid, kty: 'RSA', alg: 'RSA-OAEP', use: 'enc', n: encryption.publicJwk.n, e: encryption.publicJwk.e, ...certificateMembers() },
      { kid: signing.kid, kty: 'RSA', alg: 'RS256', use: 'sig', n: signing.publicJwk.n, e: signing.publicJwk.e, ...certificateMembers() },
    ],
  });
  keycloak.post(`/realms/${realm}/protocol/openid-connect/token/introspect`, introspection.endpoint(basicAuth(apiClient, apiSecret)));
});
afterAll(() => keycloak.close());

const user = 'f3a5c2d1-7b8e-4c6a-9d0f-1e2b3c4d5e6f';

/**
 * An access token as Keycloak issues it to `azp`; `claims` replace or add (undefined removes).
 * Introspection knows it unless it is a forgery (`issued: false`).
 */
function accessToken(claims: Record<string, unknown> = {}, key: SigningKey = signing, issued = true): string {
  const iat = now();
  const payload: Record<string, unknown> = {
    exp: iat + 300,
    iat,
    auth_time: iat - 5,
    jti: `onrtac:${randomUUID()}`,
    iss: issuer,
    aud: 'account',
    sub: user,
    typ: 'Bearer',
    azp: web,
    sid: randomUUID(),
    acr: '1',
    'allowed-origins': ['https://orders.example.com'],
    realm_access: { roles: ['default-roles-acme', 'offline_access', 'orders-admin'] },
    resource_access: { account: { roles: ['manage-account', 'view-profile'] } },
    scope: 'openid profile orders:read email',
    email_verified: true,
    preferred_username: 'jane',
    ...claims,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete payload[name];
  const token = sign(key, { alg: 'RS256', typ: 'JWT', kid: key.kid }, payload);
  return issued ? introspection.issue(token, { ...payload, client_id: payload.azp, username: 'jane', token_type: 'Bearer' }) : token;
}

function idToken(): string {
  const iat = now();
  return sign(signing, { alg: 'RS256', typ: 'JWT', kid: signing.kid }, {
    exp: iat + 300,
    iat,
    auth_time: iat - 5,
    jti: randomUUID(),
    iss: issuer,
    aud: web,
    sub: user,
    typ: 'ID',
    azp: web,
    nonce: 'n-0S6_WzA2Mj',
    sid: randomUUID(),
    at_hash: 'k3mBk3J1r4uG5uG2Vk3a0Q',
    acr: '1',
    email_verified: true,
    preferred_username: 'jane',
  });
}

/** Keycloak's refresh tokens: HS512 with a realm secret never published. */
function refreshToken(): string {
  const iat = now();
  const claims = { exp: iat + 1800, iat, jti: randomUUID(), iss: issuer, aud: issuer, sub: user, typ: 'Refresh', azp: web, sid: randomUUID(), scope: 'openid profile orders:read email' };
  const token = signJws({ header: { alg: 'HS512', typ: 'JWT', kid: 'c3b1e5a8-0000-4e4e-9f9f-hmac' }, payload: claims, key: hmacSecret });
  return introspection.issue(token, { ...claims, client_id: web, username: 'jane' });
}

describe.each(flavours)('Keycloak on $name', (flavour) => {
  describe('clientIds (no audience mapper)', () => {
    let app: ReturnType<typeof providerApp>;
    beforeAll(() => {
      app = providerApp(flavour, createGuard(configs.keycloak(keycloak.origin, env)), 'orders:read');
    });

    it('accepts an access token with aud "account", by its azp', async () => {
      const auth = accepted(await call(app, '/api/read', accessToken()));
      expect(auth).toMatchObject({ issuer, clientId: web, subject: user, audience: ['account'], tokenType: 'jwt' });
      expect(auth.scopes).toContain('orders:read');
    });

    it('accepts an access token without any aud (no client roles), for the other listed client', async () => {
      expect(accepted(await call(app, '/api/read', accessToken({ aud: undefined, azp: cli })))).toMatchObject({ clientId: cli, audience: [] });
    });

    it('refuses a token issued to another client of the realm', async () => {
      refused(await call(app, '/api/me', accessToken({ azp: 'billing-web' })), 'token issued to a client not accepted here');
    });

    it('refuses the ID token, although its azp is a listed client', async () => {
      refused(await call(app, '/api/me', idToken()), "token type 'ID' (claim typ) is not an access token");
    });

    it('refuses a refresh token: HS512 goes to introspection, which says typ "Refresh"', async () => {
      const before = keycloak.counts.get(`/realms/${realm}/protocol/openid-connect/token/introspect`);
      refused(await call(app, '/api/me', refreshToken()), 'refresh tokens are not access tokens');
      expect(keycloak.counts.get(`/realms/${realm}/protocol/openid-connect/token/introspect`) - before).toBe(1);
    });

    it('never verifies with the realm encryption key (use "enc"): a token signed with it is no key of the JWKS', async () => {
      // Not found locally, so introspection decides; Keycloak never issued it.
      refused(await call(app, '/api/me', accessToken({}, encryption, false)), 'token is not active');
    });
  });

  describe('an audience mapper adding the API', () => {
    let app: ReturnType<typeof providerApp>;
    beforeAll(() => {
      app = providerApp(flavour, createGuard(configs.keycloakAudienceMapper(keycloak.origin)), 'orders:read');
    });

    it('accepts a token whose aud names the API', async () => {
      expect(accepted(await call(app, '/api/read', accessToken({ aud: [IDS.keycloak.audience, 'account'] })))).toMatchObject({ audience: [IDS.keycloak.audience, 'account'] });
    });

    it('refuses a token with only aud "account", and one without aud', async () => {
      refused(await call(app, '/api/me', accessToken()), 'audience mismatch');
      refused(await call(app, '/api/me', accessToken({ aud: undefined })), 'token has no audience');
    });
  });
});
