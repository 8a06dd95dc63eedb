/**
 * The example app's operations routes: `GET /healthz` (guard.health()) and `GET /metrics`
 * (prom-client, fed by the guard's diagnostics_channel events), against its embedded
 * authorization server.
 *
 * The example imports `resource-guard` by name, which resolves to `dist/`: build first
 * (`npm test` does).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../example-app/config.js';
import { startExample, type RunningExample } from '../example-app/server.js';

describe('example app: /healthz and /metrics', () => {
  let example: RunningExample;
  beforeAll(async () => {
    example = await startExample(loadConfig({ PORT: '0', AS_PORT: '0' }));
  });
  afterAll(() => example?.close());

  const get = (path: string, token?: string) =>
    fetch(`${example.apiUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('health goes from starting to ok with the first request; metrics count it', async () => {
    const before = (await (await get('/healthz')).json()) as { status: string };
    expect(['starting', 'ok']).toContain(before.status);

    const as = example.authorizationServer!;
    const { access_token: token } = await as.clientCredentialsToken({ scope: 'messages:read' });
    expect((await get('/api/messages', token)).status).toBe(200);
    expect((await get('/api/messages')).status).toBe(401);

    const health = await get('/healthz');
    expect(health.status).toBe(200);
    const body = (await health.json()) as { status: string; issuers: Array<{ issuer: string; jwks: { keys: number } }> };
    expect(body.status).toBe('ok');
    expect(body.issuers[0]!.issuer).toBe(as.issuer);
    expect(body.issuers[0]!.jwks.keys).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toContain(token);

    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/resource_guard_tokens_total\{outcome="accepted",reason="none",token_type="jwt",issuer="[^"]+"\} [1-9]/);
    expect(text).toMatch(/resource_guard_tokens_total\{outcome="rejected",reason="missing",token_type="none",issuer="unknown"\} [1-9]/);
    expect(text).toMatch(/resource_guard_fetches_total\{document="jwks",outcome="ok"\} [1-9]/);
    expect(text).not.toContain(token);
  });
});
