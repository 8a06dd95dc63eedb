/**
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
import type { OAuthErrorCode } from '../errors/oauth-error.js';

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

/**
 * Why a token was refused, as a short stable code with a bounded set of values (fit for a
 * metrics label). `description` in the event says it in words.
 */
export type RejectionReason =
  | 'missing'
  | 'malformed_request'
  | 'malformed'
  | 'too_large'
  | 'algorithm'
  | 'type'
  | 'issuer'
  | 'unknown_key'
  | 'signature'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  | 'claims'
  | 'inactive'
  | 'not_verifiable'
  | 'binding'
  | 'proof'
  | 'step_up'
  | 'unavailable'
  | 'configuration'
  | 'other';

/** `resource-guard:token:accepted` */
export interface TokenAcceptedEvent {
  /** The issuer that vouched for the token (one of the configured issuers). */
  issuer: string;
  tokenType: 'jwt' | 'opaque';
  /** The authorization scheme the token came with. */
  scheme: 'Bearer' | 'DPoP';
  /** `client_id` (or `azp`/`cid`) of the token, when it names one. */
  clientId: string | undefined;
  /** Answered from the verified-token cache, without a signature check. */
  cached: boolean;
  /** Seconds spent deciding. */
  duration: number;
}

/** `resource-guard:token:rejected` */
export interface TokenRejectedEvent {
  /** The HTTP status of the answer: 400, 401, 500 or 503. */
  status: number;
  /** The `OAuthError` code (`invalid_token`, `temporarily_unavailable`, …). */
  code: OAuthErrorCode;
  /** Finer, stable reason. */
  reason: RejectionReason;
  /** The full description, even when clients get a `minimal` one. Never the token. */
  description: string;
  /** The configured issuer the token named; `undefined` when it named none of them. */
  issuer: string | undefined;
  /** `undefined` when no token was presented. */
  tokenType: 'jwt' | 'opaque' | undefined;
  scheme: 'Bearer' | 'DPoP';
  /** Seconds spent deciding. */
  duration: number;
}

/** `resource-guard:authorization:denied` */
export interface AuthorizationDeniedEvent {
  /** 403. */
  status: number;
  code: OAuthErrorCode;
  /** The full description (e.g. which scope was missing). */
  description: string;
  issuer: string;
  tokenType: 'jwt' | 'opaque';
  clientId: string | undefined;
  /** What the route asked for (scopes). */
  required: string[];
}

/** `resource-guard:jwks:fetch` and `resource-guard:metadata:fetch` */
export interface FetchEvent {
  /** The issuer this document belongs to; `undefined` for a `jwksUri` shared by several issuers. */
  issuer: string | undefined;
  /** The URL that answered (metadata: the last one tried). */
  url: string | undefined;
  /** `not-modified`: a conditional request answered 304 and the cached document stays. */
  outcome: 'ok' | 'not-modified' | 'failed';
  /** HTTP status, when an answer arrived. */
  status: number | undefined;
  /** Seconds the document is now fresh for (after clamping), on success. */
  maxAge: number | undefined;
  /** JWKS only: the key ids now cached, on success. */
  kids?: string[] | undefined;
  /** Why it failed; a message without secrets. */
  error: string | undefined;
  /** Started by a read shortly before expiry, without anyone waiting for it. */
  background: boolean;
  /** Seconds the exchange took. */
  duration: number;
}

/** `resource-guard:jwks:stale` and `resource-guard:metadata:stale` */
export interface StaleEvent {
  issuer: string | undefined;
  /** Seconds since the cached document was last fetched successfully. */
  age: number;
  /** Why the refresh failed. */
  error: string | undefined;
}

/** `resource-guard:introspection` */
export interface IntrospectionEvent {
  /**
   * `ok`: the endpoint answered; `failed`: it could not decide (503 to the client);
   * `cache-hit`: a cached answer was used; `joined`: waited on a call already in flight.
   */
  outcome: 'ok' | 'failed' | 'cache-hit' | 'joined';
  /** The endpoint, for `ok` and `failed`. */
  endpoint: string | undefined;
  /** The `active` answer, when one is known. */
  active: boolean | undefined;
  /** Why it failed, for `failed`. */
  error: string | undefined;
  /** Seconds the call took, for `ok` and `failed`; 0 otherwise. */
  duration: number;
}

/** `resource-guard:webhook:verified` */
export interface WebhookVerifiedEvent {
  scheme: 'telnyx' | 'standard';
  /** The provider's delivery id, when known. */
  id: string | undefined;
  /** The same signed delivery was seen before (only with `onReplay: 'allow'`). */
  duplicate: boolean;
  duration: number;
}

/** `resource-guard:webhook:rejected` */
export interface WebhookRejectedEvent {
  scheme: 'telnyx' | 'standard';
  status: number;
  /** The `WebhookError` code (`invalid_signature`, `replayed`, …); `error` for anything else. */
  code: string;
  description: string;
  duration: number;
}

/** The payload of each channel, by name. */
export interface ChannelPayloads {
  'resource-guard:token:accepted': TokenAcceptedEvent;
  'resource-guard:token:rejected': TokenRejectedEvent;
  'resource-guard:authorization:denied': AuthorizationDeniedEvent;
  'resource-guard:jwks:fetch': FetchEvent;
  'resource-guard:jwks:stale': StaleEvent;
  'resource-guard:metadata:fetch': FetchEvent;
  'resource-guard:metadata:stale': StaleEvent;
  'resource-guard:introspection': IntrospectionEvent;
  'resource-guard:webhook:verified': WebhookVerifiedEvent;
  'resource-guard:webhook:rejected': WebhookRejectedEvent;
}

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
  return {
    outcome: 'failed',
    status: undefined,
    maxAge: undefined,
    error: redact((err as Error)?.message) ?? 'unknown error',
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
