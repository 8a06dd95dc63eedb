/**
 * Prometheus metrics from resource-guard's `diagnostics_channel` events, with prom-client.
 * The recipe of docs/operations.md, used by the example app's `GET /metrics`. Copy it as is:
 * it needs nothing from resource-guard but the channel names.
 *
 * Labels take bounded values only (outcome, reason code, token type, configured issuer), never
 * a description or an error message, so the series count stays small.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Histogram, type Registry } from 'prom-client';

type Event = Record<string, unknown>;

/** Registers the guard's metrics on `registry`; returns a function that stops listening. */
export function collectGuardMetrics(registry: Registry): () => void {
  const registers = [registry];
  const tokens = new Counter({
    name: 'resource_guard_tokens_total',
    help: 'Tokens decided by the guard, by outcome (accepted/rejected) and reason code',
    labelNames: ['outcome', 'reason', 'token_type', 'issuer'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'resource_guard_verify_duration_seconds',
    help: 'Time to decide a token',
    labelNames: ['outcome', 'cached'] as const,
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers,
  });
  const denied = new Counter({
    name: 'resource_guard_authorization_denied_total',
    help: 'Valid tokens refused by a route (403), by error code',
    labelNames: ['code'] as const,
    registers,
  });
  const fetches = new Counter({
    name: 'resource_guard_fetches_total',
    help: 'JWKS and metadata fetches, by document and outcome (ok, not-modified, failed)',
    labelNames: ['document', 'outcome'] as const,
    registers,
  });
  const stale = new Counter({
    name: 'resource_guard_stale_served_total',
    help: 'Uses of a cached JWKS or metadata document after its refresh failed',
    labelNames: ['document'] as const,
    registers,
  });
  const introspection = new Counter({
    name: 'resource_guard_introspection_total',
    help: 'Introspection decisions, by outcome (ok, failed, cache-hit, joined)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const webhooks = new Counter({
    name: 'resource_guard_webhooks_total',
    help: 'Webhook deliveries, by scheme, outcome and error code',
    labelNames: ['scheme', 'outcome', 'code'] as const,
    registers,
  });

  const handlers: Record<string, (e: Event) => void> = {
    'resource-guard:token:accepted': (e) => {
      tokens.inc({ outcome: 'accepted', reason: 'none', token_type: String(e.tokenType), issuer: String(e.issuer) });
      duration.observe({ outcome: 'accepted', cached: String(e.cached) }, Number(e.duration));
    },
    'resource-guard:token:rejected': (e) => {
      tokens.inc({ outcome: 'rejected', reason: String(e.reason), token_type: String(e.tokenType ?? 'none'), issuer: String(e.issuer ?? 'unknown') });
      duration.observe({ outcome: 'rejected', cached: 'false' }, Number(e.duration));
    },
    'resource-guard:authorization:denied': (e) => denied.inc({ code: String(e.code) }),
    'resource-guard:jwks:fetch': (e) => fetches.inc({ document: 'jwks', outcome: String(e.outcome) }),
    'resource-guard:metadata:fetch': (e) => fetches.inc({ document: 'metadata', outcome: String(e.outcome) }),
    'resource-guard:jwks:stale': () => stale.inc({ document: 'jwks' }),
    'resource-guard:metadata:stale': () => stale.inc({ document: 'metadata' }),
    'resource-guard:introspection': (e) => introspection.inc({ outcome: String(e.outcome) }),
    'resource-guard:webhook:verified': (e) => webhooks.inc({ scheme: String(e.scheme), outcome: 'verified', code: 'none' }),
    'resource-guard:webhook:rejected': (e) => webhooks.inc({ scheme: String(e.scheme), outcome: 'rejected', code: String(e.code) }),
  };
  const listeners = Object.entries(handlers).map(([name, handle]) => {
    const listener = (message: unknown) => handle(message as Event);
    subscribe(name, listener);
    return () => unsubscribe(name, listener);
  });
  return () => listeners.forEach((stop) => stop());
}
