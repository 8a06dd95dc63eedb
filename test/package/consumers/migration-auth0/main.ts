// A migration from express-oauth2-jwt-bearer: old routes keep its `auth()`, new ones use
// resource-guard, in one program. `resource-guard/no-augmentation` leaves the global
// `req.auth` type to express-oauth2-jwt-bearer; resource-guard's routes read theirs through
// guard.handler() (or AuthenticatedRequest).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { createGuard, oauthErrorHandler, type AuthenticatedRequest } from 'resource-guard/no-augmentation';
import { audience, hmacSecret, hs256, issuer } from './token.js';

const app = express();
const guard = createGuard({ issuer, audience, hmacSecret, algorithms: ['HS256'] });

// Old route: express-oauth2-jwt-bearer's own req.auth type (payload, header, token).
app.get('/old', auth({ issuerBaseURL: issuer, audience }), (req, res) => {
  res.json({ sub: req.auth?.payload.sub });
});
// New route: resource-guard's AuthInfo, typed by guard.handler().
app.get(
  '/new',
  guard.requireScopes('messages:read'),
  guard.handler((req, res) => {
    res.json({ subject: req.auth.subject, scopes: req.auth.scopes });
  }),
);
// Or a handler typed by hand.
function whoAmI(req: AuthenticatedRequest, res: express.Response) {
  res.json({ clientId: req.auth.clientId ?? null });
}
app.get('/whoami', guard.authenticate(), guard.handler(whoAmI));
app.use(oauthErrorHandler());
// express-oauth2-jwt-bearer's refusals are its own errors, with a status.
app.use(((err, _req, res, _next) => {
  res.status((err as { status?: number }).status ?? 500).end();
}) as express.ErrorRequestHandler);

const server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const token = hs256({ sub: 'user-1', scope: 'messages:read' });
const old = await fetch(`${base}/old`);
const fresh = await fetch(`${base}/new`, { headers: { authorization: `Bearer ${token}` } });
console.log(JSON.stringify({ old: old.status, new: { status: fresh.status, body: await fresh.json() } }));
server.close();
