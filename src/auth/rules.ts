/**
 * Authorization beyond scopes, framework-free: claim rules (`requireClaims`), a route's own
 * policy (`requireAuth`) and the user's authentication level (`requireAuthLevel`, RFC 9470).
 *
 * Each compiles its options once, at start-up (a bad option throws a `TypeError` naming it),
 * into a check of a verified `AuthInfo` that returns `undefined` or the `OAuthError` to
 * answer with. A claim or policy refusal is 403 `insufficient_scope`: the token is fine, it
 * just does not grant this. A login too weak or too old is 401
 * `insufficient_user_authentication`, so the client can send the user back to log in.
 *
 * None of them checks the shape of claims beyond what the rule reads, nor trusts a claim
 * the token does not carry: a missing claim fails every rule.
 *
 * @see [RFC 6750 §3.1 - Error Codes](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
 * @see [RFC 9470 §3 - Authentication Requirements Challenge](https://www.rfc-editor.org/rfc/rfc9470#section-3)
 * @see [RFC 9068 §2.2.1 - Authentication Information Claims](https://www.rfc-editor.org/rfc/rfc9068#section-2.2.1)
 */
import type { AuthInfo } from './info.js';
import { type OAuthError } from '../errors/oauth-error.js';
import { insufficientScope, insufficientUserAuthentication } from '../errors/factories.js';
import { checkOptionNames, optionNames } from '../errors/unknown-option.js';
import { checkScopeNames } from './scopes.js';

/** A claim value a rule can compare with `===`. */
export type ClaimScalar = string | number | boolean | null;

type ElementOf<V> = V extends readonly (infer E)[] ? E : V;

/** What a rule may expect of a claim typed `V`: one of its values (an element, for arrays). */
export type ClaimExpectation<V> = unknown extends V ? ClaimScalar : Extract<ElementOf<V>, ClaimScalar>;

/**
 * One claim's rule:
 * - a value: the claim equals it, or is an array that contains it;
 * - an array of values: any of them (the claim equals one, or is an array containing one);
 * - a function: called with the claim's value when the token has the claim; only `true` passes.
 */
export type ClaimRule<V = unknown> =
  | ClaimExpectation<V>
  | readonly ClaimExpectation<V>[]
  | ((value: Exclude<V, undefined>) => boolean);

/**
 * Rules for `guard.requireClaims()`, keyed by claim name; every rule must pass. With declared
 * `Claims`, only their names, with their value types; without, any claim name.
 */
export type ClaimRules<Claims extends object = object> = [keyof Claims] extends [never]
  ? { readonly [claim: string]: ClaimRule | undefined }
  : { readonly [K in keyof Claims & string]?: ClaimRule<Claims[K]> };

/** A check of a verified token: `undefined` to go on, or the error to answer with. */
export type TokenCheck = (auth: AuthInfo) => OAuthError | undefined;

/** Compiles `guard.requireClaims(rules)`. */
export function compileClaimRules(rules: object): TokenCheck {
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) {
    throw new TypeError('requireClaims() needs an object of claim rules, such as { tenant: "acme" }');
  }
  const tests = Object.entries(rules)
    .filter(([, rule]) => rule !== undefined)
    .map(([claim, rule]) => [claim, toClaimTest(claim, rule)] as const);
  if (tests.length === 0) throw new TypeError('requireClaims() needs at least one claim rule');
  return (auth) => {
    const claims = auth.claims as Record<string, unknown>;
    for (const [claim, test] of tests) {
      const value = Object.hasOwn(claims, claim) ? claims[claim] : undefined;
      if (value === undefined || !test(value)) {
        return insufficientScope([], `token claim '${claim}' does not meet this route's requirement`);
      }
    }
    return undefined;
  };
}

function toClaimTest(claim: string, rule: unknown): (value: unknown) => boolean {
  if (typeof rule === 'function') return (value) => (rule as (v: unknown) => unknown)(value) === true;
  const expected: unknown[] = Array.isArray(rule) ? rule : [rule];
  if (expected.length === 0 || !expected.every(isClaimScalar)) {
    throw new TypeError(
      `requireClaims(): the rule for "${claim}" must be a string, number, boolean or null, a non-empty array of them, or a function`,
    );
  }
  const accepted: readonly unknown[] = expected;
  return (value) => (Array.isArray(value) ? value.some((v) => accepted.includes(v)) : accepted.includes(value));
}

function isClaimScalar(value: unknown): value is ClaimScalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** Options of `guard.requireAuth()`. */
export interface RequireAuthOptions {
  /**
   * Scope(s), space-separated, that would grant what the policy checks: the 403 names them
   * in `scope=` (RFC 6750 §3) and the RFC 9728 document lists them. Default: none; the 403
   * then carries only `error="insufficient_scope"` and a description.
   */
  scope?: string;
}

const REQUIRE_AUTH_OPTIONS = optionNames<RequireAuthOptions>({ scope: true });

/** Compiles `guard.requireAuth(policy, options)`; the policy's own errors propagate. */
export function compilePolicy<Req>(
  policy: (auth: AuthInfo, req: Req) => boolean | PromiseLike<boolean>,
  options: RequireAuthOptions = {},
): { check: (auth: AuthInfo, req: Req) => OAuthError | undefined | PromiseLike<OAuthError | undefined>; scopes: readonly string[] } {
  if (typeof policy !== 'function') throw new TypeError('requireAuth() needs a function (auth, req) => boolean');
  if (typeof options !== 'object' || options === null) throw new TypeError('requireAuth(): options must be an object');
  checkOptionNames(options, REQUIRE_AUTH_OPTIONS, 'requireAuth()');
  const { scope } = options;
  if (scope !== undefined && typeof scope !== 'string') throw new TypeError('requireAuth(): "scope" must be a string');
  const scopes = scope === undefined ? [] : checkScopeNames(scope.split(' ').filter(Boolean), 'requireAuth');
  const refuse = () => insufficientScope(scopes, 'token not authorized for this request');
  const decide = (allowed: unknown) => (allowed === true ? undefined : refuse());
  return {
    scopes,
    check: (auth, req) => {
      const allowed = policy(auth, req);
      return isThenable(allowed) ? Promise.resolve(allowed).then(decide) : decide(allowed);
    },
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

/** What `guard.requireAuthLevel()` requires of the login behind the token (RFC 9470). */
export interface AuthLevel {
  /**
   * Accepted authentication context classes: the token's `acr` claim must be one of these.
   * The challenge lists them, in this order of preference, as `acr_values`.
   */
  acr?: string | readonly string[];
  /**
   * Seconds since the user last actively authenticated: the token's `auth_time` claim must
   * be no older than this (plus the guard's `clockTolerance`), and not in the future (beyond
   * `clockTolerance`). The challenge says `max_age`.
   */
  maxAge?: number;
}

const AUTH_LEVEL_OPTIONS = optionNames<AuthLevel>({ acr: true, maxAge: true });

/** Compiles `guard.requireAuthLevel(level)`. */
export function compileAuthLevel(level: AuthLevel, clockTolerance: number): TokenCheck {
  if (typeof level !== 'object' || level === null) {
    throw new TypeError('requireAuthLevel() needs { acr, maxAge } (one of them at least)');
  }
  checkOptionNames(level, AUTH_LEVEL_OPTIONS, 'requireAuthLevel()');
  const acr = level.acr === undefined ? undefined : acrList(level.acr);
  const { maxAge } = level;
  if (maxAge !== undefined && (typeof maxAge !== 'number' || !Number.isSafeInteger(maxAge) || maxAge < 0)) {
    throw new TypeError(`requireAuthLevel(): "maxAge" must be a whole number of seconds >= 0 (got ${String(maxAge)})`);
  }
  if (acr === undefined && maxAge === undefined) {
    throw new TypeError('requireAuthLevel() needs "acr", "maxAge" or both');
  }
  // Both requirements go in every challenge: the client learns all it must ask for at once.
  const requirement = { acr_values: acr?.join(' '), max_age: maxAge };
  return (auth) => {
    const claims = auth.claims as Record<string, unknown>;
    if (acr !== undefined && (typeof claims.acr !== 'string' || !acr.includes(claims.acr))) {
      return insufficientUserAuthentication('A different authentication level is required', requirement);
    }
    if (maxAge !== undefined) {
      const authTime = claims.auth_time;
      const age = typeof authTime === 'number' && Number.isFinite(authTime) ? Date.now() / 1000 - authTime : Infinity;
      // A login in the future (beyond the clock tolerance) is no proof of a recent one.
      if (age > maxAge + clockTolerance || age < -clockTolerance) {
        return insufficientUserAuthentication('More recent authentication is required', requirement);
      }
    }
    return undefined;
  };
}

function acrList(acr: string | readonly string[]): readonly string[] {
  const list: unknown[] = typeof acr === 'string' ? [acr] : Array.isArray(acr) ? acr : [];
  if (list.length === 0) throw new TypeError('requireAuthLevel(): "acr" must be a non-empty string or array of strings');
  for (const value of list) {
    // acr_values is a space-separated list in a quoted-string: no spaces, quotes or backslashes.
    if (typeof value !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(value)) {
      throw new TypeError(`requireAuthLevel(): ${JSON.stringify(value)} is not a usable acr value`);
    }
  }
  return Object.freeze([...new Set(list as string[])]);
}
