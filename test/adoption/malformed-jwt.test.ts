/**
 * A token that looks like a JWT but is not one (cut short, two parts, `Bearer ` pasted in
 * front, white space, a header without `alg`) is refused as "malformed JWT: …", not as "opaque
 * tokens need introspection"; with introspection on it is still introspected (DESIGN: anything
 * that is not a three-part JWS is opaque). Real opaque tokens and JWEs keep their own words.
 */
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, OAuthError } from '../../src/index.js';
import { reasonOf } from '../../src/auth/reasons.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { expectFailure, flavours } from '../support/guard-app.js';

const audience = 'https://api.example.com';
const client = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

let as: FaultServer;
let jwt: string;
beforeAll(async () => {
  as = await startFaultServer();
  jwt = as.mintJwt({ claims: { scope: 'messages:read' } });
});
afterAll(() => as.close());

const parts = () => jwt.split('.') as [string, string, string];

/** Each mistake, the token it makes, and the start of the description it must get. */
const MALFORMED: Array<{ name: string; token: () => string; description: RegExp }> = [
  { name: 'cut short inside the payload', token: () => jwt.slice(0, parts()[0].length + 1 + 20), description: /^malformed JWT: 2 parts, a JWT has 3 \(cut short\?\)$/ },
  { name: 'two parts (signature lost)', token: () => parts().slice(0, 2).join('.'), description: /^malformed JWT: 2 parts, a JWT has 3/ },
  { name: 'one part (the header alone)', token: () => parts()[0], description: /^malformed JWT: 1 part, a JWT has 3/ },
  { name: 'four parts', token: () => `${jwt}.x`, description: /^malformed JWT: 4 parts, a JWT has 3/ },
  { name: 'three parts, payload cut short', token: () => `${parts()[0]}.${parts()[1].slice(0, 13)}.${parts()[2]}`, description: /^malformed JWT: its payload is not base64url-encoded JSON/ },
  { name: 'a header without alg', token: () => `${b64({ typ: 'JWT' })}.${parts()[1]}.${parts()[2]}`, description: /^malformed JWT: its header names no 'alg'$/ },
  { name: '"Bearer " pasted in front', token: () => `Bearer ${jwt}`, description: /^malformed JWT: it starts with 'Bearer '; the token is what follows$/ },
  { name: 'a line break inside', token: () => `${jwt.slice(0, 40)}\n${jwt.slice(40)}`, description: /^malformed JWT: it contains white space$/ },
];

describe('without introspection: the refusal says what is wrong with the JWT', () => {
  const guard = () => createGuard({ issuer: as.issuer, audience });

  it.each(MALFORMED)('$name', async ({ token, description }) => {
    const err = await guard().verify(token()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    expect((err as OAuthError).status).toBe(401);
    expect((err as OAuthError).code).toBe('invalid_token');
    expect((err as OAuthError).description).toMatch(description);
    expect(reasonOf(err)).toBe('malformed');
  });

  it('what does not look like a JWT keeps its words: opaque tokens, JWEs, a hostile header', async () => {
    const refusal = (token: string) => guard().verify(token).catch((e: unknown) => (e as OAuthError).description);
    expect(await refusal('2YotnFZFEjr1zCsicMWpAA')).toBe('opaque tokens need introspection, which is not configured');
    expect(await refusal('eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d')).toBe('encrypted tokens (JWE) need introspection, which is not configured');
    expect(await refusal('Bearer 2YotnFZFEjr1zCsicMWpAA')).toBe('opaque tokens need introspection, which is not configured');
    // A header part that is not JSON is named as such; nothing of it is echoed back.
    const hostile = `eyJ${'<script>'.repeat(4)}.${parts()[1]}.${parts()[2]}`;
    const description = await refusal(hostile);
    expect(description).toBe('malformed JWT: its header is not base64url-encoded JSON');
  });
});

describe('with introspection on: still introspected, as DESIGN routes it', () => {
  it.each(MALFORMED)('$name: one introspection call, and its answer decides', async ({ token }) => {
    const guard = createGuard({ issuer: as.issuer, audience, introspection: client });
    as.resetCounts();
    const err = await guard.verify(token()).catch((e: unknown) => e as OAuthError);
    expect(as.count('introspection')).toBe(1);
    expect(err).toMatchObject({ status: 401, code: 'invalid_token', description: 'token is not active' });
  });
});

describe.each(flavours)('$name: over HTTP', (flavour) => {
  it('a JWT cut short is 401 invalid_token "malformed JWT: …" in the challenge', async () => {
    const app = flavour.create();
    app.get('/api', createGuard({ issuer: as.issuer, audience }).authenticate(), (_req, res) => res.end());
    const res = await supertest(app).get('/api').set('Authorization', `Bearer ${parts().slice(0, 2).join('.')}`);
    expectFailure(res, 401, 'invalid_token', /^malformed JWT: 2 parts, a JWT has 3/);
  });

  it('the scheme twice (Authorization: Bearer Bearer …) is 400 invalid_request that says so', async () => {
    const app = flavour.create();
    app.get('/api', createGuard({ issuer: as.issuer, audience }).authenticate(), (_req, res) => res.end());
    const res = await supertest(app).get('/api').set('Authorization', `Bearer Bearer ${jwt}`);
    expectFailure(res, 400, 'invalid_request', /^malformed bearer token: the scheme appears twice$/);
  });
});
