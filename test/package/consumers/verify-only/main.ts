// No Express and no @types/express: a plain node:http server that only calls guard.verify().
// (`skipLibCheck: true`, as `tsc --init` writes it: the middleware types name Express's.)
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGuard, OAuthError, type AuthInfo } from 'resource-guard';
import { audience, hmacSecret, hs256, issuer } from './token.js';

const guard = createGuard({ issuer, audience, hmacSecret, algorithms: ['HS256'] });

const server = createServer((req, res) => {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  guard.verify(token).then(
    (auth: AuthInfo) => res.end(JSON.stringify({ subject: auth.subject, scopes: auth.scopes })),
    (err: unknown) => {
      if (!(err instanceof OAuthError)) throw err;
      res.writeHead(err.status, err.headers).end(JSON.stringify({ error: err.code }));
    },
  );
});

/** Never called: the types of verify() are real ones, not `any`. */
export function typesAreReal(auth: AuthInfo, err: OAuthError): void {
  // @ts-expect-error scopes are strings
  const wrong: number[] = auth.scopes;
  // @ts-expect-error status is a number
  const status: string = err.status;
  void [wrong, status];
}

server.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
const anonymous = await fetch(url);
const accepted = await fetch(url, { headers: { authorization: `Bearer ${hs256({ sub: 'user-1', scope: 'messages:read' })}` } });
console.log(JSON.stringify({ anonymous: anonymous.status, accepted: { status: accepted.status, body: await accepted.json() } }));
server.close();
