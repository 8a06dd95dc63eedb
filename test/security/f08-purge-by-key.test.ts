/**
 * Finding 8 (issue 17): when a key disappeared from the JWKS, the verified-token cache dropped
 * the tokens it had verified by `kid` only. A key published without `kid`, a `kid` reused for
 * a new key, and tokens of the second issuer sharing one `jwksUri` stayed accepted from the
 * cache while the refreshed key set no longer held their key.
 *
 * Each cache entry remembers the identity of the key that verified it (its RFC 7638
 * thumbprint); a refresh that no longer has that key drops the entry, whatever the `kid`.
 * The refresh here is the one an unknown `kid` triggers (`cooldown: 0`), while the key set is
 * still fresh, so the cache's "stale key set is a miss" rule does not hide the purge.
 */
import type { Express } from 'express';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { createGuard, type GuardOptions } from '../../src/index.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { generateSigningKey, type SigningKey } from '../support/keys.js';
import { expectOk, request } from '../authorization/helpers.js';
import { dataApp, expectInvalidToken as expectRefused } from './data-app.js';

const audience = 'https://api.example.com';

let as: FaultServer;
let other: FaultServer;
let first: SigningKey;
let second: SigningKey;
beforeAll(async () => {
  [as, other, first, second] = await Promise.all([
    startFaultServer({ audience }),
    startFaultServer({ audience }),
    generateSigningKey('ES256', 'k1'),
    generateSigningKey('ES256', 'k1'),
  ]);
});
beforeEach(() => as.resetBehaviors());
afterAll(() => Promise.all([as.close(), other.close()]));

/** The published JWK of `key`, without its `kid` when `withKid` is false. */
function jwkOf(key: SigningKey, withKid: boolean): Record<string, unknown> {
  const { kid: _kid, ...jwk } = key.publicJwk;
  return withKid ? key.publicJwk : jwk;
}

function publish(...keys: Record<string, unknown>[]): void {
  as.setBehavior('jwks', fault.json({ keys }));
}

function appFor(flavour: (typeof flavours)[number], options: Partial<GuardOptions> = {}): Express {
  return dataApp(flavour, createGuard({ issuer: as.issuer, audience, cooldown: 0, ...options }));
}

/** A token with a kid the JWKS lacks: the guard refetches the key set at once. */
const refetch = (app: Express) => request(app, '/api/data', as.mintJwt({ alg: 'ES256', key: second, kid: 'unknown-kid' }));

describe.each(flavours)('$name', (flavour) => {
  it('a key without kid removed from the JWKS: the tokens it verified are refused', async () => {
    publish(jwkOf(first, false));
    const app = appFor(flavour);
    const token = as.mintJwt({ alg: 'ES256', key: first, kid: null });
    expectOk(await request(app, '/api/data', token));
    expectOk(await request(app, '/api/data', token));
    publish(jwkOf(second, false));
    expectRefused(await refetch(app));
    expectRefused(await request(app, '/api/data', token));
    // Tokens of the key still published keep passing.
    expectOk(await request(app, '/api/data', as.mintJwt({ alg: 'ES256', key: second, kid: null })));
  });

  it('a kid reused for another key: the tokens the old key verified are refused', async () => {
    publish(jwkOf(first, true));
    const app = appFor(flavour);
    const token = as.mintJwt({ alg: 'ES256', key: first, kid: 'k1' });
    expectOk(await request(app, '/api/data', token));
    publish(jwkOf(second, true));
    expectRefused(await refetch(app));
    expectRefused(await request(app, '/api/data', token));
    expectOk(await request(app, '/api/data', as.mintJwt({ alg: 'ES256', key: second, kid: 'k1' })));
  });

  it("one jwksUri for two issuers: the second issuer's tokens are purged too", async () => {
    publish(jwkOf(first, true));
    const app = appFor(flavour, { issuer: [as.issuer, other.issuer], jwksUri: as.endpoints.jwks });
    const token = other.mintJwt({ alg: 'ES256', key: first, kid: 'k1' });
    expectOk(await request(app, '/api/data', token));
    publish(jwkOf(second, false));
    expectRefused(await refetch(app));
    expectRefused(await request(app, '/api/data', token));
  });
});
