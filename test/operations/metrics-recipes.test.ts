/**
 * The metrics recipes of docs/operations.md, run as written: Prometheus counters with
 * prom-client, OpenTelemetry instruments through `@opentelemetry/api`, fed by a real guard,
 * a real webhook middleware and a fault-injecting authorization server. The document must
 * carry the recipes' code verbatim.
 */
import { readFileSync } from 'node:fs';
import express from 'express';
import supertest from 'supertest';
import { createNoopMeter, type Attributes, type Counter, type Histogram } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectGuardMetrics } from '../../example-app/metrics.js';
import { instrumentGuard } from '../../example-app/opentelemetry.js';
import { createGuard } from '../../src/index.js';
import { standardWebhook } from '../../src/webhooks/index.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { jsonErrors } from '../support/webhook-app.js';
import { nowSeconds, signV1, standardHeaders } from '../support/webhook-signing.js';

const audience = 'https://api.example.com';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const secret = `whsec_${Buffer.from('a webhook secret of 32 bytes....').toString('base64')}`;

let as: FaultServer;
beforeEach(async () => {
  as = await startFaultServer();
});
afterEach(() => as.close());

/** One of everything: accepted (fresh and cached), rejected, stale keys, introspection, webhooks. */
async function scenario(): Promise<void> {
  const guard = createGuard({
    issuer: as.issuer,
    audience,
    cooldown: 0.05,
    jwksMaxAge: 0.1,
    introspection: { clientId: 'resource-server', clientSecret: 'resource-server-secret' },
  });
  const token = as.mintJwt();
  await guard.verify(token);
  await guard.verify(token); // cached
  await guard.verify(as.mintJwt({ expiresIn: -60 })).catch(() => undefined);
  as.setBehavior('jwks', fault.status(503));
  await sleep(150);
  await guard.verify(as.mintJwt()); // stale keys
  const opaque = as.mintOpaque();
  await guard.verify(opaque);
  await guard.verify(opaque); // introspection cache hit

  const app = express();
  app.post('/hook', standardWebhook({ secret }), (_req, res) => void res.sendStatus(204));
  app.use(jsonErrors);
  const body = '{"type":"ping"}';
  const timestamp = nowSeconds();
  await supertest(app).post('/hook').set(standardHeaders('msg_1', timestamp, signV1(secret, 'msg_1', timestamp, body))).send(body);
  await supertest(app).post('/hook').set(standardHeaders('msg_2', timestamp, 'v1,AAAA')).send(body);
}

describe('Prometheus with prom-client', () => {
  it('counts decisions by outcome and reason, fetches, stale use, introspection and webhooks', async () => {
    const registry = new Registry();
    const stop = collectGuardMetrics(registry);
    try {
      await scenario();
    } finally {
      stop();
    }
    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string, labels: Record<string, string>) =>
      metrics
        .find((m) => m.name === name)
        ?.values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
        .reduce((sum, v) => sum + v.value, 0);

    expect(value('resource_guard_tokens_total', { outcome: 'accepted', token_type: 'jwt', issuer: as.issuer })).toBe(3);
    expect(value('resource_guard_tokens_total', { outcome: 'accepted', token_type: 'opaque' })).toBe(2);
    expect(value('resource_guard_tokens_total', { outcome: 'rejected', reason: 'expired' })).toBe(1);
    const histogram = metrics.find((m) => m.name === 'resource_guard_verify_duration_seconds')!;
    const count = histogram.values.filter((v) => (v as { metricName?: string }).metricName === 'resource_guard_verify_duration_seconds_count');
    expect(count.reduce((sum, v) => sum + v.value, 0)).toBe(6);
    expect(value('resource_guard_fetches_total', { document: 'jwks', outcome: 'ok' })).toBe(1);
    expect(value('resource_guard_fetches_total', { document: 'jwks', outcome: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(value('resource_guard_fetches_total', { document: 'metadata', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(value('resource_guard_stale_served_total', { document: 'jwks' })).toBeGreaterThanOrEqual(1);
    expect(value('resource_guard_introspection_total', { outcome: 'ok' })).toBe(1);
    expect(value('resource_guard_introspection_total', { outcome: 'cache-hit' })).toBe(1);
    expect(value('resource_guard_webhooks_total', { scheme: 'standard', outcome: 'verified' })).toBe(1);
    expect(value('resource_guard_webhooks_total', { scheme: 'standard', outcome: 'rejected', code: 'invalid_signature' })).toBe(1);

    const text = await registry.metrics();
    expect(text).toContain('# TYPE resource_guard_tokens_total counter');
    expect(text).toMatch(/resource_guard_tokens_total\{outcome="rejected",reason="expired",token_type="jwt",issuer="[^"]+"\} 1/);
  });
});

describe('OpenTelemetry through @opentelemetry/api', () => {
  it('records the same facts on the meter it is given', async () => {
    const recorded: Array<{ instrument: string; value: number; attributes: Attributes | undefined }> = [];
    const meter = createNoopMeter();
    meter.createCounter = (name) => ({ add: (value: number, attributes?: Attributes) => void recorded.push({ instrument: name, value, attributes }) }) as Counter;
    meter.createHistogram = (name) => ({ record: (value: number, attributes?: Attributes) => void recorded.push({ instrument: name, value, attributes }) }) as Histogram;
    const stop = instrumentGuard(meter);
    try {
      await scenario();
    } finally {
      stop();
    }
    const sum = (instrument: string, attributes: Attributes) =>
      recorded
        .filter((r) => r.instrument === instrument && Object.entries(attributes).every(([k, v]) => r.attributes?.[k] === v))
        .reduce((total, r) => total + r.value, 0);
    expect(sum('resource_guard.tokens', { outcome: 'accepted', token_type: 'jwt' })).toBe(3);
    expect(sum('resource_guard.tokens', { outcome: 'rejected', reason: 'expired' })).toBe(1);
    expect(recorded.filter((r) => r.instrument === 'resource_guard.verify.duration')).toHaveLength(6);
    expect(sum('resource_guard.stale_served', { document: 'jwks' })).toBeGreaterThanOrEqual(1);
    expect(sum('resource_guard.introspection', { outcome: 'cache-hit' })).toBe(1);
    expect(sum('resource_guard.webhooks', { outcome: 'rejected', code: 'invalid_signature' })).toBe(1);
    // After stop(), nothing more is recorded.
    const before = recorded.length;
    await createGuard({ issuer: as.issuer, audience }).verify(as.mintJwt()).catch(() => undefined);
    expect(recorded.length).toBe(before);
  });
});

describe('docs/operations.md', () => {
  it.each(['example-app/metrics.ts', 'example-app/opentelemetry.ts'])('shows %s verbatim', (file) => {
    const doc = readFileSync('docs/operations.md', 'utf8');
    const code = readFileSync(file, 'utf8');
    const body = code.slice(code.indexOf('import '));
    expect(doc).toContain(body.trimEnd());
  });
});
