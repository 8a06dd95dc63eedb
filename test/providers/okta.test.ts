/**
 * Okta, as its developer documentation has it. A custom authorization server (the `default`
 * one, or `/oauth2/<id>`) is the issuer `https://<org>.okta.com/oauth2/default`, with its
 * metadata appended to that path and keys at `<issuer>/v1/keys`; its access tokens carry
 * `aud: "api://default"`, the client in `cid` and scopes in an `scp` array. The org
 * authorization server (`https://<org>.okta.com`) also issues JWT access tokens, but signs
 * them with keys it does not publish: "you can't validate them locally", only its
 * introspection endpoint can decide them.
 *
 * @see https://developer.okta.com/docs/guides/validate-access-tokens/
 * @see https://developer.okta.com/docs/concepts/auth-servers/
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { configs, IDS } from './configs.js';
import {
  accepted,
  basicAuth,
  call,
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

const { audience, client } = IDS.okta;
const clientSecret = 'okta-client-secret';
const env = { OKTA_CLIENT_SECRET: clientSecret };

let okta: ProviderServer;
let customKey: SigningKey;
let orgIdKey: SigningKey;
/** The org server's access-token key: never in any JWKS. */
let orgAccessKey: SigningKey;
let customIssuer: string;
const orgIntrospection = new Introspection();

/** The metadata members both kinds of server publish, for `issuer` with endpoints under `base`. */
function metadata(issuer: string, base: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${base}/v1/authorize`,
    token_endpoint: `${base}/v1/token`,
    jwks_uri: `${base}/v1/keys`,
    introspection_endpoint: `${base}/v1/introspect`,
    revocation_endpoint: `${base}/v1/revoke`,
    end_session_endpoint: `${base}/v1/logout`,
    response_types_supported: ['code', 'id_token', 'code id_token', 'code token', 'id_token token', 'code id_token token'],
    grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'password', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
    code_challenge_methods_supported: ['S256'],
  };
}

beforeAll(async () => {
  okta = await startProviderServer();
  [customKey, orgIdKey, orgAccessKey] = await Promise.all([
    signingKey('Vx3OemQ8dIlbP3Q9Ea5bXZp0uSr0xJ5rE8v0'),
    signingKey('7XfhXaA0PLqL3r1x0cN1Rm8Wv2v7a3uM6ttD'),
    signingKey('jNdKfX0Wm3oZr8Xq1Tc5bPu2Hs6Ly9Ea4Vi7'),
  ]);
  customIssuer = `${okta.origin}/oauth2/${IDS.okta.server}`;
  const jwk = (k: SigningKey) => ({ kty: 'RSA', alg: 'RS256', kid: k.kid, use: 'sig', e: k.publicJwk.e, n: k.publicJwk.n });
  // The custom authorization server: metadata appended to its path.
  for (const suffix of ['oauth-authorization-server', 'openid-configuration']) {
    okta.json(`/oauth2/${IDS.okta.server}/.well-known/${suffix}`, { ...metadata(customIssuer, customIssuer), scopes_supported: ['openid', 'profile', 'orders:read'] });
    okta.json(`/.well-known/${suffix}`, metadata(okta.origin, `${okta.origin}/oauth2`));
  }
  okta.json(`/oauth2/${IDS.okta.server}/v1/keys`, { keys: [jwk(customKey)] });
  okta.json('/oauth2/v1/keys', { keys: [jwk(orgIdKey)] });
  okta.post('/oauth2/v1/introspect', orgIntrospection.endpoint(basicAuth(client, clientSecret)));
});
afterAll(() => okta.close());

const uid = '00uid4BxXw6I6TV4m0g3';

function customToken(claims: Record<string, unknown> = {}): string {
  const iat = now();
  return sign(customKey, { kid: customKey.kid, alg: 'RS256' }, {
    ver: 1,
    jti: `AT.${randomBytes(24).toString('base64url')}`,
    iss: customIssuer,
    aud: audience,
    iat,
    exp: iat + 3600,
    cid: client,
    uid,
    scp: ['openid', 'orders:read'],
    auth_time: iat - 10,
    sub: 'jane@example.com',
    ...claims,
  });
}

function customIdToken(): string {
  const iat = now();
  return sign(customKey, { kid: customKey.kid, alg: 'RS256' }, {
    sub: uid,
    ver: 1,
    iss: customIssuer,
    aud: client,
    iat,
    exp: iat + 3600,
    jti: `ID.${randomBytes(24).toString('base64url')}`,
    amr: ['pwd'],
    idp: '00o1example',
    nonce: 'n-0S6_WzA2Mj',
    auth_time: iat - 10,
    at_hash: 'k3mBk3J1r4uG5uG2Vk3a0Q',
  });
}

/** An org authorization server access token, known to its introspection endpoint. */
function orgToken(): string {
  const iat = now();
  const claims = {
    ver: 1,
    jti: `AT.${randomBytes(24).toString('base64url')}`,
    iss: okta.origin,
    aud: okta.origin,
    iat,
    exp: iat + 3600,
    cid: client,
    uid,
    scp: ['okta.users.read.self'],
    sub: 'jane@example.com',
  };
  const token = sign(orgAccessKey, { kid: orgAccessKey.kid, alg: 'RS256' }, claims);
  return orgIntrospection.issue(token, {
    token_type: 'Bearer',
    scope: 'okta.users.read.self',
    client_id: client,
    username: 'jane@example.com',
    exp: claims.exp,
    iat,
    sub: claims.sub,
    aud: okta.origin,
    iss: okta.origin,
    jti: claims.jti,
    uid,
  });
}

describe.each(flavours)('Okta on $name', (flavour) => {
  describe('a custom authorization server', () => {
    let app: ReturnType<typeof providerApp>;
    beforeAll(() => {
      app = providerApp(flavour, createGuard(configs.oktaCustom(okta.origin)), 'orders:read');
    });

    it('accepts its access token: aud api://default, scopes from the scp array, the client from cid', async () => {
      expect(accepted(await call(app, '/api/read', customToken()))).toMatchObject({
        issuer: customIssuer,
        audience: [audience],
        clientId: client,
        scopes: ['openid', 'orders:read'],
      });
    });

    it('refuses its ID token and an org authorization server token', async () => {
      refused(await call(app, '/api/me', customIdToken()), 'audience mismatch');
      refused(await call(app, '/api/me', orgToken()), 'issuer not trusted');
    });
  });

  describe('the org authorization server', () => {
    let app: ReturnType<typeof providerApp>;
    beforeAll(() => {
      app = providerApp(flavour, createGuard(configs.oktaOrg(okta.origin, env)), 'okta.users.read.self');
    });

    it('decides its JWT access tokens by introspection: the key is not published', async () => {
      const before = okta.counts.get('/oauth2/v1/introspect');
      expect(accepted(await call(app, '/api/read', orgToken()))).toMatchObject({ tokenType: 'opaque', issuer: okta.origin, clientId: client, scopes: ['okta.users.read.self'] });
      expect(okta.counts.get('/oauth2/v1/introspect') - before).toBe(1);
    });

    it('refuses a revoked token, and a token it never issued', async () => {
      const token = orgToken();
      orgIntrospection.revoke(token);
      refused(await call(app, '/api/me', token), 'token is not active');
      refused(await call(app, '/api/me', sign(orgAccessKey, { kid: orgAccessKey.kid, alg: 'RS256' }, { iss: okta.origin, aud: okta.origin, exp: now() + 60 })), 'token is not active');
    });
  });
});
