/**
 * The payload of every `resource-guard:*` channel: plain objects of strings, numbers,
 * booleans and string arrays, never a token, a hash of one, a secret or a body (channels.ts
 * says why and how they are published).
 */
import type { RejectionReason } from '../auth/reasons.js';
import type { OAuthErrorCode } from '../errors/oauth-error.js';

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
