/**
 * Folder `events/`: the `resource-guard:*` diagnostics channels. Its one rule: nothing is
 * built unless someone listens, and no payload ever holds a token or a secret.
 *
 * What the guard tells operators, on Node's `diagnostics_channel`: zero dependencies, and
 * zero cost when nobody listens (a payload is built only when a channel has subscribers).
 *
 * Every payload is a plain object of strings, numbers, booleans and string arrays. None ever
 * holds a token, a token hash, a client secret, an API key, a signature or a webhook body:
 * a payload names *what* happened (a stable reason code, the issuer, a URL) and how long it
 * took. Durations are in seconds, like every duration of this package.
 *
 * Labels meant for metrics (`code`, `reason`, `outcome`, `tokenType`, `scheme`, `issuer`)
 * take a bounded set of values: `issuer` is only ever one of the configured issuers, never
 * the unverified `iss` of a refused token. `description` and `error` are free text for logs.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe('resource-guard:token:rejected', (event) => console.warn('token refused', event));
 * ```
 */
import { channel, type Channel } from 'node:diagnostics_channel';
import { OAuthError } from '../errors/oauth-error.js';
import type { ChannelPayloads, FetchEvent } from './payloads.js';

export type { RejectionReason } from '../auth/reasons.js';
export type {
  AuthorizationDeniedEvent,
  ChannelPayloads,
  FetchEvent,
  IntrospectionEvent,
  StaleEvent,
  TokenAcceptedEvent,
  TokenRejectedEvent,
  WebhookRejectedEvent,
  WebhookVerifiedEvent,
} from './payloads.js';

/** Every channel the package publishes on; subscribe with these names. */
export const CHANNELS = Object.freeze({
  /** {@link TokenAcceptedEvent}: a token was verified. */
  tokenAccepted: 'resource-guard:token:accepted',
  /** {@link TokenRejectedEvent}: a request's credentials were refused (400, 401, 500, 503). */
  tokenRejected: 'resource-guard:token:rejected',
  /** {@link AuthorizationDeniedEvent}: a valid token lacked what the route needs (403). */
  authorizationDenied: 'resource-guard:authorization:denied',
  /** {@link FetchEvent}: one JWKS request ended. */
  jwksFetch: 'resource-guard:jwks:fetch',
  /** {@link StaleEvent}: cached keys were used although their refresh failed. */
  jwksStale: 'resource-guard:jwks:stale',
  /** {@link FetchEvent}: one authorization server metadata look-up ended. */
  metadataFetch: 'resource-guard:metadata:fetch',
  /** {@link StaleEvent}: cached metadata was used although its refresh failed. */
  metadataStale: 'resource-guard:metadata:stale',
  /** {@link IntrospectionEvent}: a token was decided by introspection (call, cache or shared call). */
  introspection: 'resource-guard:introspection',
  /** {@link WebhookVerifiedEvent}: a signed webhook delivery was accepted. */
  webhookVerified: 'resource-guard:webhook:verified',
  /** {@link WebhookRejectedEvent}: a webhook delivery was refused. */
  webhookRejected: 'resource-guard:webhook:rejected',
});

/** The name of a resource-guard channel. */
export type ChannelName = (typeof CHANNELS)[keyof typeof CHANNELS];


const cache = new Map<string, Channel>();

function channelOf(name: ChannelName): Channel {
  let found = cache.get(name);
  if (found === undefined) {
    found = channel(name);
    cache.set(name, found);
  }
  return found;
}

/** True when someone listens on `name`; check it before doing work only an event needs. */
export function isObserved(name: ChannelName): boolean {
  return channelOf(name).hasSubscribers;
}

/**
 * Publishes the payload `build()` returns, building it only when someone listens. A
 * subscriber that throws does not interrupt the request: Node re-throws its error on the
 * next tick, as it does for every channel.
 * @internal
 */
export function publish<N extends ChannelName>(name: N, build: () => ChannelPayloads[N]): void {
  const target = channelOf(name);
  if (target.hasSubscribers) target.publish(build());
}

/** The {@link FetchEvent} fields of a fetch that ended with `loaded` (200 or 304). @internal */
export function fetchSucceeded(
  loaded: { maxAge: number } | { maxAge: number; notModified: true },
  start: number,
  background: boolean,
): Pick<FetchEvent, 'outcome' | 'status' | 'maxAge' | 'error' | 'background' | 'duration'> {
  const notModified = 'notModified' in loaded;
  return {
    outcome: notModified ? 'not-modified' : 'ok',
    status: notModified ? 304 : 200,
    maxAge: loaded.maxAge,
    error: undefined,
    background,
    duration: secondsSince(start),
  };
}

/** The {@link FetchEvent} fields of a fetch that failed with `err`. @internal */
export function fetchFailed(
  err: unknown,
  start: number,
  background: boolean,
): Pick<FetchEvent, 'outcome' | 'status' | 'maxAge' | 'error' | 'background' | 'duration'> {
  // Operators read what the client does not: a 5xx's cause, with the URL that failed.
  const detail = err instanceof OAuthError && err.status >= 500 && err.cause instanceof Error ? err.cause : err;
  return {
    outcome: 'failed',
    status: undefined,
    maxAge: undefined,
    error: redact((detail as Error)?.message) ?? 'unknown error',
    background,
    duration: secondsSince(start),
  };
}

/** Seconds elapsed since `start` (a `performance.now()` reading). @internal */
export function secondsSince(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1e6;
}

/** Removes credentials from URLs that may appear in an error message. @internal */
export function redact(message: string | undefined): string | undefined {
  return message?.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
}
