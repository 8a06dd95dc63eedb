/**
 * How each middleware of a guard authenticates a request: the credentials it finds, the
 * route's audience, then the core's decision; success sets `req.auth` and hands the request
 * to the middleware's own next step, a refusal goes to `next(err)` with the route's challenge.
 *
 * The parts fixed when the middleware is created (the guard, `optional`, the `dpop` mode, the
 * next step) are fields of an {@link Authentication}; what belongs to one request travels in
 * an {@link Attempt}, made only when the decision is not at hand. A token decided before is
 * answered without a promise, a closure or an object of its own: that is most traffic.
 */
import type { NextFunction, Request, Response } from 'express';
import { extractCredentials, type Credentials } from '../auth/extract.js';
import type { AuthInfo } from '../auth/info.js';
import { OAuthError } from '../errors/oauth-error.js';
import { missingToken } from '../errors/factories.js';
import type { DpopMode } from '../options/sender.js';
import { withSenderChallenge } from '../sender/challenge.js';
import { authenticateSender, isPlainBearer } from '../verify/sender.js';
import { publishAccepted, publishRejected } from '../verify/token-events.js';
import type { TokenVerifier } from '../verify/verifier.js';
import { keepPrivate } from './cache-control.js';
import { recallHeader, rememberHeader } from './connection-memo.js';
import { repeatsAuthorization, senderRequestOf, tokenSourceOf } from './request.js';
import { routeOf, type RouteContext } from './route.js';
import { vouch } from './trust.js';

/** What a middleware does once the request is authenticated (`req.auth` set, or left unset when optional). */
export type Continuation = (req: Request, res: Response, next: NextFunction) => void;

/** Authenticates requests for one middleware, then calls its {@link Continuation}. */
export class Authentication {
  /** The guard reads the `Authorization` header only, so a connection's last one can be recalled. */
  readonly headerOnly: boolean;

  constructor(
    readonly verifier: TokenVerifier,
    readonly optional: boolean,
    readonly dpop: DpopMode,
    readonly then: Continuation,
  ) {
    const locations = verifier.config.tokenLocations;
    this.headerOnly = locations.size === 1 && locations.has('header');
  }

  /** Authenticates `req` for its route's audience (`route.ts`); refusals reach `next(err)`. */
  run(req: Request, res: Response, next: NextFunction): void {
    const { verifier, dpop } = this;
    const route = routeOf(req, verifier);
    const start = performance.now();
    const repeats = repeatsAuthorization(req);
    const recalled = this.headerOnly && !repeats ? recallHeader(req) : undefined;
    let credentials: Credentials | undefined = recalled?.credentials;
    if (recalled === undefined) {
      try {
        credentials = extractCredentials(tokenSourceOf(req, repeats), verifier.config.tokenLocations, dpop !== 'disabled');
      } catch (err) {
        publishRejected(err, undefined, verifier.config.issuers, start);
        return next(this.withChallenge(err, route, undefined));
      }
    }
    if (credentials === undefined) {
      if (this.optional) {
        // "req.auth unset" without a token: whatever else put one there, this guard vouches for none.
        if (req.auth !== undefined) delete req.auth;
        return this.then(req, res, next);
      }
      const missing = missingToken();
      publishRejected(missing, undefined, verifier.config.issuers, start);
      return next(this.withChallenge(missing, route, undefined));
    }
    if (credentials.location === 'query') keepPrivate(res);
    let hash = recalled?.hash;
    if (hash === undefined) {
      hash = verifier.hash(credentials.token);
      if (this.headerOnly && credentials.scheme === 'Bearer') rememberHeader(req, credentials, hash);
    }
    if (credentials.scheme === 'Bearer' && dpop !== 'required') {
      // The hot path: a token decided before (accepted or refused) is answered here, at once.
      let known: AuthInfo | undefined;
      try {
        known = verifier.decided(credentials.token, hash, route.audience, start);
      } catch (err) {
        return next(this.withChallenge(err, route, credentials.scheme));
      }
      if (known === undefined) return new Attempt(this, req, res, next, credentials, hash, route, start).firstSight();
      if (isPlainBearer(known, credentials.scheme, dpop)) {
        publishAccepted(known, start, true);
        vouch(verifier, req, known);
        return this.then(req, res, next);
      }
    }
    new Attempt(this, req, res, next, credentials, hash, route, start).bound();
  }

  /** `err` with the route's challenge for the request's scheme (none yet: every accepted one). */
  withChallenge(err: unknown, route: RouteContext, scheme: Credentials['scheme'] | undefined): unknown {
    return err instanceof OAuthError ? err.withContext(withSenderChallenge(route.challenge, this.verifier.config.sender, this.dpop, scheme)) : err;
  }
}

/** One request whose decision needs a promise: a token seen for the first time, or a bound one. */
class Attempt {
  constructor(
    private readonly authentication: Authentication,
    private readonly req: Request,
    private readonly res: Response,
    private readonly next: NextFunction,
    private readonly credentials: Credentials,
    private readonly hash: string,
    private readonly route: RouteContext,
    private readonly start: number,
  ) {}

  /** First sight of a bearer token: only a `cnf` in it needs the sender checks. */
  firstSight(): void {
    const { verifier, dpop } = this.authentication;
    verifier.check(this.credentials.token, this.hash, this.route.audience).then(({ auth, cached }) => {
      if (!isPlainBearer(auth, this.credentials.scheme, dpop)) return this.bound();
      publishAccepted(auth, this.start, cached);
      this.accept(auth);
    }, this.refuse);
  }

  /** DPoP and certificate-bound tokens: the proof and certificate are checked on every request, cache hit or not. */
  bound(): void {
    const { verifier, dpop } = this.authentication;
    const facts = () => senderRequestOf(this.req, verifier.config.sender);
    authenticateSender(verifier, this.credentials, facts, dpop, this.hash, this.route.audience).then(({ auth, nonce }) => {
      if (nonce !== undefined) this.res.setHeader('DPoP-Nonce', nonce);
      this.accept(auth);
    }, this.refuse);
  }

  private accept(auth: AuthInfo): void {
    vouch(this.authentication.verifier, this.req, auth);
    this.authentication.then(this.req, this.res, this.next);
  }

  private readonly refuse = (err: unknown): void => {
    this.next(this.authentication.withChallenge(err, this.route, this.credentials.scheme));
  };
}
