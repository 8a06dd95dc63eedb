// Plain JavaScript, CommonJS, no TypeScript: require() on Node >= 20.19, which loads the
// package's ESM build. require() and import() must give the very same module, so one
// OAuthError class: an error thrown through one passes `instanceof` against the other.
'use strict';
const { createHmac } = require('node:crypto');
const { once } = require('node:events');
const express = require('express');
const required = require('resource-guard');
const { standardWebhook } = require('resource-guard/webhooks');
const { redisStore } = require('resource-guard/redis');

const issuer = 'https://auth.example.com';
const audience = 'https://api.example.com';
const hmacSecret = 'a consumer project secret of 32+ bytes';

function hs256(claims) {
  const now = Math.floor(Date.now() / 1000);
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'HS256' })}.${part({ iss: issuer, aud: audience, iat: now, exp: now + 300, ...claims })}`;
  return `${input}.${createHmac('sha256', hmacSecret).update(input).digest('base64url')}`;
}

async function main() {
  const imported = await import('resource-guard');
  const guard = required.createGuard({ issuer, audience, hmacSecret, algorithms: ['HS256'] });
  const refusal = await guard.verify('not-a-token').catch((err) => err);

  const app = express();
  app.get('/api', guard.requireScopes('messages:read'), (req, res) => res.json({ subject: req.auth.subject }));
  app.use(required.oauthErrorHandler());
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${server.address().port}/api`;
  try {
    const anonymous = await fetch(url);
    const accepted = await fetch(url, { headers: { authorization: `Bearer ${hs256({ sub: 'user-1', scope: 'messages:read' })}` } });
    console.log(
      JSON.stringify({
        sameModule: imported.createGuard === required.createGuard && imported.OAuthError === required.OAuthError,
        instanceofAcross: refusal instanceof imported.OAuthError && refusal instanceof required.OAuthError,
        webhooks: typeof standardWebhook,
        redis: typeof redisStore,
        anonymous: anonymous.status,
        accepted: { status: accepted.status, body: await accepted.json() },
      }),
    );
  } finally {
    server.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
