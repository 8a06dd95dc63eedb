/**
 * `createGuard`: validates the options once and wires the parts together.
 */
import type { Request, RequestHandler } from 'express';
import { exactAudience, type AudienceCheck } from './auth/audience.js';
import type { AuthInfo } from './auth/info.js';
import {
  authenticatedHandler,
  authorizingMiddleware,
  type AuthenticatedHandler,
} from './express/authorize.js';
import {
  authenticateMiddleware,
  metadataMiddleware,
  scopeMiddleware,
  type AuthenticateOptions,
} from './express/middleware.js';
import { metadataUrlOf } from './express/metadata.js';
import { normalizeOptions, type GuardOptions } from './options/normalize.js';
import { checkScopeNames } from './auth/scopes.js';
import { healthOf, type GuardHealth } from './operations/health.js';
import { checkedFactory, type CallWithParentheses } from './errors/misuse.js';
import { ready, warmUp } from './operations/readiness.js';
import { minimalDescription } from './auth/reasons.js';
import { ResourceRegistry } from './express/resources.js';
import {
  compileAuthLevel,
  compileClaimRules,
  compilePolicy,
  type AuthLevel,
  type ClaimRules,
  type RequireAuthOptions,
} from './auth/rules.js';
import { VERIFY_REQUEST_OPTIONS, verifyToken, type VerifyRequest } from './verify/sender.js';
import { checkOptionNames, optionNames } from './errors/unknown-option.js';
import { TokenVerifier } from './verify/verifier.js';

/** Options of `guard.verify()`. */
export interface VerifyOptions {
  /** The audience(s) to accept instead of the guard's `audience` (compared exactly). */
  audience?: string | readonly string[];
  /**
   * The request the token came with, for sender-constrained tokens: the scheme, method, URL,
   * `DPoP` proof (RFC 9449) and client certificate (RFC 8705). Without it, a token bound by
   * `cnf` is refused (401 `invalid_token`): nothing would prove its sender.
   */
  request?: VerifyRequest;
}

const VERIFY_OPTIONS = optionNames<VerifyOptions>({ audience: true, request: true });

/**
 * A configured guard: Express middlewares plus a framework-free `verify`.
 *
 * @typeParam Claims the token claims your handlers rely on, as given to
 * `createGuard<Claims>()`. A type, not a check: use `requireClaims` for what must hold.
 *
 * Every method but `verify`, `ready` and `health` is a factory: call it, and mount the
 * middleware it returns (`app.use(guard.authenticate())`). Mounting the factory itself
 * (`app.use(guard.authenticate)`) is a compile error under strict TypeScript, and at run time
 * each such request fails at once with a 500 whose message says what to write. The trailing
 * `notAMiddleware` parameters exist only for that check; no call passes them.
 */
export interface Guard<Claims extends object = object> {
  /**
   * Verifies a token without Express: resolves with its {@link AuthInfo} or rejects with an
   * `OAuthError` (status, code, description, headers ready to send). Checks the guard's
   * `audience`, or `options.audience` when given.
   *
   * @example
   * ```ts
   * const auth = await guard.verify(token);
   * const billing = await guard.verify(token, { audience: 'https://api.example.com/billing' });
   * ```
   */
  verify(token: string, options?: VerifyOptions): Promise<AuthInfo<Claims>>;
  /**
   * Fetches what verifying needs now: each issuer's metadata (checking its `issuer`) and
   * JWKS. Resolves once they are cached; rejects with a `GuardNotReadyError` whose message
   * names each failing document, its URL and the cause. Calling it again re-checks (a
   * cached, fresh document costs nothing). Without it the first request warms up.
   *
   * @example
   * ```ts
   * await guard.ready(); // fail the deployment now, not at the first request
   * app.listen(3000);
   * ```
   */
  ready(): Promise<void>;
  /**
   * A plain, JSON-serialisable report of what the guard knows about its authorization
   * servers: per issuer the metadata and JWKS age, freshness, last fetch error (message
   * only), whether cached keys are served stale, circuit-breaker state; introspection and
   * token cache sizes; and an overall `status` (`ok`, `starting`, `degraded`, `down`). No I/O.
   *
   * @example
   * ```ts
   * app.get('/healthz', (req, res) => {
   *   const health = guard.health();
   *   res.status(health.status === 'down' ? 503 : 200).json(health);
   * });
   * ```
   */
  health(): GuardHealth;
  /**
   * Middleware that requires a valid bearer token and sets `req.auth`. Failures reach
   * `next(err)` as `OAuthError`: 401 (no or bad token), 400 (malformed request), 503 (the
   * authorization server could not decide).
   *
   * @example
   * ```ts
   * app.use('/api', guard.authenticate());
   * app.get('/api/me', guard.authenticate({ optional: true }), handler);
   * ```
   */
  authenticate(options?: AuthenticateOptions, ...notAMiddleware: CallWithParentheses[]): RequestHandler;
  /**
   * Middleware that requires every one of `scopes` (403 `insufficient_scope` otherwise).
   * Authenticates first unless this guard did already on this request
   * (a `req.auth` set by anything else, or for another audience, is verified again).
   *
   * @example
   * ```ts
   * app.post('/api/messages', guard.requireScopes('messages:write'), handler);
   * ```
   */
  requireScopes(...scopes: string[]): RequestHandler;
  /**
   * Middleware that requires at least one of `scopes` (403 `insufficient_scope` otherwise).
   * Authenticates first unless this guard did already on this request
   * (a `req.auth` set by anything else, or for another audience, is verified again).
   *
   * @example
   * ```ts
   * app.get('/api/report', guard.requireAnyScope('reports:read', 'admin'), handler);
   * ```
   */
  requireAnyScope(...scopes: string[]): RequestHandler;
  /**
   * Middleware that requires claims of the token to match `rules` (every rule must pass):
   * a value (the claim equals it, or is an array containing it), an array of values (any of
   * them), or a function of the claim's value (only `true` passes). A token without the
   * claim fails. Authenticates first unless this guard did already on this request
   * (a `req.auth` set by anything else, or for another audience, is verified again).
   *
   * Failure: 403 `Bearer error="insufficient_scope", error_description="token claim 'tenant'
   * does not meet this route's requirement"` (no `scope=`: no scope would help). Never 401:
   * the token itself is fine.
   *
   * @example
   * ```ts
   * app.get('/api/acme', guard.requireClaims({ tenant: 'acme' }), handler);
   * app.delete('/api/users/:id', guard.requireClaims({ roles: ['admin', 'owner'] }), handler);
   * app.get('/api/eu', guard.requireClaims({ region: (r) => typeof r === 'string' && r.startsWith('eu-') }), handler);
   * ```
   */
  requireClaims(rules: ClaimRules<Claims>, ...notAMiddleware: CallWithParentheses[]): RequestHandler;
  /**
   * Middleware that runs your own policy: `policy(auth, req)` returns (or resolves with)
   * `true` to go on; anything else refuses. An error it throws or rejects with reaches
   * `next(err)` as it is. Authenticates first unless this guard did already on this request
   * (a `req.auth` set by anything else, or for another audience, is verified again).
   *
   * Refusal: 403 `Bearer error="insufficient_scope", error_description="token not authorized
   * for this request"`, plus `scope="<options.scope>"` when given (and that scope joins the
   * RFC 9728 `scopes_supported`).
   *
   * @example
   * ```ts
   * app.put('/api/docs/:id',
   *   guard.requireAuth((auth, req) => auth.subject === ownerOf(req.params.id), { scope: 'docs:admin' }),
   *   handler);
   * ```
   */
  requireAuth(
    policy: (auth: AuthInfo<Claims>, req: Request) => boolean | PromiseLike<boolean>,
    options?: RequireAuthOptions,
  ): RequestHandler;
  /**
   * Middleware for step-up authentication (RFC 9470): the token's `acr` must be one of
   * `acr`, and its `auth_time` no older than `maxAge` seconds (plus `clockTolerance`) and
   * not in the future (beyond `clockTolerance`).
   * Works the same for JWTs and introspection answers that carry `acr`/`auth_time`.
   * Authenticates first unless this guard did already on this request
   * (a `req.auth` set by anything else, or for another audience, is verified again).
   *
   * Failure: 401 with, exactly,
   * `Bearer error="insufficient_user_authentication", error_description="A different
   * authentication level is required", acr_values="phr phrh", max_age=300, realm=…,
   * resource_metadata=…` ("More recent authentication is required" when `auth_time` is too
   * old, missing or in the future), then the `DPoP algs=…` challenge when DPoP is accepted, as on every 401.
   * The client asks the authorization server for a new token with these `acr_values` and
   * `max_age`. RFC 9728 has no member for these requirements: clients learn them here.
   *
   * @example
   * ```ts
   * app.post('/api/transfers', guard.requireAuthLevel({ acr: ['phr', 'phrh'], maxAge: 300 }), handler);
   * ```
   * @see [RFC 9470 §3 - Authentication Requirements Challenge](https://www.rfc-editor.org/rfc/rfc9470#section-3)
   */
  requireAuthLevel(level: AuthLevel, ...notAMiddleware: CallWithParentheses[]): RequestHandler;
  /**
   * A route handler whose `req.auth` is set and typed with the guard's `Claims`.
   * Authenticates first unless this guard did already on this request
   * (a `req.auth` set by anything else is verified again); what the handler throws or rejects
   * with reaches `next(err)` (Express 4 too).
   *
   * @example
   * ```ts
   * const guard = createGuard<{ tenant: string }>({ issuer, audience });
   * app.get('/api/tenant', guard.requireScopes('tenant:read'), guard.handler((req, res) => {
   *   res.json({ tenant: req.auth.claims.tenant }); // string
   * }));
   * ```
   */
  handler(handler: AuthenticatedHandler<Claims>, ...notAMiddleware: CallWithParentheses[]): RequestHandler;
  /**
   * Serves this API's RFC 9728 protected resource metadata.
   *
   * @throws {TypeError} when the guard has no resource identifier: neither `audience` nor
   * `resource` was given (a guard configured with `clientIds` alone). Set `resource`.
   * @example
   * ```ts
   * app.get('/.well-known/oauth-protected-resource', guard.metadata());
   * ```
   * @see [RFC 9728 §3](https://www.rfc-editor.org/rfc/rfc9728#section-3)
   */
  metadata(...notAMiddleware: CallWithParentheses[]): RequestHandler;
}

/**
 * Creates a guard for one API. Validates `options` at once: a bad option throws a
 * `TypeError` naming it. Nothing is fetched until the first request.
 *
 * @example
 * ```ts
 * const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com' });
 * app.use('/api', guard.authenticate());
 * app.get('/api/messages', guard.requireScopes('messages:read'), handler);
 * ```
 */
export function createGuard<Claims extends object = object>(options: GuardOptions): Guard<Claims> {
  const config = normalizeOptions(options);
  // A check that was asked for but is off must not stay silent (DESIGN: introspection needs client auth).
  if (config.introspectionOff !== undefined) {
    process.emitWarning(`introspection is off: ${config.introspectionOff}`, { code: 'RESOURCE_GUARD_INTROSPECTION_OFF' });
  }
  const verifier = new TokenVerifier(config, {
    realm: config.realm,
    resourceMetadata: config.resource === undefined ? undefined : metadataUrlOf(config.resource)?.href,
    describe: config.errorDetail === 'minimal' ? minimalDescription : undefined,
  });
  if (config.warmup) warmUp(verifier);
  const declaredScopes = new Set<string>();
  const resources = new ResourceRegistry(config.resource);
  const declare = (scopes: string[], method: string) => {
    const checked = checkScopeNames(scopes, method);
    for (const scope of checked) declaredScopes.add(scope);
    return checked;
  };
  return {
    // Claims is a promise the caller makes about its tokens' claims; nothing at run time differs.
    verify: async (token, verifyOptions) =>
      (await verifyToken(verifier, token, checkVerifyOptions(verifyOptions)?.request, verifyAudience(verifyOptions))) as unknown as AuthInfo<Claims>,
    ready: () => ready(verifier),
    health: () => healthOf(verifier),
    // Each factory fails a request at once when Express is handed the factory itself (misuse.ts).
    authenticate: checkedFactory('guard.authenticate', 'guard.authenticate()', (authOptions?: AuthenticateOptions) =>
      authenticateMiddleware(verifier, authOptions, resources),
    ),
    requireScopes: checkedFactory('guard.requireScopes', "guard.requireScopes('scope', …)", (...scopes: string[]) =>
      scopeMiddleware(verifier, declare(scopes, 'requireScopes'), 'all'),
    ),
    requireAnyScope: checkedFactory('guard.requireAnyScope', "guard.requireAnyScope('scope', …)", (...scopes: string[]) =>
      scopeMiddleware(verifier, declare(scopes, 'requireAnyScope'), 'any'),
    ),
    requireClaims: checkedFactory('guard.requireClaims', 'guard.requireClaims({ … })', (rules: ClaimRules<Claims>) =>
      authorizingMiddleware(verifier, compileClaimRules(rules), 'requireClaims'),
    ),
    requireAuth: checkedFactory(
      'guard.requireAuth',
      'guard.requireAuth((auth, req) => …)',
      (policy: (auth: AuthInfo<Claims>, req: Request) => boolean | PromiseLike<boolean>, authOptions?: RequireAuthOptions) => {
        const { check, scopes } = compilePolicy(policy as (auth: AuthInfo, req: Request) => boolean | PromiseLike<boolean>, authOptions);
        for (const scope of scopes) declaredScopes.add(scope);
        return authorizingMiddleware(verifier, check, 'requireAuth');
      },
    ),
    requireAuthLevel: checkedFactory('guard.requireAuthLevel', 'guard.requireAuthLevel({ acr, maxAge })', (level: AuthLevel) =>
      authorizingMiddleware(verifier, compileAuthLevel(level, config.clockTolerance), 'requireAuthLevel'),
    ),
    handler: checkedFactory('guard.handler', 'guard.handler((req, res) => …)', (handler: AuthenticatedHandler<Claims>) =>
      authenticatedHandler(verifier, handler),
    ),
    metadata: checkedFactory('guard.metadata', 'guard.metadata()', () => {
      if (config.resource === undefined) {
        throw new TypeError('metadata(): this API has no resource identifier: set the "resource" option (or "audience")');
      }
      return metadataMiddleware(verifier, declaredScopes, resources);
    }),
  };
}

function checkVerifyOptions(options: VerifyOptions | undefined): VerifyOptions | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw new TypeError('verify(): options must be an object');
  checkOptionNames(options, VERIFY_OPTIONS, 'verify()');
  if (typeof options.request === 'object' && options.request !== null) {
    checkOptionNames(options.request, VERIFY_REQUEST_OPTIONS, 'verify()', 'request.');
  }
  return options;
}

function verifyAudience(options: VerifyOptions | undefined): AudienceCheck | undefined {
  const audience = options?.audience;
  if (audience === undefined) return undefined;
  const list = typeof audience === 'string' ? [audience] : audience;
  if (!Array.isArray(list) || list.length === 0 || list.some((a) => typeof a !== 'string' || a.length === 0)) {
    throw new TypeError('verify(): "audience" must be a non-empty string or array of strings');
  }
  return exactAudience(list);
}
