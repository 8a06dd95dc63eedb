/**
 * Auth0, as it documents access tokens: the issuer is the tenant's domain **with a trailing
 * slash** (`https://<tenant>.us.auth0.com/`), metadata at `/.well-known/openid-configuration`,
 * keys at `/.well-known/jwks.json`. An access token for an API has that API's identifier in
 * `aud` (plus `/userinfo` when `openid` was asked for), the client in `azp`, and, with RBAC
 * and "Add Permissions in the Access Token", the rights in a `permissions` array.
 *
 * @see https://auth0.com/docs/secure/tokens/access-tokens/validate-access-tokens
 * @see https://auth0.com/docs/get-started/apis/enable-role-based-access-control-for-apis
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { configs, IDS } from './configs.js';
import { accepted, call, certificateMembers, flavours, now, providerApp, refused, sign, signingKey, startProviderServer, type ProviderServer, type SigningKey } from './support.js';

const { api, client } = IDS.auth0;
let auth0: ProviderServer;
let key: SigningKey;
let issuer: string;

beforeAll(async () => {
  auth0 = await startProviderServer();
  const [current, next] = await Promise.all([signingKey('Fh2kq0tQ9H8mZ3xB'), signingKey('N7cQ2sVwP4yR1uKd')]);
  key = current;
  const origin = auth0.origin;
  issuer = `${origin}/`;
  auth0.json('/.well-known/openid-configuration', {
    issuer,
    authorization_endpoint: `${origin}/authorize`,
    token_endpoint: `${origin}/oauth/token`,
    device_authorization_endpoint: `${origin}/oauth/device/code`,
    userinfo_endpoint: `${origin}/userinfo`,
    mfa_challenge_endpoint: `${origin}/mfa/challenge`,
    jwks_uri: `${origin}/.well-known/jwks.json`,
    registration_endpoint: `${origin}/oidc/register`,
    revocation_endpoint: `${origin}/oauth/revoke`,
    scopes_supported: ['openid', 'profile', 'offline_access', 'name', 'email', 'email_verified', 'nickname', 'picture'],
    response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token'],
    code_challenge_methods_supported: ['S256', 'plain'],
    subject_types_supported: ['public'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    id_token_signing_alg_values_supported: ['HS256', 'RS256', 'PS256'],
    end_session_endpoint: `${origin}/oidc/logout`,
  });
  auth0.json('/.well-known/jwks.json', {
    keys: [current, next].map((k) => ({ kty: 'RSA', use: 'sig', n: k.publicJwk.n, e: k.publicJwk.e, kid: k.kid, ...certificateMembers(), alg: 'RS256' })),
  });
});
afterAll(() => auth0.close());

/** An access token for the API; `claims` replace the defaults. */
function accessToken(claims: Record<string, unknown> = {}): string {
  const iat = now();
  return sign(key, { alg: 'RS256', typ: 'JWT', kid: key.kid }, {
    iss: issuer,
    sub: 'auth0|64f1c2a9e4b0c3d2e1f0a9b8',
    aud: [api, `${auth0.origin}/userinfo`],
    iat,
    exp: iat + 86_400,
    scope: 'openid profile email read:orders',
    azp: client,
    permissions: ['read:orders'],
    ...claims,
  });
}

/** A machine-to-machine (client credentials) token. */
function machineToken(): string {
  const iat = now();
  return sign(key, { alg: 'RS256', typ: 'JWT', kid: key.kid }, {
    iss: issuer,
    sub: `${client}@clients`,
    aud: api,
    iat,
    exp: iat + 86_400,
    scope: 'read:orders',
    gty: 'client-credentials',
    azp: client,
    permissions: ['read:orders'],
  });
}

function idToken(): string {
  const iat = now();
  return sign(key, { alg: 'RS256', typ: 'JWT', kid: key.kid }, {
    nickname: 'jane',
    name: 'jane@example.com',
    updated_at: '2025-01-01T00:00:00.000Z',
    email: 'jane@example.com',
    email_verified: true,
    iss: issuer,
    aud: client,
    sub: 'auth0|64f1c2a9e4b0c3d2e1f0a9b8',
    iat,
    exp: iat + 36_000,
    sid: 'm3hK8hKz0VTxQm',
    nonce: 'bXlOb25jZQ',
  });
}

describe.each(flavours)('Auth0 on $name', (flavour) => {
  let app: ReturnType<typeof providerApp>;
  beforeAll(() => {
    app = providerApp(flavour, createGuard(configs.auth0(auth0.origin)), 'read:orders');
  });

  it('accepts a user access token for the API (aud also names /userinfo)', async () => {
    expect(accepted(await call(app, '/api/read', accessToken()))).toMatchObject({ issuer, clientId: client, audience: [api, `${auth0.origin}/userinfo`] });
  });

  it('accepts a machine-to-machine token', async () => {
    expect(accepted(await call(app, '/api/read', machineToken()))).toMatchObject({ clientId: client, subject: `${client}@clients` });
  });

  it('RBAC: a right granted only in permissions counts, through scopeClaims', async () => {
    const auth = accepted(await call(app, '/api/read', accessToken({ scope: 'openid profile', permissions: ['read:orders', 'delete:orders'] })));
    expect(auth.scopes).toEqual(['openid', 'profile', 'read:orders', 'delete:orders']);
  });

  it('refuses the ID token, and a token for the Management API', async () => {
    refused(await call(app, '/api/me', idToken()), 'audience mismatch');
    refused(await call(app, '/api/me', accessToken({ aud: `${auth0.origin}/api/v2/` })), 'audience mismatch');
  });

  it('a guard configured without the trailing slash trusts no Auth0 token', async () => {
    const typo = providerApp(flavour, createGuard({ ...configs.auth0(auth0.origin), issuer: auth0.origin }), 'read:orders');
    refused(await call(typo, '/api/me', accessToken()), 'issuer not trusted');
  });
});
