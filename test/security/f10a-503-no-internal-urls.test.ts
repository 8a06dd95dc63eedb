/**
 * Finding 10a (issue 17): after a failed introspection call, the 503 told the client the
 * internal introspection URL (`errorDetail: 'full'`); failed JWKS fetches and discovery did the
 * same with the JWKS URI and metadata URLs.
 *
 * Client-facing descriptions never carry the URL of an internal endpoint, whatever failed and
 * with full detail; the configured issuer may still be named (a 500 for an issuer mismatch
 * names both values, as DESIGN.md says). The URLs stay in `err.cause`, `ready()` and events.
 */
import type { Express } from 'express';
import type supertest from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, CHANNELS, OAuthError, type GuardOptions } from '../../src/index.js';
import { fault, startFaultServer, type Behavior, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { recordEvents } from '../support/events.js';
import { request } from '../authorization/helpers.js';
import { dataApp } from './data-app.js';

const audience = 'https://api.example.com';
const introspection = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };

let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer({ audience });
});
afterEach(() => {
  as.resetBehaviors();
  as.setMetadata({ jwks_uri: as.endpoints.jwks, introspection_endpoint: as.endpoints.introspection });
  as.setIssuer();
});
afterAll(() => as.close());

function appFor(flavour: (typeof flavours)[number], options: Partial<GuardOptions> = {}): Express {
  return dataApp(flavour, createGuard({ issuer: as.issuer, audience, introspection, errorDetail: 'full', timeout: 0.3, cooldown: 1, ...options }));
}

/**
 * What the client reads (status line, headers, body of Express's default handler, which prints
 * the error outside production) holds no URL with a path: our own `resource_metadata` aside.
 */
function expectNoInternalUrl(res: supertest.Response, status: number, about: RegExp): void {
  expect(res.status).toBe(status);
  const challenge = String(res.headers['www-authenticate'] ?? '').replace(/resource_metadata="[^"]*"/g, '');
  const visible = `${challenge}\n${JSON.stringify(res.headers)}\n${res.text}`.replace(/resource_metadata=\\"[^"\\]*\\"/g, '');
  expect(visible).not.toMatch(/https?:\/\/[^\s"'<>,;)]+\/[^\s"'<>,;)]*/);
  expect(visible).not.toContain(new URL(as.url).host + '/');
  expect(visible).toMatch(about);
}

const opaque = () => as.mintOpaque();
const jwt = () => as.mintJwt();

describe.each(flavours)('$name', (flavour) => {
  const introspectionFaults: Array<[string, Behavior]> = [
    ['connection reset', fault.down],
    ['timeout', fault.hang],
    ['redirect to another origin', fault.redirect('http://127.0.0.2:9/steal')],
    ['oversized answer', fault.oversized(600 * 1024)],
    ['500', fault.status(500)],
    ['not JSON', fault.garbage],
  ];
  it.each(introspectionFaults)('introspection: %s', async (_name, behavior) => {
    as.setBehavior('introspection', behavior);
    const app = appFor(flavour);
    expectNoInternalUrl(await request(app, '/api/data', opaque()), 503, /introspection/);
    // Repeated failures open the circuit: its 503 repeats the last reason, without the URL too.
    for (let i = 0; i < 3; i++) expectNoInternalUrl(await request(app, '/api/data', opaque()), 503, /introspection/);
  });

  it('introspection endpoint over http on another host (refused as insecure)', async () => {
    as.setMetadata({ introspection_endpoint: 'http://introspection.internal.example/introspect' });
    expectNoInternalUrl(await request(appFor(flavour), '/api/data', opaque()), 503, /introspection/);
  });

  const jwksFaults: Array<[string, Behavior]> = [
    ['connection reset', fault.down],
    ['timeout', fault.hang],
    ['500', fault.status(500)],
    ['not JSON', fault.garbage],
    ['no usable key', fault.json({ keys: [{ kty: 'oct', k: 'AAAA' }] })],
    ['redirect to another origin', fault.redirect('http://127.0.0.2:9/keys')],
  ];
  it.each(jwksFaults)('JWKS without a cached key: %s', async (_name, behavior) => {
    as.setBehavior('jwks', behavior);
    expectNoInternalUrl(await request(appFor(flavour), '/api/data', jwt()), 503, /JWKS|unavailable/);
  });

  it.each(jwksFaults)('JWKS with cached keys, a kid it lacks, the refetch failing: %s', async (_name, behavior) => {
    const app = appFor(flavour, { cooldown: 0, introspection: false });
    await request(app, '/api/data', jwt()).expect(200);
    as.setBehavior('jwks', behavior);
    expectNoInternalUrl(await request(app, '/api/data', as.mintJwt({ kid: 'rotated-in' })), 503, /JWKS/);
  });

  it('JWKS URI over http on another host (refused as insecure)', async () => {
    as.setMetadata({ jwks_uri: 'http://keys.internal.example/jwks' });
    expectNoInternalUrl(await request(appFor(flavour), '/api/data', jwt()), 503, /JWKS|unavailable/);
  });

  const discoveryFaults: Array<[string, Behavior, number]> = [
    ['connection reset', fault.down, 503],
    ['500', fault.status(500), 503],
    ['not JSON', fault.garbage, 503],
    ['404 everywhere', fault.status(404), 500],
  ];
  it.each(discoveryFaults)('metadata: %s', async (_name, behavior, status) => {
    as.setBehavior('metadata', behavior);
    as.setBehavior('openid-configuration', behavior);
    expectNoInternalUrl(await request(appFor(flavour), '/api/data', jwt()), status, /metadata/);
  });

  it('metadata naming another issuer: a 500 naming both issuers, not the metadata URL', async () => {
    const configured = as.issuer;
    as.setIssuer('https://impostor.example.com');
    const res = await request(appFor(flavour, { issuer: configured }), '/api/data', as.mintJwt({ claims: { iss: configured } }));
    expect(res.status).toBe(500);
    expect(res.text).toContain('issuer mismatch');
    expect(res.text).toContain('impostor.example.com');
    expect(res.text).not.toContain('.well-known');
  });
});

describe('the URLs stay where operators look', () => {
  it('err.cause, the introspection event and ready() name the endpoint', async () => {
    as.setBehavior('introspection', fault.down);
    const events = recordEvents();
    try {
      const guard = createGuard({ issuer: as.issuer, audience, introspection, errorDetail: 'full' });
      const err = await guard.verify(opaque()).then(() => undefined, (e: unknown) => e as OAuthError);
      expect(err).toBeInstanceOf(OAuthError);
      expect(err!.description).not.toContain(as.endpoints.introspection);
      expect(String((err!.cause as Error).message)).toContain(as.endpoints.introspection);
      expect(events.of(CHANNELS.introspection).map((e) => e.endpoint)).toContain(as.endpoints.introspection);
    } finally {
      events.stop();
    }
    as.setBehavior('jwks', fault.status(500));
    const guard = createGuard({ issuer: as.issuer, audience });
    await expect(guard.ready()).rejects.toThrow(as.endpoints.jwks);
    const err = await guard.verify(jwt()).then(() => undefined, (e: unknown) => e as OAuthError);
    expect(err!.description).not.toContain(as.endpoints.jwks);
    expect(String((err!.cause as Error).message)).toContain(as.endpoints.jwks);
  });
});
