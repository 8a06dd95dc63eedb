/**
 * `guard.ready()`, the `warmup` option and `guard.health()`: against the real local
 * authorization server (oidc-provider), and against fault servers that are down, claim
 * another issuer, or fail their JWKS; health followed as the server goes down and comes back.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, GuardNotReadyError, type Guard, type GuardOptions } from '../../src/index.js';
import { startAuthorizationServer, type AuthorizationServer } from '../../example-app/authorization-server.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';

const audience = 'https://api.example.com';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e);

describe('against the real local authorization server', () => {
  let real: AuthorizationServer;
  beforeAll(async () => {
    real = await startAuthorizationServer();
  });
  afterAll(() => real.close());

  it('ready() fetches metadata and JWKS, checks the issuer, and the first request costs no fetch', async () => {
    const guard = createGuard({ issuer: real.issuer, audience: real.apiResource });
    expect(guard.health().status).toBe('starting');
    await expect(guard.ready()).resolves.toBeUndefined();
    const health = guard.health();
    expect(health.status).toBe('ok');
    expect(health.issuers).toHaveLength(1);
    const [issuer] = health.issuers;
    expect(issuer).toMatchObject({
      issuer: real.issuer,
      status: 'ok',
      metadata: { required: true, cached: true, url: real.endpoints.oauthMetadata, lastError: undefined, circuit: 'closed', servingStale: false },
      jwks: { required: true, cached: true, url: real.endpoints.jwks, lastError: undefined, circuit: 'closed', keys: real.keys.length },
    });
    expect(issuer!.jwks.kids).toEqual(real.keys.map((k) => k.kid));
    expect(issuer!.jwks.age).toBeGreaterThanOrEqual(0);
    expect(issuer!.jwks.freshFor).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(health))).toEqual(health);

    const before = real.counts.total();
    const { access_token: token } = await real.clientCredentialsToken({ resource: real.apiResource, scope: 'messages:read' });
    const afterToken = real.counts.total();
    await expect(guard.verify(token)).resolves.toMatchObject({ tokenType: 'jwt', issuer: real.issuer });
    expect(real.counts.total()).toBe(afterToken);
    expect(afterToken - before).toBe(1);
  });

  it('warmup: true fetches at construction, without a request or a ready() call', async () => {
    real.resetCounts();
    const guard = createGuard({ issuer: real.issuer, audience: real.apiResource, warmup: true });
    for (let i = 0; i < 50 && guard.health().status !== 'ok'; i++) await sleep(20);
    expect(guard.health().status).toBe('ok');
    expect(real.counts.get(new URL(real.endpoints.jwks).pathname)).toBe(1);
  });
});

describe('configuration errors and outages', () => {
  let as: FaultServer;
  afterEach(() => as?.close());

  it('an authorization server that is down: rejects naming the URL and the cause', async () => {
    as = await startFaultServer();
    await as.stopListening();
    const guard = createGuard({ issuer: as.issuer, audience });
    const err = await rejection(guard.ready());
    expect(err).toBeInstanceOf(GuardNotReadyError);
    const notReady = err as GuardNotReadyError;
    expect(notReady.code).toBe('RESOURCE_GUARD_NOT_READY');
    expect(notReady.message).toContain(as.endpoints.metadata);
    expect(notReady.message).toMatch(/ECONNREFUSED/);
    expect(notReady.failures).toEqual([
      { issuer: as.issuer, document: 'metadata', url: undefined, reason: expect.stringContaining(as.endpoints.metadata) },
    ]);
    expect(notReady.cause).toBeDefined();
    expect(guard.health()).toMatchObject({ status: 'down', issuers: [{ status: 'down', metadata: { cached: false, lastError: expect.stringMatching(/ECONNREFUSED/) } }] });
  });

  it('a wrong issuer: rejects naming both issuers and the metadata URL', async () => {
    as = await startFaultServer();
    const configured = as.issuer;
    as.setIssuer('https://impostor.example.com');
    const err = (await rejection(createGuard({ issuer: configured, audience }).ready())) as GuardNotReadyError;
    expect(err).toBeInstanceOf(GuardNotReadyError);
    expect(err.message).toContain(`issuer mismatch: metadata at ${as.endpoints.metadata} says 'https://impostor.example.com', configured issuer is '${configured}'`);
  });

  it('a JWKS that fails: the metadata is fine, the JWKS URL and its status are named', async () => {
    as = await startFaultServer();
    as.setBehavior('jwks', fault.status(500));
    const err = (await rejection(createGuard({ issuer: as.issuer, audience }).ready())) as GuardNotReadyError;
    expect(err.failures).toEqual([{ issuer: as.issuer, document: 'jwks', url: as.endpoints.jwks, reason: expect.stringContaining('answered 500') }]);
    expect(err.message).toContain(`JWKS of ${as.issuer} (${as.endpoints.jwks})`);
  });

  it('introspection configured but the metadata names no endpoint: says which option to set', async () => {
    as = await startFaultServer();
    as.setMetadata({ introspection_endpoint: undefined });
    const guard = createGuard({ issuer: as.issuer, audience, introspection: { clientId: 'rs', clientSecret: 'rs-secret-value' } });
    const err = (await rejection(guard.ready())) as GuardNotReadyError;
    expect(err.failures).toEqual([expect.objectContaining({ document: 'introspection', reason: expect.stringContaining('"introspection.endpoint"') })]);
  });

  it('several issuers: every failing one is listed', async () => {
    as = await startFaultServer();
    const down = await startFaultServer();
    await down.stopListening();
    try {
      const err = (await rejection(createGuard({ issuer: [as.issuer, down.issuer], audience }).ready())) as GuardNotReadyError;
      expect(err.failures.map((f) => f.issuer)).toEqual([down.issuer]);
    } finally {
      await down.close();
    }
  });

  it('warmup against a server that is down never throws nor crashes; one warning names the cause', async () => {
    as = await startFaultServer();
    await as.stopListening();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => {
      if ((w as { code?: string }).code === 'RESOURCE_GUARD_WARMUP') warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const guard = createGuard({ issuer: as.issuer, audience, warmup: true });
      for (let i = 0; i < 50 && warnings.length === 0; i++) await sleep(20);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ code: 'RESOURCE_GUARD_WARMUP', message: expect.stringContaining(as.endpoints.metadata) });
      expect(guard.health().status).toBe('down');
      // The first request tries again, and works once the server is back.
      await as.resume();
      await sleep(1100); // the back-off after one failure is nothing; be generous for slow machines
      await expect(guard.verify(as.mintJwt())).resolves.toMatchObject({ tokenType: 'jwt' });
      expect(guard.health().status).toBe('ok');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('health() follows the authorization server down and back', () => {
  let as: FaultServer;
  afterEach(() => as.close());

  const guardFor = (options: Partial<GuardOptions> = {}): Guard =>
    createGuard({ issuer: as.issuer, audience, tokenCache: false, cooldown: 0.2, jwksMaxAge: 0.3, ...options });

  it('ok → degraded (stale keys, errors, circuit) → ok', async () => {
    as = await startFaultServer();
    const guard = guardFor();
    const token = as.mintJwt();
    await guard.ready();
    expect(guard.health()).toMatchObject({ status: 'ok', issuers: [{ jwks: { servingStale: false, circuit: 'closed', lastError: undefined } }] });

    await as.stopListening();
    await sleep(350);
    await guard.verify(token); // stale keys still verify
    let jwks = guard.health().issuers[0]!.jwks;
    expect(guard.health().status).toBe('degraded');
    expect(jwks).toMatchObject({ servingStale: true, cached: true, keys: as.keys.keys.length });
    // The JWKS loader needs the (also stale) metadata first: whichever failed, the cause is named.
    const metadata = guard.health().issuers[0]!.metadata;
    expect(`${jwks.lastError} ${metadata.lastError}`).toMatch(/ECONNREFUSED/);
    expect(jwks.age).toBeGreaterThanOrEqual(0.3);
    expect(jwks.freshFor).toBe(0);

    await guard.verify(token); // a second consecutive failure opens the circuit
    jwks = guard.health().issuers[0]!.jwks;
    const circuits = [jwks.circuit, guard.health().issuers[0]!.metadata.circuit];
    expect(circuits).toContain('open');

    await as.resume();
    await sleep(1100); // past the back-off (1 s after two failures)
    await guard.verify(token);
    const healed = guard.health();
    expect(healed.status).toBe('ok');
    expect(healed.issuers[0]!.jwks).toMatchObject({ servingStale: false, lastError: undefined, circuit: 'closed' });
    expect(healed.issuers[0]!.jwks.age).toBeLessThan(0.3);
  });

  it('down: no keys ever fetched and the last fetch failed', async () => {
    as = await startFaultServer();
    as.setBehavior('jwks', fault.down);
    const guard = guardFor();
    await guard.verify(as.mintJwt()).catch(() => undefined);
    expect(guard.health()).toMatchObject({ status: 'down', issuers: [{ status: 'down', metadata: { cached: true }, jwks: { cached: false, keys: 0 } }] });
  });

  it('introspection and cache sizes, without the client secret anywhere', async () => {
    as = await startFaultServer();
    const guard = createGuard({
      issuer: as.issuer,
      audience,
      introspection: { clientId: 'resource-server', clientSecret: 'resource-server-secret' },
    });
    await guard.verify(as.mintOpaque());
    await guard.verify(as.mintJwt());
    const health = guard.health();
    expect(health.introspection).toEqual({
      endpoint: as.endpoints.introspection,
      cacheSize: 1,
      inFlight: 0,
      calls: 1,
      circuit: 'closed',
      lastError: undefined,
    });
    expect(health.tokenCache).toEqual({ size: 1, maxEntries: 10_000, maxBytes: 16 * 1024 * 1024 });
    expect(JSON.stringify(health)).not.toContain('resource-server-secret');

    as.setBehavior('introspection', fault.status(502));
    await guard.verify(as.mintOpaque()).catch(() => undefined);
    expect(guard.health()).toMatchObject({ status: 'degraded', introspection: { lastError: 'introspection endpoint answered 502' } });
  });

  it('jwksUri with a known introspection endpoint: the metadata is not required', async () => {
    as = await startFaultServer();
    as.setBehavior('metadata', fault.status(404));
    as.setBehavior('openid-configuration', fault.status(404));
    const guard = createGuard({
      issuer: as.issuer,
      audience,
      jwksUri: as.endpoints.jwks,
      introspection: { endpoint: as.endpoints.introspection, clientId: 'resource-server', clientSecret: 'resource-server-secret' },
    });
    await guard.ready();
    expect(guard.health()).toMatchObject({ status: 'ok', issuers: [{ metadata: { required: false, cached: false }, jwks: { url: as.endpoints.jwks } }] });
    expect(as.count('metadata')).toBe(0);
  });
});
