/**
 * node `oidc-provider`, the real server (the example app's, on 127.0.0.1): JWT access tokens
 * (RFC 9068, `typ: at+jwt`) for the resource a client names with a resource indicator
 * (RFC 8707), opaque tokens for others, RFC 7662 introspection for the resource server's
 * client, and ID tokens whose `aud` is the client.
 *
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#featuresresourceindicators
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type AuthorizationServer } from '../../example-app/authorization-server.js';
import { createGuard } from '../../src/index.js';
import { configs, IDS } from './configs.js';
import { accepted, call, flavours, providerApp, refused } from './support.js';

let as: AuthorizationServer;
beforeAll(async () => {
  as = await startAuthorizationServer({ apiResource: IDS.oidcProvider.audience });
});
afterAll(() => as.close());

const env = { INTROSPECTION_CLIENT_SECRET: 'resource-server-secret' };

describe.each(flavours)('node oidc-provider on $name', (flavour) => {
  let app: ReturnType<typeof providerApp>;
  beforeAll(() => {
    app = providerApp(flavour, createGuard(configs.oidcProvider(as.issuer, env)), 'messages:read');
  });

  it('accepts a client-credentials JWT access token for the resource (typ at+jwt)', async () => {
    const { access_token: token } = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.apiResource });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({ typ: 'at+jwt' });
    expect(accepted(await call(app, '/api/read', token))).toMatchObject({ tokenType: 'jwt', issuer: as.issuer, audience: [as.apiResource], clientId: 'api-client' });
  });

  it("accepts a user's access token from the code flow, and refuses the ID token issued with it", async () => {
    const { access_token: token, id_token: idToken } = await as.authorizationCodeToken({ scope: 'openid messages:read', resource: as.apiResource });
    expect(accepted(await call(app, '/api/read', token))).toMatchObject({ subject: 'user-1' });
    expect(idToken).toBeTypeOf('string');
    refused(await call(app, '/api/me', idToken!), 'audience mismatch');
  });

  it('refuses an opaque token minted for another resource, after introspection', async () => {
    const { access_token: token } = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.opaqueResource });
    expect(token.split('.')).toHaveLength(1);
    refused(await call(app, '/api/me', token), 'audience mismatch');
  });
});
