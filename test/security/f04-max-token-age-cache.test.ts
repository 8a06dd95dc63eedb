/**
 * Finding 4 (issue 17): `maxTokenAge` was checked only on first sight; the verified-token
 * cache then kept the token accepted until its `exp`. Introspected tokens were not held to
 * `maxTokenAge` at all.
 *
 * A cached decision never outlives `iat + maxTokenAge + clockTolerance`, for JWTs and
 * introspection answers alike (in-process and shared caches). The clock is moved with a fake
 * `Date` only: servers and timers run for real.
 */
import type { Express } from 'express';
import type supertest from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGuard, memoryStore, type GuardOptions } from '../../src/index.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { expectOk, request } from '../authorization/helpers.js';
import { dataApp, expectInvalidToken } from './data-app.js';

const audience = 'https://api.example.com';
const introspection = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };
const maxTokenAge = 60;
const clockTolerance = 5;

let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer({ audience, accessTokenTTL: 3600 });
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(() => as.close());

function appFor(flavour: (typeof flavours)[number], options: Partial<GuardOptions> = {}): Express {
  return dataApp(flavour, createGuard({ issuer: as.issuer, audience, introspection, maxTokenAge, clockTolerance, ...options }));
}

function expectTooOld(res: supertest.Response, description: RegExp = /older than 60 s/): void {
  expectInvalidToken(res, description);
}

/** From now on `Date` reads `seconds` later than the real clock. */
function advanceClock(seconds: number): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + seconds * 1000);
}

const now = () => Math.floor(Date.now() / 1000);

describe.each(flavours)('$name', (flavour) => {
  it.each([
    ['a verified JWT (token cache)', (iat: number) => as.mintJwt({ claims: { iat } })],
    ['an introspected token (introspection cache)', (iat: number) => as.mintOpaque({ iat, expiresIn: 3600 })],
  ])('%s is refused once iat + maxTokenAge + clockTolerance has passed', async (_name, mint) => {
    const app = appFor(flavour);
    const token = mint(now() - 10);
    expectOk(await request(app, '/api/data', token));
    // 10 + 50 = 60 s old: within the age. 10 + 57 = 67 s: past 60 + 5.
    advanceClock(50);
    expectOk(await request(app, '/api/data', token));
    advanceClock(7);
    expectTooOld(await request(app, '/api/data', token));
  });

  it('a shared-store answer is held to the age too', async () => {
    as.resetCounts();
    const store = memoryStore();
    const first = appFor(flavour, { store });
    const second = appFor(flavour, { store });
    const token = as.mintOpaque({ iat: now() - 10, expiresIn: 3600 });
    expectOk(await request(first, '/api/data', token));
    advanceClock(57);
    expectTooOld(await request(second, '/api/data', token));
    expect(as.count('introspection')).toBe(1);
  });

  it('an introspected token older than maxTokenAge is refused on first sight', async () => {
    const app = appFor(flavour);
    expectTooOld(await request(app, '/api/data', as.mintOpaque({ iat: now() - 120, expiresIn: 3600 })));
  });

  it('an introspection answer without iat is refused when a maximum age is required', async () => {
    const app = appFor(flavour);
    const token = as.mintOpaque({ claims: { iat: undefined } });
    expectTooOld(await request(app, '/api/data', token), /no 'iat' and a maximum age is required/);
  });
});
