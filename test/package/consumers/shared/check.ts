/**
 * What every TypeScript consumer project runs, whatever its module settings: a guarded
 * Express app on 127.0.0.1 (no authorization server needed: HS256 tokens with a shared
 * secret), three requests, and what came back, as JSON on standard output. It imports all
 * three entry points, and refers to their types, so the project's type-check covers them.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { ErrorRequestHandler, Express } from 'express';
import { createGuard, oauthErrorHandler, OAuthError, type AuthInfo, type GuardHealth } from 'resource-guard';
import { standardWebhook, type WebhookMiddleware } from 'resource-guard/webhooks';
import { redisStore } from 'resource-guard/redis';
import { audience, hmacSecret, hs256, issuer } from './token.js';

export async function serve(app: Express): Promise<Record<string, unknown>> {
  const guard = createGuard({ issuer, audience, hmacSecret, algorithms: ['HS256'] });
  const webhook: WebhookMiddleware = standardWebhook({ secret: `whsec_${Buffer.from('a webhook secret of 24+ b').toString('base64')}` });
  const health: GuardHealth = guard.health();

  app.get('/.well-known/oauth-protected-resource', guard.metadata());
  app.post('/hooks', webhook, (_req, res) => {
    res.sendStatus(204);
  });
  app.get('/api/messages', guard.requireScopes('messages:read'), (req, res) => {
    const auth: AuthInfo | undefined = req.auth;
    // req.auth serialises without its token (it stays readable as req.auth.token).
    const serialised = JSON.parse(JSON.stringify(auth)) as Record<string, unknown>;
    res.json({ subject: auth?.subject, scopes: auth?.scopes, tokenSerialised: 'token' in serialised, tokenReadable: typeof auth?.token });
  });
  const refusals: unknown[] = [];
  const record: ErrorRequestHandler = (err, _req, _res, next) => {
    refusals.push(err);
    next(err);
  };
  app.use(record);
  app.use(oauthErrorHandler());

  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = (token?: string) =>
    fetch(`${base}/api/messages`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  try {
    const anonymous = await get();
    const accepted = await get(hs256({ sub: 'user-1', scope: 'messages:read' }));
    const forbidden = await get(hs256({ sub: 'user-1', scope: 'other' }));
    return {
      anonymous: { status: anonymous.status, challenge: anonymous.headers.get('www-authenticate')?.split(' ')[0] },
      accepted: { status: accepted.status, body: await accepted.json() },
      forbidden: { status: forbidden.status, body: await forbidden.json() },
      refusalsAreOAuthErrors: refusals.length === 2 && refusals.every((err) => err instanceof OAuthError),
      healthStatus: health.status,
      redisStore: typeof redisStore,
    };
  } finally {
    server.close();
  }
}
