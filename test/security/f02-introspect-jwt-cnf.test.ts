/**
 * Finding 2 (issue 17): with `introspection.introspectJwt`, the introspection answer replaced
 * the verified JWT, so a DPoP- or certificate-bound JWT whose answer left out `cnf` passed as a
 * plain bearer token. The same held for a JWT that goes to introspection because local checks
 * cannot decide it (a `kid` the JWKS lacks).
 *
 * What the JWT says wins: its `cnf`, `iss`, `aud`, `sub` and client stay, and an answer that
 * contradicts any of them is a refusal.
 */
import type { Express } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type AuthInfo, type GuardOptions } from '../../src/index.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { generateSigningKey, type SigningKey } from '../support/keys.js';
import { expectOk, now, request } from '../authorization/helpers.js';
import { dataApp, expectInvalidToken as expectRefusal } from './data-app.js';
import { dpopKey, proof, type DpopKey } from '../dpop/support.js';

const audience = 'https://api.example.com';
const otherIssuer = 'https://other-issuer.example.com';
const base = 'https://api.example.com';
/** A thumbprint: binding tokens to it needs no key at hand. */
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
const introspection = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };

let as: FaultServer;
let key: DpopKey;
let unpublished: SigningKey;
beforeAll(async () => {
  [as, key, unpublished] = await Promise.all([startFaultServer({ audience }), dpopKey(), generateSigningKey('RS256', 'unpublished')]);
});
afterEach(() => as.resetBehaviors());
afterAll(() => as.close());

/** The introspection answer for `claims`: what the server says, with `patch` applied (`undefined` removes). */
function answer(claims: Record<string, unknown>, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { active: true, ...claims, ...patch };
  for (const [name, value] of Object.entries(patch)) if (value === undefined) delete out[name];
  return out;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

function appFor(flavour: (typeof flavours)[number], options: Partial<GuardOptions>): Express {
  return dataApp(flavour, createGuard({ issuer: [as.issuer, otherIssuer], audience, introspection, publicBaseUrl: base, ...options }));
}

describe.each(flavours)('$name', (flavour) => {
  describe.each([
    ['introspectJwt: a verified JWT', { introspection: { ...introspection, introspectJwt: true } }, false],
    ['a JWT whose kid the JWKS lacks', {}, true],
  ] as const)('%s', (_name, options, undecidable) => {
    let app: Express;
    beforeAll(() => {
      app = appFor(flavour, options);
    });
    const mint = (claims: Record<string, unknown> = {}) =>
      as.mintJwt({ claims, ...(undecidable ? { key: unpublished, kid: unpublished.kid } : {}) });

    it('a DPoP-bound JWT whose answer omits cnf is still DPoP-bound: refused as a bearer token', async () => {
      const token = mint({ cnf: { jkt: key.jkt } });
      as.setBehavior('introspection', fault.json(answer(claimsOf(token), { cnf: undefined })));
      expectRefusal(await request(app, '/api/data', token), /DPoP-bound token presented as a bearer token/);
      // With its proof it passes, bound to the key the JWT names.
      const res = await request(app, '/api/data')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', await proof(key, { htm: 'GET', htu: `${base}/api/data`, token }));
      expect(expectOk<AuthInfo>(res)).toMatchObject({ scheme: 'DPoP', confirmation: { jkt: key.jkt } });
    });

    it('a certificate-bound JWT whose answer omits cnf still needs its certificate', async () => {
      const token = mint({ cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } });
      as.setBehavior('introspection', fault.json(answer(claimsOf(token), { cnf: undefined })));
      expectRefusal(await request(app, '/api/data', token), /certificate/);
    });

    const contradictions: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['another trusted issuer', {}, { iss: otherIssuer }],
      ['another audience as well', {}, { aud: [audience, 'https://elsewhere.example.com'] }],
      ['another subject', {}, { sub: 'someone-else' }],
      ['another client', {}, { client_id: 'another-client' }],
      ['a cnf the JWT does not have', {}, { cnf: { jkt: JKT } }],
      ['another cnf', { cnf: { jkt: JKT } }, { cnf: { jkt: 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } }],
    ];
    it.each(contradictions)('an answer naming %s is refused', async (_what, claims, patch) => {
      const token = mint(claims);
      as.setBehavior('introspection', fault.json(answer(claimsOf(token), patch)));
      expectRefusal(await request(app, '/api/data', token), /^introspection answer (contradicts the token|names another issuer)/);
    });

    it("an answer without aud leaves the JWT's aud in force", async () => {
      const token = mint({ aud: 'https://elsewhere.example.com' });
      as.setBehavior('introspection', fault.json(answer(claimsOf(token), { aud: undefined })));
      expectRefusal(await request(app, '/api/data', token), /^audience mismatch$/);
    });

    it('an answer that agrees passes, with what the JWT says', async () => {
      const token = mint({ tenant: 'acme' });
      as.setBehavior('introspection', fault.json(answer(claimsOf(token), { tenant: undefined, sub: undefined, iss: undefined })));
      const auth = expectOk<AuthInfo>(await request(app, '/api/data', token));
      expect(auth).toMatchObject({ issuer: as.issuer, audience: [audience], subject: claimsOf(token).sub, scheme: 'Bearer' });
      expect(auth.claims).toMatchObject({ tenant: 'acme', iat: expect.any(Number) });
      expect(auth.expiresAt).toBeGreaterThan(now());
    });
  });
});
