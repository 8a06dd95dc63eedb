/**
 * Folder `verify/`: the decision, without a framework: the verified-token and refusal caches,
 * events per decision, sender-constrained checks around it. Its one rule: a token and plain
 * request facts in, an `AuthInfo` or an `OAuthError` out; never an Express `req`.
 *
 * Routing, as DESIGN.md decides it: a three-part JWS is verified locally; one local checks
 * cannot decide (HMAC without a secret, a kid the JWKS lacks after the refetch) goes to
 * introspection when it is on, else 401. A JWE and anything else is opaque: introspection
 * or 401. Every error leaving `verify` carries this API's challenge headers.
 */
import { hash as digest } from 'node:crypto';
import { ANY_AUDIENCE, checkAudience, exactAudience, type AudienceCheck } from '../auth/audience.js';
import { checkClient } from '../auth/client.js';
import { toAuthInfo, type AuthInfo } from '../auth/info.js';
import { createMetadataCache, type AuthorizationServerMetadata } from '../remote/discovery.js';
import { OAuthError, type ChallengeContext } from '../errors/oauth-error.js';
import { invalidToken } from '../errors/factories.js';
import { Introspector } from '../introspection/introspector.js';
import type { IntrospectedJwt } from '../introspection/jwt-answer.js';
import { Jwks, type KeyLookup } from '../jwt/jwks.js';
import { DpopProofs } from '../sender/dpop.js';
import { canonicalSpelling } from '../jwt/canonical.js';
import { decodeJws, isPermanentRefusal, verifyJwt } from '../jwt/verify.js';
import { malformedJwtReason } from '../jwt/malformed.js';
import type { GuardConfig } from '../options/normalize.js';
import type { Remote } from '../remote/document.js';
import { senderChallenge } from '../sender/challenge.js';
import { RefusalCache, TokenCache } from './token-cache.js';
import { publishAccepted, publishRejected } from './token-events.js';

/** Longest token `verify` looks at; larger ones are refused unread. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/** A token {@link TokenVerifier.check} accepted, not yet reported. */
export interface Decision {
  auth: AuthInfo;
  /** Decided from a cache rather than now. */
  cached: boolean;
  /** `performance.now()` when the check started, for the event's duration. */
  start: number;
}

/** One issuer's cached state. */
interface IssuerState {
  metadata: Remote<AuthorizationServerMetadata>;
  jwks: Jwks;
}

export class TokenVerifier {
  readonly config: GuardConfig;
  readonly challenge: ChallengeContext;
  readonly issuers = new Map<string, IssuerState>();
  readonly tokenCache: TokenCache | undefined;
  /** Tokens refused for good (bad signature…), so a replayed forgery skips the crypto. */
  readonly refusals: RefusalCache | undefined;
  readonly introspector: Introspector | undefined;
  /**
   * The guard's `audience`: what a call accepts unless its route says otherwise (any `aud`
   * for a guard with `clientIds` alone). The guard's `clientIds` apply to every call.
   */
  readonly audience: AudienceCheck;
  /** DPoP proof checks and their `jti` replay set (RFC 9449). */
  readonly dpop: DpopProofs;

  constructor(config: GuardConfig, challenge: ChallengeContext) {
    this.config = config;
    this.challenge = { ...senderChallenge(config.sender), ...challenge };
    this.dpop = new DpopProofs(config.sender, config);
    this.audience = config.audiences.length === 0 ? ANY_AUDIENCE : exactAudience(config.audiences);
    this.tokenCache =
      config.tokenCache && !config.introspection?.introspectJwt
        ? new TokenCache(config.tokenCache.maxEntries, config.tokenCache.maxBytes, config.clockTolerance, config.maxTokenAge)
        : undefined;
    this.refusals = config.tokenCache
      ? new RefusalCache(config.tokenCache.maxEntries, Math.ceil(config.tokenCache.maxBytes / 8))
      : undefined;
    // With `jwksUri` given, every issuer shares one key set.
    let shared: Jwks | undefined;
    for (const issuer of config.issuers) {
      const metadata = createMetadataCache(issuer, config);
      const jwks =
        shared ??
        new Jwks(
          async () => config.jwksUri ?? jwksUriOf(await metadata.get(), issuer),
          config,
          ({ removed, added }, from) => {
            // Whatever a removed key verified goes, by key identity (not kid), for every issuer
            // sharing the set; a new key may verify a token refused before it was published.
            if (removed.length > 0) this.tokenCache?.purge(from, removed);
            if (added) this.refusals?.clear();
          },
          config.jwksUri !== undefined && config.issuers.length > 1 ? undefined : issuer,
        );
      if (config.jwksUri !== undefined) shared = jwks;
      this.issuers.set(issuer, { metadata, jwks });
    }
    const introspection = config.introspection;
    this.introspector =
      introspection === undefined
        ? undefined
        : new Introspector(config, introspection, async (issuer) => {
            // The configured endpoint is the first issuer's; every other issuer's is in its own
            // metadata. A token never goes to another issuer's server (finding 10b, issue 17).
            if (introspection.endpoint !== undefined && issuer === config.issuers[0]) return introspection.endpoint;
            const metadata = await this.issuers.get(issuer)!.metadata.get();
            return typeof metadata.introspection_endpoint === 'string' ? metadata.introspection_endpoint : undefined;
          });
  }

  /**
   * SHA-256 of the token, base64url: the only form in which tokens become cache keys. Of its
   * one canonical spelling (low-`s` ECDSA, jwt/canonical.ts): both spellings of an ES256/384/512
   * token are one token to every cache.
   */
  hash(token: string): string {
    return digest('sha256', canonicalSpelling(token), 'base64url');
  }

  /**
   * The decision for a token when one is at hand without a promise: the hot path. A
   * remembered refusal throws; a verified JWT or a cached introspection answer is checked
   * against `audience` and the guard's clients (cached decisions hold for every audience) and returned; `undefined`
   * means "call {@link verify}". Refusals are reported; the caller gives them its route's
   * challenge context (`withContext`), once.
   */
  decided(token: string, hash: string, audience: AudienceCheck = this.audience, start = performance.now()): AuthInfo | undefined {
    try {
      const auth = this.#known(token, hash);
      if (auth !== undefined) this.#checkRecipient(auth, audience);
      return auth;
    } catch (err) {
      publishRejected(err, token, this.config.issuers, start);
      throw err;
    }
  }

  /**
   * Verifies `token` for `audience` (default: the guard's); rejects with an `OAuthError`
   * whose headers are ready to send. Reports the outcome (`token:accepted` or `:rejected`).
   */
  async verify(token: string, hash?: string, audience: AudienceCheck = this.audience): Promise<AuthInfo> {
    const { auth, cached, start } = await this.check(token, hash, audience);
    publishAccepted(auth, start, cached);
    return auth;
  }

  /**
   * {@link verify} for callers with checks of their own still to come (a DPoP proof, a
   * certificate binding): refusals are reported here, acceptance is the caller's to report
   * once everything passed, with `start` and `cached` from here.
   */
  async check(token: string, hash?: string, audience: AudienceCheck = this.audience): Promise<Decision> {
    const start = performance.now();
    let key: string | undefined;
    try {
      if (typeof token !== 'string' || token.length === 0) throw invalidToken('empty token');
      if (token.length > MAX_TOKEN_LENGTH) throw invalidToken('token too large');
      key = hash ?? this.hash(token);
      const known = this.#known(token, key);
      const auth = known ?? (await this.#decide(token, key, audience));
      this.#checkRecipient(auth, audience);
      return { auth, cached: known !== undefined, start };
    } catch (err) {
      if (key !== undefined && isPermanentRefusal(err)) this.refusals?.set(key, err.description);
      publishRejected(err, token, this.config.issuers, start);
      throw err instanceof OAuthError ? err.withContext(this.challenge) : err;
    }
  }

  /**
   * Whether the token is for this call: its audience (the route's, else the guard's) and its
   * client (the guard's `clientIds`), two independent checks. Per call, never cached.
   */
  #checkRecipient(auth: AuthInfo, audience: AudienceCheck): void {
    checkAudience(auth, audience);
    checkClient(auth, this.config.clientIds, audience.anyAudience !== true);
  }

  /** What the caches already say about a token: a refusal (thrown), a decision, or nothing. */
  #known(token: string, hash: string): AuthInfo | undefined {
    // A verified token is never refused for good, nor the other way round: the common case first.
    const verified = this.tokenCache?.get(hash);
    if (verified !== undefined) return sameSpelling(verified, token);
    const refused = this.refusals?.get(hash);
    if (refused !== undefined) throw invalidToken(refused);
    // With `introspectJwt`, a JWT's signature is checked on every call before its introspection.
    if (this.config.introspection?.introspectJwt) return undefined;
    const introspected = this.introspector?.cached(token, hash);
    return introspected === undefined ? undefined : sameSpelling(introspected, token);
  }

  async #decide(token: string, hash: string, audience: AudienceCheck): Promise<AuthInfo> {
    const decoded = decodeJws(token);
    if (decoded !== undefined) {
      const result = await verifyJwt(decoded, this.config, this.#resolveKeys);
      if (result.undecided) return this.#introspect(token, hash, result.reason, { issuer: result.issuer, payload: decoded.payload });
      const auth = toAuthInfo(token, 'jwt', result.issuer, result.payload, this.config.scopeClaims);
      if (this.config.introspection?.introspectJwt) {
        // A wrong audience or client is decided locally: no introspection call for it.
        this.#checkRecipient(auth, audience);
        // The answer says whether it is active; the signed JWT keeps its cnf, iss, aud (jwt-answer.ts).
        const introspected = await this.#introspect(token, hash, 'introspection is not available', { issuer: result.issuer, payload: result.payload });
        return toAuthInfo(token, 'jwt', result.issuer, introspected.claims, this.config.scopeClaims);
      }
      this.tokenCache?.set(hash, auth, result.thumbprint, result.hmac ? undefined : this.issuers.get(result.issuer)!.jwks);
      return auth;
    }
    // Not a JWS, so opaque to the guard: introspection decides when it is on. Without it, the
    // refusal says what the token looks like to a developer (a JWT cut short, a JWE, …).
    const isJwe = token.split('.').length === 5;
    return this.#introspect(
      token,
      hash,
      malformedJwtReason(token) ??
        (isJwe ? 'encrypted tokens (JWE) need introspection, which is not configured' : 'opaque tokens need introspection, which is not configured'),
    );
  }

  async #introspect(token: string, hash: string, reasonWithout: string, jwt?: IntrospectedJwt): Promise<AuthInfo> {
    const auth = await this.introspector?.introspect(token, hash, jwt);
    if (auth === undefined) throw invalidToken(reasonWithout);
    return sameSpelling(auth, token);
  }

  #resolveKeys = (issuer: string, alg: string, kid: string | undefined): Promise<KeyLookup> =>
    this.issuers.get(issuer)!.jwks.lookup(alg, kid);
}

function jwksUriOf(metadata: AuthorizationServerMetadata, issuer: string): string {
  if (typeof metadata.jwks_uri !== 'string') {
    throw new OAuthError({
      status: 500,
      code: 'server_error',
      description: `metadata of "${issuer}" has no jwks_uri; set the "jwksUri" option`,
    });
  }
  return metadata.jwks_uri;
}

/**
 * `auth` when it was decided for `token` as spelt. Both ECDSA spellings of a token share one
 * cache key (jwt/canonical.ts); while a decision is remembered, only the spelling it was made
 * for passes, so the other one (`s` replaced by `n − s`, which nobody but someone re-spelling
 * a captured token sends) cannot appear as a second token in logs, audits or deny-lists. Not a
 * remembered refusal: that would refuse the first spelling too.
 */
function sameSpelling(auth: AuthInfo, token: string): AuthInfo {
  if (auth.token !== token) throw invalidToken('invalid signature: another spelling of a token in use');
  return auth;
}

