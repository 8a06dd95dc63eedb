export { createGuard } from './guard.js';
export type { Guard } from './guard.js';
export type { AuthenticateOptions } from './express.js';
export type { AuthenticatedRequest, AuthenticatedHandler } from './express-authorize.js';
export type { AuthInfo } from './auth-info.js';
export type { VerifyOptions } from './guard.js';
export type { AuthLevel, ClaimRule, ClaimRules, ClaimScalar, RequireAuthOptions } from './rules.js';
export { OAuthError, renderChallenge } from './errors.js';
export { oauthErrorHandler } from './error-handler.js';
export { CHANNELS } from './events.js';
export type {
  ChannelName,
  ChannelPayloads,
  RejectionReason,
  TokenAcceptedEvent,
  TokenRejectedEvent,
  AuthorizationDeniedEvent,
  FetchEvent,
  StaleEvent,
  IntrospectionEvent,
  WebhookVerifiedEvent,
  WebhookRejectedEvent,
} from './events.js';
export { GuardNotReadyError } from './readiness.js';
export type { ReadinessFailure } from './readiness.js';
export type { GuardHealth, IssuerHealth, DocumentHealth, IntrospectionHealth, HealthStatus } from './health.js';
export type { OAuthErrorCode, ChallengeParams, AuthScheme } from './errors.js';
export type { DpopMode, DpopNonceOptions, SenderConstraintOptions } from './sender-options.js';
export type { VerifyRequest } from './sender.js';
export { DEFAULTS } from './options.js';
export type {
  GuardOptions,
  IntrospectionOptions,
  IntrospectionAuth,
  JwsAlgorithm,
  TokenLocation,
} from './options.js';
export type { ProtectedResourceMetadata } from './metadata.js';
export type { AuthorizationServerMetadata } from './discovery.js';
export { memoryStore } from './store.js';
export type { Store, MemoryStore, MemoryStoreOptions } from './store.js';
