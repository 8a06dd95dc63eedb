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
  | { kind: 'large-pool'; alg: BenchAlg }
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
  /** Measured seconds per round (after the warm-up); the pool scenarios measure a number of tokens instead (`tokens.ts`). */
  duration: number;
}

/** The distinct tokens of a `pool-*` scenario: each measured once per run, a share per round. */
export const POOL_SIZE = 10_000;
/** Distinct tokens of the warm-up of the pool scenarios, never used in the measured run. */
export const WARMUP_POOL_SIZE = 2_000;
/** The distinct tokens of the pool larger than the token cache (default: 10,000 entries). */
export const LARGE_POOL_SIZE = 100_000;
/**
 * Distinct tokens resource-guard sees before its measured window in the large-pool
 * scenario: more than its cache holds (10,000 entries by default; ~1.5 kB of the 16 MiB
 * byte bound each), so the cache is full and every measured token evicts one.
 */
export const CACHE_FILL = 12_000;
/** Tokens measured per round in the large-pool scenario. */
export const LARGE_MEASURED = 5_000;

const JWT_PEERS: MiddlewareId[] = ['jose', 'auth0', 'express-jwt', 'resource-guard'];

/**
 * Every scenario, in the order a round measures them (alternate rounds reverse it). Cells a
 * target compares sit next to each other (see {@link measureOrder}).
 */
export function scenarios(duration: number): Scenario[] {
  const count = (n: number) => n.toLocaleString('en');
  return [
    { id: 'reuse-RS256', title: 'one RS256 token reused', tokens: { kind: 'single', alg: 'RS256' }, expect: 200, middlewares: ['none', ...JWT_PEERS], floor: 'jose', duration },
    { id: 'opaque', title: 'one opaque token reused, introspection cache warm', tokens: { kind: 'opaque' }, expect: 200, middlewares: ['none', 'introspect', 'resource-guard'], floor: 'introspect', duration },
    { id: 'bad-signature', title: 'invalid signature (RS256, known kid), reused', tokens: { kind: 'bad-signature', alg: 'RS256' }, expect: 401, middlewares: JWT_PEERS, baselineFrom: 'reuse-RS256', floor: 'jose', duration },
    { id: 'no-token', title: 'no Authorization header', tokens: { kind: 'none' }, expect: 401, middlewares: JWT_PEERS, baselineFrom: 'reuse-RS256', floor: 'jose', duration },
    { id: 'pool-RS256', title: `${count(POOL_SIZE)} distinct RS256 tokens`, tokens: { kind: 'pool', alg: 'RS256' }, expect: 200, middlewares: JWT_PEERS, baselineFrom: 'reuse-RS256', floor: 'jose', duration },
    { id: 'bad-signature-pool', title: `${count(POOL_SIZE)} distinct invalid signatures (RS256, known kid)`, tokens: { kind: 'bad-pool', alg: 'RS256' }, expect: 401, middlewares: ['jose', 'resource-guard'], baselineFrom: 'reuse-RS256', floor: 'jose', duration },
    { id: 'pool-ES256', title: `${count(POOL_SIZE)} distinct ES256 tokens`, tokens: { kind: 'pool', alg: 'ES256' }, expect: 200, middlewares: JWT_PEERS, baselineFrom: 'reuse-RS256', floor: 'jose', duration },
    { id: 'pool-EdDSA', title: `${count(POOL_SIZE)} distinct EdDSA tokens`, tokens: { kind: 'pool', alg: 'EdDSA' }, expect: 200, middlewares: JWT_PEERS, baselineFrom: 'reuse-RS256', floor: 'jose', duration },
    {
      id: 'pool100k-RS256',
      title: `${count(LARGE_POOL_SIZE)} distinct RS256 tokens, more than the token cache holds`,
      tokens: { kind: 'large-pool', alg: 'RS256' },
      expect: 200,
      middlewares: JWT_PEERS,
      baselineFrom: 'reuse-RS256',
      floor: 'jose',
      duration,
    },
  ];
}

/**
 * The middlewares of a scenario in the order a round measures them: bare Express, then
 * resource-guard, then its floor, then the peers, so each ratio a target takes compares
 * two servers measured one after the other.
 */
export function measureOrder(scenario: Scenario): MiddlewareId[] {
  const rank = (m: MiddlewareId) => (m === 'none' ? 0 : m === 'resource-guard' ? 1 : m === scenario.floor ? 2 : 3);
  return [...scenario.middlewares].sort((a, b) => rank(a) - rank(b));
}
