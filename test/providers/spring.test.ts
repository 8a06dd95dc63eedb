/**
 * Spring Authorization Server, as its reference and `JwtGenerator` have it: metadata at
 * `/.well-known/oauth-authorization-server` and `/.well-known/openid-configuration`, keys at
 * `/oauth2/jwks` (Nimbus `RSAKey`s with a `kid` and no `alg` or `use`), introspection at
 * `/oauth2/introspect`. A self-contained access token carries `iss`, `sub`, `aud` = the
 * client id, `nbf`, `iat`, `exp`, `jti` and `scope` as a JSON array, and no `client_id`; an
 * ID token carries the same `aud` plus `azp`. So the guide has an `OAuth2TokenCustomizer`
 * put the API in `aud`, or uses reference (opaque) tokens, whose introspection answers name
 * `client_id`.
 *
 * @see https://docs.spring.io/spring-authorization-server/reference/core-model-components.html
 * @see https://docs.spring.io/spring-authorization-server/reference/guides/how-to-custom-claims-authorities.html
 */
import { randomUUID } from 'node:crypto';
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
  opaque,
  providerApp,
  refused,
  sign,
  signingKey,
  startProviderServer,
  type ProviderServer,
  type SigningKey,
} from './support.js';

const { audience, client, apiClient } = IDS.spring;
const apiSecret = 'orders-api-secret';
const env = { SPRING_CLIENT_SECRET: apiSecret };

let spring: ProviderServer;
let key: SigningKey;
const introspection = new Introspection();

beforeAll(async () => {
  spring = await startProviderServer();
  key = await signingKey(randomUUID());
  const o = spring.origin;
  const common = {
    issuer: o,
    authorization_endpoint: `${o}/oauth2/authorize`,
    device_authorization_endpoint: `${o}/oauth2/device_authorization`,
    token_endpoint: `${o}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth'],
    jwks_uri: `${o}/oauth2/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    revocation_endpoint: `${o}/oauth2/revoke`,
    introspection_endpoint: `${o}/oauth2/introspect`,
    code_challenge_methods_supported: ['S256'],
    tls_client_certificate_bound_access_tokens: true,
  };
  spring.json('/.well-known/oauth-authorization-server', common);
  spring.json('/.well-known/openid-configuration', {
    ...common,
    userinfo_endpoint: `${o}/userinfo`,
    end_session_endpoint: `${o}/connect/logout`,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid'],
  });
  // Nimbus RSAKey.Builder(publicKey).keyID(…): kty, e, kid, n; no alg, no use.
  spring.json('/oauth2/jwks', { keys: [{ kty: 'RSA', e: key.publicJwk.e, kid: key.kid, n: key.publicJwk.n }] });
  spring.post('/oauth2/introspect', introspection.endpoint(basicAuth(apiClient, apiSecret)));
});
afterAll(() => spring.close());

/** A self-contained access token; `aud` is the client unless a customizer set the API. */
function accessToken(aud: string = audience): string {
  const iat = now();
  return sign(key, { kid: key.kid, alg: 'RS256' }, {
    sub: 'user1',
    aud: [aud],
    nbf: iat,
    scope: ['message.read', 'message.write'],
    iss: spring.origin,
    exp: iat + 300,
    iat,
    jti: randomUUID(),
  });
}

function idToken(): string {
  const iat = now();
  return sign(key, { kid: key.kid, alg: 'RS256' }, {
    sub: 'user1',
    aud: [client],
    azp: client,
    auth_time: iat - 5,
    iss: spring.origin,
    exp: iat + 1800,
    iat,
    jti: randomUUID(),
    nonce: 'n-0S6_WzA2Mj',
    sid: 'kB0xTr0y2bPzjU5oMTeyhkWvaR4',
  });
}

/** A reference token: 96 random bytes, base64url; introspection names its client. */
function referenceToken(clientId: string = client): string {
  const iat = now();
  return introspection.issue(opaque() + opaque() + opaque(), {
    sub: 'user1',
    aud: [clientId],
    nbf: iat,
    scope: 'message.read message.write',
    iss: spring.origin,
    exp: iat + 300,
    iat,
    jti: randomUUID(),
    client_id: clientId,
    token_type: 'Bearer',
  });
}

describe.each(flavours)('Spring Authorization Server on $name', (flavour) => {
  describe('self-contained tokens, the API added to aud by a customizer', () => {
    let app: ReturnType<typeof providerApp>;
    beforeAll(() => {
      app = providerApp(flavour, createGuard(configs.spring(spring.origin)), 'message.read');
    });

    it('accepts the access token: a key without alg, scopes from the scope array', async () => {
      expect(accepted(await call(app, '/api/read', accessToken()))).toMatchObject({ audience: [audience], scopes: ['message.read', 'message.write'], subject: 'user1' });
    });

    it('refuses a token without the customizer (aud is the client), and the ID token', async () => {
      refused(await call(app, '/api/me', accessToken(client)), 'audience mismatch');
      refused(await call(app, '/api/me', idToken()), 'audience mismatch');
    });
  });

  describe('reference tokens, decided by introspection', () => {
    let app: ReturnType<typeof providerApp>;
    beforeAll(() => {
      app = providerApp(flavour, createGuard(configs.springReference(spring.origin, env)), 'message.read');
    });

    it('accepts a reference token whose introspection names a listed client', async () => {
      expect(accepted(await call(app, '/api/read', referenceToken()))).toMatchObject({ tokenType: 'opaque', clientId: client, scopes: ['message.read', 'message.write'] });
    });

    it("refuses another client's reference token", async () => {
      refused(await call(app, '/api/me', referenceToken('other-client')), 'token issued to a client not accepted here');
    });

    it('refuses the ID token (azp is the client, and so is aud), and a self-contained token (no client_id)', async () => {
      refused(await call(app, '/api/me', idToken()), 'an ID token (its aud is its own client), not an access token');
      refused(await call(app, '/api/me', accessToken(client)), 'token names no client (client_id, azp or cid)');
    });
  });
});
