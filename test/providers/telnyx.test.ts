/**
 * Telnyx, from its documented endpoints (API base `https://api.telnyx.com/v2`): the
 * well-known documents live under `/v2`, keys at `/v2/oauth/jwks`, introspection at
 * `/v2/oauth/introspect` taking JSON with `Authorization: Bearer <API key>`. Its examples
 * show HS256 access tokens, which only introspection can decide without the shared secret.
 *
 * @see https://developers.telnyx.com/api-reference/oauth-protocol/token-introspection
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { startTelnyxServer, type TelnyxServer } from '../support/telnyx-server.js';
import { configs } from './configs.js';
import { accepted, call, flavours, providerApp, refused } from './support.js';

let telnyx: TelnyxServer;
beforeAll(async () => {
  telnyx = await startTelnyxServer();
});
afterAll(() => telnyx.close());

describe.each(flavours)('Telnyx on $name', (flavour) => {
  let app: ReturnType<typeof providerApp>;
  beforeAll(() => {
    app = providerApp(flavour, createGuard(configs.telnyx(telnyx.url, { TELNYX_API_KEY: telnyx.apiKey })), 'messages:read');
  });

  it('accepts an RS256 access token, verified with its JWKS', async () => {
    expect(accepted(await call(app, '/api/read', telnyx.mintJwt()))).toMatchObject({ tokenType: 'jwt', issuer: telnyx.issuer });
  });

  it('accepts an HS256 access token and an opaque one through introspection (JSON, API key)', async () => {
    const before = telnyx.counts.get('/v2/oauth/introspect');
    expect(accepted(await call(app, '/api/read', telnyx.mintJwt({ alg: 'HS256' })))).toMatchObject({ tokenType: 'opaque' });
    expect(accepted(await call(app, '/api/read', telnyx.mintOpaque()))).toMatchObject({ tokenType: 'opaque' });
    expect(telnyx.counts.get('/v2/oauth/introspect') - before).toBe(2);
  });

  it('refuses a token for another API, and a revoked opaque token', async () => {
    refused(await call(app, '/api/me', telnyx.mintJwt({ claims: { aud: 'https://billing.example.com' } })), 'audience mismatch');
    const revoked = telnyx.mintOpaque();
    telnyx.revoke(revoked);
    refused(await call(app, '/api/me', revoked), 'token is not active');
  });
});
