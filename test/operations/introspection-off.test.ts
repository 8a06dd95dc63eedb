/**
 * Nothing silently off: introspection that was configured but cannot be on (an endpoint
 * without client authentication; credentials while neither the option nor the metadata names
 * an endpoint) warns once, shows in `guard.health().warnings` with the reason, and doctor says
 * it. Opaque tokens are still refused as before (DESIGN: introspection needs client auth), with
 * no call to the endpoint.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGuard, GuardNotReadyError, OAuthError, type GuardOptions } from '../../src/index.js';
import { main } from '../../src/cli/main.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';

const audience = 'https://api.example.com';
const client = { clientId: 'resource-server', clientSecret: 'resource-server-secret' };

let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer();
});
afterAll(() => as.close());

/** Process warnings of the guard, as Node emits them (on a later tick). */
let warnings: Array<{ code: string | undefined; message: string }> = [];
const listener = (warning: Error & { code?: string }) => {
  if (warning.code?.startsWith('RESOURCE_GUARD_')) warnings.push({ code: warning.code, message: warning.message });
};
const settle = () => new Promise((resolve) => setImmediate(resolve));
beforeEach(() => {
  warnings = [];
  process.on('warning', listener);
});
afterEach(() => {
  process.off('warning', listener);
});

const guardWith = (introspection: GuardOptions['introspection']) => createGuard({ issuer: as.issuer, audience, introspection });
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as OAuthError);

describe('an endpoint (or options) without client authentication', () => {
  it('warns once at creation, names the reason in health(), and never calls the endpoint', async () => {
    const guard = guardWith({ endpoint: as.endpoints.introspection });
    await settle();
    const reason = `introspection is off: "introspection.endpoint" is set, but without client authentication, so it is never called; set "clientId" and "clientSecret", "bearerToken", or auth: 'none'`;
    expect(warnings).toEqual([{ code: 'RESOURCE_GUARD_INTROSPECTION_OFF', message: reason }]);
    expect(guard.health().warnings).toEqual([reason]);
    expect(guard.health().introspection).toBeUndefined();

    as.resetCounts();
    for (let i = 0; i < 2; i++) {
      const err = await refusal(guard.verify(as.mintOpaque()));
      expect(err).toMatchObject({ status: 401, code: 'invalid_token', description: 'opaque tokens need introspection, which is not configured' });
    }
    await settle();
    expect(as.count('introspection')).toBe(0);
    expect(warnings).toHaveLength(1);
  });

  it.each([
    ['{}', {}],
    ['only cache settings', { maxAge: 60, encoding: 'json' as const }],
  ])('introspection: %s warns too', async (_name, introspection) => {
    const guard = guardWith(introspection);
    await settle();
    expect(warnings.map((w) => w.message)).toEqual([
      `introspection is off: "introspection" is set, but without client authentication; set "clientId" and "clientSecret", "bearerToken", or auth: 'none'`,
    ]);
    expect(guard.health().warnings).toHaveLength(1);
  });

  it.each([
    ['absent', undefined],
    ['false', false as const],
    ['with client credentials', client],
    ["with auth: 'none'", { endpoint: 'http://127.0.0.1:1/introspect', auth: 'none' as const }],
    ['with a bearer token', { endpoint: 'http://127.0.0.1:1/introspect', bearerToken: 'api-key' }],
  ])('introspection %s: no warning', async (_name, introspection) => {
    const guard = guardWith(introspection);
    await settle();
    expect(warnings).toEqual([]);
    expect(guard.health().warnings).toEqual([]);
  });
});

describe('credentials, but no endpoint in the options nor in the metadata', () => {
  beforeEach(() => as.setMetadata({ introspection_endpoint: undefined }));
  afterEach(() => as.setMetadata({ introspection_endpoint: as.endpoints.introspection }));

  const reason =
    'introspection is off: client authentication is set, but neither "introspection.endpoint" nor the authorization server metadata names an introspection endpoint; set "introspection.endpoint"';

  it('shows in health() as soon as the metadata is known, and ready() names it', async () => {
    const guard = guardWith(client);
    expect(guard.health().warnings).toEqual([]);
    const err = await refusal(guard.ready());
    expect(err).toBeInstanceOf(GuardNotReadyError);
    expect((err as unknown as Error).message).toMatch(/the metadata has no introspection_endpoint/);
    expect(guard.health().warnings).toEqual([reason]);
    expect(guard.health().introspection).toMatchObject({ endpoint: undefined });
  });

  it('warns once, when the first opaque token finds no endpoint', async () => {
    const guard = guardWith(client);
    await settle();
    expect(warnings).toEqual([]);
    for (let i = 0; i < 3; i++) {
      const err = await refusal(guard.verify(as.mintOpaque()));
      expect(err).toMatchObject({ status: 401, description: 'opaque tokens need introspection, which is not configured' });
    }
    await settle();
    expect(warnings).toEqual([{ code: 'RESOURCE_GUARD_INTROSPECTION_OFF', message: reason }]);
    expect(guard.health().warnings).toEqual([reason]);
  });
});

describe('doctor says it', () => {
  it('an endpoint without credentials: a warning in the configuration, with the flags to add', async () => {
    let stdout = '';
    const code = await main(['doctor', '--issuer', as.issuer, '--audience', audience, '--introspection-endpoint', as.endpoints.introspection, '--json'], {
      stdout: { write: (t: string) => void (stdout += t) },
      stderr: { write: () => undefined },
      env: {},
      readStdin: () => '',
    });
    const report = JSON.parse(stdout) as { sections: Array<{ id: string; checks: Array<{ status: string; label: string; detail?: string[] }>; data: Record<string, unknown> }> };
    const configuration = report.sections.find((s) => s.id === 'configuration')!;
    expect(configuration.checks).toContainEqual({
      status: 'warn',
      label: 'introspection was asked for but is off: it has no client authentication',
      detail: ['give --introspection-client-id with --introspection-client-secret-file, or --introspection-bearer-token-file, or --introspection-auth none'],
    });
    expect(configuration.data.introspection).toEqual({ off: expect.stringMatching(/^"introspection.endpoint" is set, but without client authentication/) });
    // A warning, not a failure: the rest of the configuration works.
    expect(code).toBe(0);
  });
});
