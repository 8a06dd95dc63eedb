/**
 * The HTTP matrix: scenarios × middlewares, and what each cell must answer.
 */
import type { BenchAlg } from './as.js';
import type { MiddlewareId } from './server.js';

/** Letters used in the tables, as in issue 6. */
export const LETTER: Record<MiddlewareId, string> = {
  none: '(a)',
  jose: '(b)',
  auth0: '(c)',
  'express-jwt': '(d)',
  'resource-guard': '(e)',
  introspect: '(f)',
};

export const LABEL: Record<MiddlewareId, string> = {
  none: 'bare Express',
  jose: 'jose floor',
  auth0: 'express-oauth2-jwt-bearer',
  'express-jwt': 'express-jwt + jwks-rsa',
  'resource-guard': 'resource-guard',
  introspect: 'hand-written introspection',
};

export type TokenSet =
  | { kind: 'single'; alg: BenchAlg }
  | { kind: 'pool'; alg: BenchAlg }
  | { kind: 'bad-signature'; alg: BenchAlg }
  | { kind: 'bad-pool'; alg: BenchAlg }
  | { kind: 'none' }
  | { kind: 'opaque' };

export interface Scenario {
  id: string;
  title: string;
  tokens: TokenSet;
  /** Status every authenticating middleware must answer (bare Express always answers 200). */
  expect: 200 | 401;
  middlewares: MiddlewareId[];
  /** Scenario whose (a) cell is the baseline when this one has none (same request shape). */
  baselineFrom?: string;
  /** The per-request floor the ratios compare with: (b) for JWTs, (f) for opaque tokens. */
  floor: MiddlewareId;
  /** Measured seconds (after the warm-up); the pool scenarios measure exactly `POOL_SIZE` requests instead. */
  duration: number;
  /**
   * Scenarios of one group are measured in one rotation (see run.ts), so the cells a target
   * compares across scenarios (a rejection against a valid token, opaque tokens against bare
   * Express) see the same machine. Default: the scenario's own id.
   */
  group?: string;
}

export const POOL_SIZE = 10_000;
/** Distinct tokens of the warm-up of the pool scenarios, never used in the measured run. */
export const WARMUP_POOL_SIZE = 2_000;

/** Requests measured: the pool scenarios send each of their tokens exactly once. */
export function amountOf(scenario: Scenario): number | undefined {
  return scenario.tokens.kind === 'pool' || scenario.tokens.kind === 'bad-pool' ? POOL_SIZE : undefined;
}

const JWT_PEERS: MiddlewareId[] = ['jose', 'auth0', 'express-jwt', 'resource-guard'];

/** Seconds a pool scenario is expected to take (it measures `POOL_SIZE` requests, not a duration): for planning only. */
const POOL_SECONDS = 5;

export function scenarios(long: number, short: number): Scenario[] {
  return [
    { id: 'reuse-RS256', title: 'one RS256 token reused', tokens: { kind: 'single', alg: 'RS256' }, expect: 200, middlewares: ['none', ...JWT_PEERS], floor: 'jose', duration: long, group: 'reused' },
    { id: 'pool-RS256', title: `${POOL_SIZE.toLocaleString('en')} distinct RS256 tokens`, tokens: { kind: 'pool', alg: 'RS256' }, expect: 200, middlewares: JWT_PEERS, baselineFrom: 'reuse-RS256', floor: 'jose', duration: POOL_SECONDS, group: 'pool-RS256' },
    { id: 'pool-ES256', title: `${POOL_SIZE.toLocaleString('en')} distinct ES256 tokens`, tokens: { kind: 'pool', alg: 'ES256' }, expect: 200, middlewares: JWT_PEERS, baselineFrom: 'reuse-RS256', floor: 'jose', duration: POOL_SECONDS },
    { id: 'pool-EdDSA', title: `${POOL_SIZE.toLocaleString('en')} distinct EdDSA tokens`, tokens: { kind: 'pool', alg: 'EdDSA' }, expect: 200, middlewares: JWT_PEERS, baselineFrom: 'reuse-RS256', floor: 'jose', duration: POOL_SECONDS },
    { id: 'bad-signature', title: 'invalid signature (RS256, known kid), reused', tokens: { kind: 'bad-signature', alg: 'RS256' }, expect: 401, middlewares: JWT_PEERS, baselineFrom: 'reuse-RS256', floor: 'jose', duration: short, group: 'reused' },
    { id: 'bad-signature-pool', title: `${POOL_SIZE.toLocaleString('en')} distinct invalid signatures (RS256, known kid)`, tokens: { kind: 'bad-pool', alg: 'RS256' }, expect: 401, middlewares: ['jose', 'resource-guard'], baselineFrom: 'reuse-RS256', floor: 'jose', duration: POOL_SECONDS, group: 'pool-RS256' },
    { id: 'no-token', title: 'no Authorization header', tokens: { kind: 'none' }, expect: 401, middlewares: JWT_PEERS, baselineFrom: 'reuse-RS256', floor: 'jose', duration: short, group: 'reused' },
    { id: 'opaque', title: 'one opaque token reused, introspection cache warm', tokens: { kind: 'opaque' }, expect: 200, middlewares: ['introspect', 'resource-guard'], baselineFrom: 'reuse-RS256', floor: 'introspect', duration: short, group: 'reused' },
  ];
}
