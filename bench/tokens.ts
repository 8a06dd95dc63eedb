/**
 * The tokens of a run, and which of them each phase of a cell's round sends.
 *
 * Pools are minted with `crypto.sign` once and kept in `bench/.build/tokens/<key set id>/`
 * (git-ignored; 30-day tokens, minted again when less than a day is left or the keys
 * change): the 100,000-token RS256 pool alone takes 15–30 s of both cores to mint. The
 * load generator reads them from there (a pool crosses IPC as a file name and a range).
 *
 * Every round starts a fresh server, so a token is "first sight" in any round it was not
 * sent earlier in the same round: the `pool-*` scenarios measure a different share of their
 * 10,000 tokens each round (each token once per run), the large pool a different window of
 * its 100,000.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR } from './as-keys.js';
import { ALGS, type AuthorizationServer, type BenchAlg } from './as.js';
import { CACHE_FILL, LARGE_POOL_SIZE, POOL_SIZE, WARMUP_POOL_SIZE, type Scenario } from './cells.js';
import type { AuthSpec } from './load.js';
import type { MiddlewareId } from './server.js';

/** Pool tokens live 30 days, so a pool on disk serves many runs. */
const POOL_LIFETIME = 30 * 86_400;
/** A pool on disk with less than this left (seconds) is minted again. */
const POOL_MIN_LEFT = 86_400;

export interface Pool {
  /** The JSON file the load generator reads (`{ expiresAt, tokens }`). */
  file: string;
  tokens: string[];
}

export interface Tokens {
  single: Record<BenchAlg, string>;
  badSignature: Record<BenchAlg, string>;
  pool: Record<BenchAlg, Pool>;
  /** Each pool token with the next one's signature: distinct forgeries with a known kid. */
  badPool: Record<BenchAlg, Pool>;
  /** Other distinct tokens (valid, and forged) for the warm-up of the pool scenarios. */
  warmPool: Record<BenchAlg, Pool>;
  badWarmPool: Record<BenchAlg, Pool>;
  /** {@link LARGE_POOL_SIZE} distinct RS256 tokens. */
  large: Pool;
  opaque: string;
  unknownOpaque: string;
  /** Pools minted in this run (the others came from disk). */
  minted: string[];
}

function forge(tokens: string[]): string[] {
  return tokens.map((token, i) => {
    const other = tokens[(i + 1) % tokens.length]!;
    return `${token.slice(0, token.lastIndexOf('.'))}${other.slice(other.lastIndexOf('.'))}`;
  });
}

/** `large: false` leaves the 100,000-token pool out (an empty pool): for tools that never measure it. */
export async function mintTokens(as: AuthorizationServer, log: (line: string) => void, { large = true }: { large?: boolean } = {}): Promise<Tokens> {
  const dir = join(BUILD_DIR, 'tokens', as.keySetId);
  mkdirSync(dir, { recursive: true });
  const minted: string[] = [];
  const save = (name: string, tokens: string[], expiresAt: number): Pool => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify({ expiresAt, tokens }));
    return { file, tokens };
  };
  const pool = async (name: string, alg: BenchAlg, count: number): Promise<Pool> => {
    const file = join(dir, `${name}.json`);
    const now = Math.floor(Date.now() / 1000);
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as { expiresAt: number; tokens: string[] };
      if (saved.tokens.length === count && saved.expiresAt - now > POOL_MIN_LEFT) return { file, tokens: saved.tokens };
    } catch {
      // not there yet, or unreadable: mint it
    }
    log(`minting ${count.toLocaleString('en')} ${alg} tokens (${name}); kept in ${dir} for later runs`);
    minted.push(name);
    return save(name, await as.mintPool(alg, count, name, POOL_LIFETIME), now + POOL_LIFETIME);
  };
  const single = {} as Record<BenchAlg, string>;
  const badSignature = {} as Record<BenchAlg, string>;
  const pools = {} as Record<BenchAlg, Pool>;
  const warmPool = {} as Record<BenchAlg, Pool>;
  const badPool = {} as Record<BenchAlg, Pool>;
  const badWarmPool = {} as Record<BenchAlg, Pool>;
  for (const alg of ALGS) {
    single[alg] = await as.mint(alg);
    badSignature[alg] = await as.mintBadSignature(alg);
    pools[alg] = await pool(`pool-${alg}`, alg, POOL_SIZE);
    warmPool[alg] = await pool(`warm-${alg}`, alg, WARMUP_POOL_SIZE);
    const expiresAt = Math.floor(Date.now() / 1000) + POOL_LIFETIME;
    badPool[alg] = save(`bad-pool-${alg}`, forge(pools[alg].tokens), expiresAt);
    badWarmPool[alg] = save(`bad-warm-${alg}`, forge(warmPool[alg].tokens), expiresAt);
  }
  return {
    single,
    badSignature,
    pool: pools,
    badPool,
    warmPool,
    badWarmPool,
    large: large ? await pool('large-RS256', 'RS256', LARGE_POOL_SIZE) : { file: '', tokens: [] },
    opaque: as.mintOpaque(), unknownOpaque: 'b'.repeat(43),
    minted,
  };
}

/** What one phase of a round sends: for `seconds`, or exactly `amount` requests (pools). */
export interface Phase {
  auth: AuthSpec;
  seconds: number;
  amount?: number;
}

export interface PhaseSettings {
  /** Seconds of warm-up for the timed scenarios. */
  warmup: number;
  /** Measured seconds for the timed scenarios. */
  duration: number;
  rounds: number;
  /** Tokens a `pool-*` scenario measures per round (default: its pool shared out over the rounds). */
  poolPerRound: number;
  /** Tokens the large-pool scenario measures per round. */
  largePerRound: number;
}

/** Most seconds a counted phase may take before the load generator gives up. */
const COUNTED_PHASE_LIMIT = 300;

const poolRange = (pool: Pool, from: number, to: number): AuthSpec => ({ kind: 'pool', file: pool.file, from, to });

/**
 * The warm-up and the measured window of one cell in one round. Timed scenarios send their
 * one header (or none) for `warmup`, then `duration` seconds. Pool scenarios warm up on the
 * 2,000 tokens of their warm pool, then measure the round's share of the pool. The large
 * pool gives each round a window of `CACHE_FILL` + measured tokens: resource-guard warms up
 * on all of the fill (its cache must be full), the others on its last 2,000 (they keep no
 * token cache, and the same JIT warm-up as every other pool scenario), then every middleware
 * measures the same tokens.
 */
export function phasesOf(scenario: Scenario, middleware: MiddlewareId, round: number, tokens: Tokens, settings: PhaseSettings): { warmup: Phase; measure: Phase } {
  const t = scenario.tokens;
  switch (t.kind) {
    case 'single':
    case 'bad-signature':
    case 'opaque':
    case 'none': {
      const auth = timedAuth(t, tokens);
      return { warmup: { auth, seconds: settings.warmup }, measure: { auth, seconds: settings.duration } };
    }
    case 'pool':
    case 'bad-pool': {
      const warm = t.kind === 'pool' ? tokens.warmPool[t.alg] : tokens.badWarmPool[t.alg];
      const pool = t.kind === 'pool' ? tokens.pool[t.alg] : tokens.badPool[t.alg];
      const share = Math.max(1, Math.min(settings.poolPerRound, pool.tokens.length));
      const from = (round * share) % Math.max(1, pool.tokens.length - share + 1);
      return {
        warmup: { auth: poolRange(warm, 0, warm.tokens.length), seconds: COUNTED_PHASE_LIMIT, amount: warm.tokens.length },
        measure: { auth: poolRange(pool, from, from + share), seconds: COUNTED_PHASE_LIMIT, amount: share },
      };
    }
    case 'large-pool': {
      const slot = CACHE_FILL + settings.largePerRound;
      const start = (round % Math.max(1, Math.floor(tokens.large.tokens.length / slot))) * slot;
      const fillFrom = middleware === 'resource-guard' ? start : start + CACHE_FILL - WARMUP_POOL_SIZE;
      const measured = start + CACHE_FILL;
      return {
        warmup: { auth: poolRange(tokens.large, fillFrom, measured), seconds: COUNTED_PHASE_LIMIT, amount: measured - fillFrom },
        measure: { auth: poolRange(tokens.large, measured, measured + settings.largePerRound), seconds: COUNTED_PHASE_LIMIT, amount: settings.largePerRound },
      };
    }
  }
}

/** A few Authorization headers of a scenario's warm-up, to check the answers before measuring. */
export function sampleHeaders(scenario: Scenario, tokens: Tokens): Array<string | undefined> {
  const t = scenario.tokens;
  switch (t.kind) {
    case 'pool':
      return tokens.warmPool[t.alg].tokens.slice(-3).map((token) => `Bearer ${token}`);
    case 'bad-pool':
      return tokens.badWarmPool[t.alg].tokens.slice(-3).map((token) => `Bearer ${token}`);
    case 'large-pool':
      // The last tokens of the pool: outside every round's window unless the rounds wrap.
      return tokens.large.tokens.slice(-3).map((token) => `Bearer ${token}`);
    default: {
      const auth = timedAuth(t, tokens);
      return [0, 1, 2].map(() => (auth.kind === 'header' ? auth.value : undefined));
    }
  }
}

/** The one header (or none) every request of a timed scenario carries. */
function timedAuth(t: Extract<Scenario['tokens'], { kind: 'single' | 'bad-signature' | 'opaque' | 'none' }>, tokens: Tokens): AuthSpec {
  switch (t.kind) {
    case 'single':
      return { kind: 'header', value: `Bearer ${tokens.single[t.alg]}` };
    case 'bad-signature':
      return { kind: 'header', value: `Bearer ${tokens.badSignature[t.alg]}` };
    case 'opaque':
      return { kind: 'header', value: `Bearer ${tokens.opaque}` };
    case 'none':
      return { kind: 'none' };
  }
}
