/**
 * Amazon Cognito user pools, as AWS documents them: the issuer is
 * `https://cognito-idp.<region>.amazonaws.com/<poolId>`, metadata at
 * `<issuer>/.well-known/openid-configuration`, keys at `<issuer>/.well-known/jwks.json` (one
 * for ID tokens, one for access tokens). Access tokens carry no `aud`: only `client_id` and
 * `token_use: "access"`; ID tokens carry the client in `aud` and `token_use: "id"`.
 *
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
 * @see https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-verifying-a-jwt.html
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { configs, IDS } from './configs.js';
import { accepted, call, flavours, now, providerApp, refused, signingKey, sign, startProviderServer, type ProviderServer, type SigningKey } from './support.js';

const { pool, client, otherClient } = IDS.cognito;
let cognito: ProviderServer;
let accessKey: SigningKey;
let idKey: SigningKey;
let issuer: string;

beforeAll(async () => {
  cognito = await startProviderServer();
  [accessKey, idKey] = await Promise.all([signingKey('access-2sZ9aGH4jXo='), signingKey('id-tMq0WoL3Bq8=')]);
  issuer = `${cognito.origin}/${pool}`;
  const domain = 'https://example.auth.eu-west-1.amazoncognito.com';
  cognito.json(`/${pool}/.well-known/openid-configuration`, {
    authorization_endpoint: `${domain}/oauth2/authorize`,
    end_session_endpoint: `${domain}/logout`,
    id_token_signing_alg_values_supported: ['RS256'],
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: ['code', 'token'],
    revocation_endpoint: `${domain}/oauth2/revoke`,
    scopes_supported: ['openid', 'email', 'phone', 'profile'],
    subject_types_supported: ['public'],
    token_endpoint: `${domain}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    userinfo_endpoint: `${domain}/oauth2/userInfo`,
  });
  cognito.json(`/${pool}/.well-known/jwks.json`, {
    keys: [idKey, accessKey].map((k) => ({ alg: 'RS256', e: k.publicJwk.e, kid: k.kid, kty: 'RSA', n: k.publicJwk.n, use: 'sig' })),
  });
});
afterAll(() => cognito.close());

const user = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

/** A user's access token: no `aud`, the app client in `client_id`. */
function accessToken(claims: Record<string, unknown> = {}): string {
  const iat = now();
  return sign(accessKey, { kid: accessKey.kid, alg: 'RS256' }, {
    sub: user,
    'cognito:groups': ['admins'],
    iss: issuer,
    version: 2,
    client_id: client,
    origin_jti: randomUUID(),
    event_id: randomUUID(),
    token_use: 'access',
    scope: 'orders/read openid profile',
    auth_time: iat,
    exp: iat + 3600,
    iat,
    jti: randomUUID(),
    username: 'jane',
    ...claims,
  });
}

/** A client-credentials access token: `sub` is the client, resource-server scopes only. */
function machineToken(): string {
  const iat = now();
  return sign(accessKey, { kid: accessKey.kid, alg: 'RS256' }, {
    sub: client,
    token_use: 'access',
    scope: 'orders/read',
    auth_time: iat,
    iss: issuer,
    exp: iat + 3600,
    iat,
    version: 2,
    jti: randomUUID(),
    client_id: client,
  });
}

/** The ID token of the same login: the client in `aud`, `token_use: "id"`. */
function idToken(): string {
  const iat = now();
  return sign(idKey, { kid: idKey.kid, alg: 'RS256' }, {
    at_hash: 'xvwM0wfTNhc4QF0Ht5sR0g',
    sub: user,
    'cognito:groups': ['admins'],
    email_verified: true,
    iss: issuer,
    'cognito:username': 'jane',
    origin_jti: randomUUID(),
    aud: client,
    event_id: randomUUID(),
    token_use: 'id',
    auth_time: iat,
    exp: iat + 3600,
    iat,
    jti: randomUUID(),
    email: 'jane@example.com',
  });
}

describe.each(flavours)('Amazon Cognito on $name', (flavour) => {
  let app: ReturnType<typeof providerApp>;
  let jwksFetches: number;
  beforeAll(() => {
    jwksFetches = cognito.counts.get(`/${pool}/.well-known/jwks.json`);
    app = providerApp(flavour, createGuard(configs.cognito(cognito.origin)), 'orders/read');
  });

  it("accepts a user's access token, which has no aud, by its client_id", async () => {
    const auth = accepted(await call(app, '/api/read', accessToken()));
    expect(auth).toMatchObject({ issuer, clientId: client, subject: user, audience: [], scopes: ['orders/read', 'openid', 'profile'] });
  });

  it('accepts a client-credentials token', async () => {
    expect(accepted(await call(app, '/api/read', machineToken()))).toMatchObject({ clientId: client, subject: client });
  });

  it('refuses the ID token of the same login (token_use "id", the client only in aud)', async () => {
    refused(await call(app, '/api/me', idToken()), "token type 'id' (claim token_use) is not an access token");
  });

  it('refuses an access token issued to another app client of the pool', async () => {
    refused(await call(app, '/api/me', accessToken({ client_id: otherClient })), 'token issued to a client not accepted here');
  });

  it('refuses an access token of another user pool', async () => {
    refused(await call(app, '/api/me', accessToken({ iss: `${cognito.origin}/eu-west-1_Other0000` })), 'issuer not trusted');
  });

  it('finds the metadata where Cognito keeps it, and fetched the keys once for all these tokens', () => {
    expect(cognito.counts.get(`/${pool}/.well-known/openid-configuration`)).toBeGreaterThanOrEqual(1);
    expect(cognito.counts.get(`/${pool}/.well-known/jwks.json`) - jwksFetches).toBe(1);
  });
});
