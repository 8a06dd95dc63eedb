/**
 * OpenTelemetry metrics from resource-guard's `diagnostics_channel` events, with
 * `@opentelemetry/api` only: the SDK and exporter your service already configures receive
 * them. The recipe of docs/operations.md; it needs nothing from resource-guard but the
 * channel names.
 *
 * Attributes take bounded values only (outcome, reason code, token type, configured issuer).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { metrics, type Meter } from '@opentelemetry/api';

type Event = Record<string, unknown>;

/** Records the guard's events on `meter`; returns a function that stops listening. */
export function instrumentGuard(meter: Meter = metrics.getMeter('resource-guard')): () => void {
  const tokens = meter.createCounter('resource_guard.tokens', { description: 'Tokens decided by the guard' });
  const duration = meter.createHistogram('resource_guard.verify.duration', { description: 'Time to decide a token', unit: 's' });
  const denied = meter.createCounter('resource_guard.authorization.denied', { description: 'Valid tokens refused by a route (403)' });
  const fetches = meter.createCounter('resource_guard.fetches', { description: 'JWKS and metadata fetches' });
  const stale = meter.createCounter('resource_guard.stale_served', { description: 'Cached documents used after a failed refresh' });
  const introspection = meter.createCounter('resource_guard.introspection', { description: 'Introspection decisions' });
  const webhooks = meter.createCounter('resource_guard.webhooks', { description: 'Webhook deliveries' });

  const handlers: Record<string, (e: Event) => void> = {
    'resource-guard:token:accepted': (e) => {
      const attributes = { outcome: 'accepted', token_type: String(e.tokenType), issuer: String(e.issuer) };
      tokens.add(1, attributes);
      duration.record(Number(e.duration), { outcome: 'accepted', cached: Boolean(e.cached) });
    },
    'resource-guard:token:rejected': (e) => {
      tokens.add(1, { outcome: 'rejected', reason: String(e.reason), token_type: String(e.tokenType ?? 'none'), issuer: String(e.issuer ?? 'unknown') });
      duration.record(Number(e.duration), { outcome: 'rejected', cached: false });
    },
    'resource-guard:authorization:denied': (e) => denied.add(1, { code: String(e.code) }),
    'resource-guard:jwks:fetch': (e) => fetches.add(1, { document: 'jwks', outcome: String(e.outcome) }),
    'resource-guard:metadata:fetch': (e) => fetches.add(1, { document: 'metadata', outcome: String(e.outcome) }),
    'resource-guard:jwks:stale': () => stale.add(1, { document: 'jwks' }),
    'resource-guard:metadata:stale': () => stale.add(1, { document: 'metadata' }),
    'resource-guard:introspection': (e) => introspection.add(1, { outcome: String(e.outcome) }),
    'resource-guard:webhook:verified': (e) => webhooks.add(1, { scheme: String(e.scheme), outcome: 'verified' }),
    'resource-guard:webhook:rejected': (e) => webhooks.add(1, { scheme: String(e.scheme), outcome: 'rejected', code: String(e.code) }),
  };
  const listeners = Object.entries(handlers).map(([name, handle]) => {
    const listener = (message: unknown) => handle(message as Event);
    subscribe(name, listener);
    return () => unsubscribe(name, listener);
  });
  return () => listeners.forEach((stop) => stop());
}
