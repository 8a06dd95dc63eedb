/**
 * The public API of `resource-guard`, without the global `req.auth` type: what
 * `resource-guard/no-augmentation` declares. `index.ts` adds that type for `resource-guard`.
 */
export { createGuard } from './guard.js';
export type { Guard } from './guard.js';
export type { AuthenticateOptions } from './express/middleware.js';
export type { AuthenticatedRequest, AuthenticatedHandler } from './express/authorize.js';
export type { AuthInfo } from './auth/info.js';
export type { VerifyOptions } from './guard.js';
export type { AuthLevel, ClaimRule, ClaimRules, ClaimScalar, RequireAuthOptions } from './auth/rules.js';
export { OAuthError, renderChallenge } from './errors/oauth-error.js';
export { oauthErrorHandler } from './express/error-handler.js';
export type { CallWithParentheses } from './errors/misuse.js';
export { CHANNELS } from './events/channels.js';
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
} from './events/channels.js';
export { GuardNotReadyError } from './operations/readiness.js';
export type { ReadinessFailure } from './operations/readiness.js';
export type { GuardHealth, IssuerHealth, DocumentHealth, IntrospectionHealth, HealthStatus } from './operations/health.js';
export type { OAuthErrorCode, ChallengeParams, AuthScheme } from './errors/oauth-error.js';
export type { DpopMode, DpopNonceOptions, SenderConstraintOptions } from './options/sender.js';
export type { VerifyRequest } from './verify/sender.js';
export { DEFAULTS } from './options/normalize.js';
export type {
  GuardOptions,
  GuardBaseOptions,
  RecipientOptions,
  IntrospectionOptions,
  IntrospectionAuth,
  JwsAlgorithm,
  TokenLocation,
} from './options/normalize.js';
export type { ProtectedResourceMetadata } from './express/metadata.js';
export type { AuthorizationServerMetadata } from './remote/discovery.js';
export { memoryStore } from './store/memory.js';
export type { Store, MemoryStore, MemoryStoreOptions } from './store/memory.js';
