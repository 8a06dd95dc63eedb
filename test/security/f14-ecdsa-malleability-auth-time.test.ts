/**
 * Finding 14 (issue 17), two parts.
 *
 * ECDSA signatures are malleable: replacing `s` with `n − s` gives a second valid spelling of
 * every ES256/384/512 token, with another SHA-256, so every cache keyed by the token's hash
 * saw two tokens (two verifications, two introspection calls, two shared-store entries). The
 * guard now keys them all by the low-`s` spelling, so the twin of a token is the same token,
 * and while that token is remembered only the spelling it was accepted with passes: the twin
 * is refused. Refusing every high `s` instead would refuse about half the tokens of common
 * signers (OpenSSL, WebCrypto): the test signs with node:crypto, as they do, and either
 * spelling, seen first, passes.
 *
 * DPoP proofs are ECDSA-signed too: their twin carries the same `jti`, so the replay set
 * (keyed by the key's thumbprint and `jti`) refuses it once the proof is spent.
 *
 * RFC 9470 step-up took an `auth_time` in the future for a fresh login: now
 * `auth_time > now + clockTolerance` is 401 `insufficient_user_authentication`.
 */
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, memoryStore, type AuthInfo, type GuardOptions } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { recordEvents } from '../support/events.js';
import { generateSigningKey, type SigningKey } from '../support/keys.js';
import { bearerParams, expectOk, now, request } from '../authorization/helpers.js';
import { dataApp, withVisibleToken } from './data-app.js';
import { challengesOf, dpopKey, proof } from '../dpop/support.js';

const audience = 'https://api.example.com';
const introspection = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };
const ORDERS = {
  ES256: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  ES384: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  ES512: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
} as const;
type EcAlg = keyof typeof ORDERS;

let as: FaultServer;
let unpublished: SigningKey;
beforeAll(async () => {
  [as, unpublished] = await Promise.all([
    startFaultServer({ audience, keyAlgs: ['ES256', 'ES384', 'ES512', 'RS256'] }),
    generateSigningKey('ES256', 'unpublished-es256'),
  ]);
});
afterAll(() => as.close());

/** `token` with `s` replaced by `n − s`: the other valid spelling of its signature. */
function twin(token: string, alg: EcAlg): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  const half = bytes.length / 2;
  const s = BigInt(`0x${bytes.subarray(half).toString('hex')}`);
  const other = Buffer.from((ORDERS[alg] - s).toString(16).padStart(half * 2, '0'), 'hex');
  return `${header}.${payload}.${Buffer.concat([bytes.subarray(0, half), other]).toString('base64url')}`;
}

function isHighS(token: string, alg: EcAlg): boolean {
  const bytes = Buffer.from(token.split('.')[2]!, 'base64url');
  return BigInt(`0x${bytes.subarray(bytes.length / 2).toString('hex')}`) > ORDERS[alg] / 2n;
}

/** A token minted until its signature has a high (or low) `s`, as a signer happens to produce. */
function mintWith(high: boolean, mint: () => string, alg: EcAlg): string {
  for (;;) {
    const token = mint();
    if (isHighS(token, alg) === high) return token;
  }
}

function appFor(flavour: (typeof flavours)[number], options: Partial<GuardOptions> = {}): Express {
  const guard = createGuard({ issuer: as.issuer, audience, ...options });
  return dataApp(flavour, guard, (app) => {
    app.get('/api/transfer', guard.requireAuthLevel({ maxAge: 300 }), (req, res) => {
      res.json(withVisibleToken(req.auth));
    });
  });
}

describe.each(flavours)('$name', (flavour) => {
  describe.each(['ES256', 'ES384', 'ES512'] as const)('%s', (alg) => {
    it.each([
      ['a high-s token', true],
      ['a low-s token', false],
    ])('%s and its n − s twin are one token: the spelling seen first passes, the twin is refused', async (_name, high) => {
      const app = appFor(flavour);
      const token = mintWith(high, () => as.mintJwt({ alg }), alg);
      const other = twin(token, alg);
      expect(other).not.toBe(token);
      const events = recordEvents();
      try {
        expect(expectOk<AuthInfo>(await request(app, '/api/data', token)).token).toBe(token);
        const refused = await request(app, '/api/data', other);
        expect(refused.status).toBe(401);
        expect(bearerParams(refused)).toMatchObject({ error: 'invalid_token', error_description: 'invalid signature: another spelling of a token in use' });
        // Not a remembered refusal: the spelling accepted first still passes, from the cache.
        expect(expectOk<AuthInfo>(await request(app, '/api/data', token)).token).toBe(token);
        expect(events.of('resource-guard:token:accepted').map((e) => e.cached)).toEqual([false, true]);
        expect(events.of('resource-guard:token:rejected').map((e) => e.reason)).toEqual(['signature']);
      } finally {
        events.stop();
      }
    });

    it.each([
      ['a high-s token', true],
      ['a low-s token', false],
    ])('%s: its twin, seen first by a guard, passes there, and then the token itself is refused', async (_name, high) => {
      const app = appFor(flavour);
      const token = mintWith(high, () => as.mintJwt({ alg }), alg);
      const other = twin(token, alg);
      expect(expectOk<AuthInfo>(await request(app, '/api/data', other)).token).toBe(other);
      expect((await request(app, '/api/data', token)).status).toBe(401);
    });

    it('a forged token and its twin are refused alike', async () => {
      const app = appFor(flavour);
      const forged = as.mintJwt({ alg, claims: { scope: 'admin' } }).replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ iss: as.issuer, aud: audience, exp: now() + 60, scope: 'admin' })).toString('base64url')}.`);
      for (const token of [forged, twin(forged, alg)]) {
        const res = await request(app, '/api/data', token);
        expect(res.status).toBe(401);
        expect(bearerParams(res).error_description).toBe('invalid signature');
      }
    });
  });

  it('introspection: the twin of an undecidable ES256 JWT is decided by the same answer (one call) and refused', async () => {
    const app = appFor(flavour, { introspection });
    const token = as.mintJwt({ alg: 'ES256', key: unpublished, kid: unpublished.kid });
    as.resetCounts();
    expect(expectOk<AuthInfo>(await request(app, '/api/data', token)).token).toBe(token);
    const refused = await request(app, '/api/data', twin(token, 'ES256'));
    expect(refused.status).toBe(401);
    expect(bearerParams(refused).error_description).toBe('invalid signature: another spelling of a token in use');
    expect(as.count('introspection')).toBe(1);
  });

  it('a shared store: one entry for both spellings (each instance remembers the spelling it saw)', async () => {
    const store = memoryStore();
    const first = appFor(flavour, { introspection, store });
    const second = appFor(flavour, { introspection, store });
    const token = as.mintJwt({ alg: 'ES256', key: unpublished, kid: unpublished.kid });
    as.resetCounts();
    expectOk(await request(first, '/api/data', token));
    expectOk(await request(second, '/api/data', twin(token, 'ES256')));
    expect(as.count('introspection')).toBe(1);
    expect(store.size).toBe(1);
  });

  it('DPoP: the n − s twin of a spent proof is a replay (the replay set keys by jkt and jti, not the spelling)', async () => {
    const key = await dpopKey('ES256');
    const app = appFor(flavour, { publicBaseUrl: 'https://api.example.com' });
    const token = as.mintJwt({ claims: { cnf: { jkt: key.jkt } } });
    const dpop = await proof(key, { htm: 'GET', htu: 'https://api.example.com/api/data', token });
    const send = (value: string) => request(app, '/api/data').set('Authorization', `DPoP ${token}`).set('DPoP', value);
    expectOk(await send(dpop));
    const res = await send(twin(dpop, 'ES256'));
    expect(res.status).toBe(401);
    expect(challengesOf(res).at(-1)!.params).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.stringMatching(/replay/) });
  });

  describe('RFC 9470 auth_time', () => {
    it.each([
      ['an hour in the future', 3600, 401],
      ['beyond clockTolerance', 30, 401],
      ['within clockTolerance', 3, 200],
      ['a minute ago', -60, 200],
    ])('auth_time %s', async (_name, offset, status) => {
      const app = appFor(flavour);
      const res = await request(app, '/api/transfer', as.mintJwt({ claims: { auth_time: now() + offset } }));
      expect(res.status).toBe(status);
      if (status === 401) {
        expect(bearerParams(res)).toMatchObject({
          error: 'insufficient_user_authentication',
          error_description: 'More recent authentication is required',
          max_age: '300',
        });
      }
    });
  });
});
