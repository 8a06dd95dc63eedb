/**
 * Memory of the verified-token cache: is RSS bounded by the configured cache size, and how
 * many bytes does one entry cost?
 *
 * 1. Bytes per entry, realistic tokens: a guard with the default cache (10,000 entries,
 *    16 MiB) verifies 10,000 distinct RS256 tokens; heap growth ÷ cached entries.
 * 2. Boundedness: a guard with the default cache verifies `--tokens` distinct valid tokens
 *    (default 200,000; `--tokens 1000000` for the full figure, ~3–4 min on 2 cores). RSS,
 *    heap and the cache's entry count are read after a GC at checkpoints. These tokens are
 *    HS256 (with the guard's `hmacSecret` option), because minting a million RSA or EdDSA
 *    signatures alone would take longer than the whole bench; the cache stores the same
 *    `AuthInfo` whatever the algorithm, so only the token length differs (reported).
 *
 * The entry count is not public API, so this file wires `TokenVerifier` from dist exactly as
 * `createGuard` does (`guard.verify` is `verifier.verify`) and reads `tokenCache.size`.
 *
 *   node --expose-gc --import tsx bench/memory.ts [--tokens N] [--json <file>]
 */
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GuardOptions } from 'resource-guard';
import { AUDIENCE, AuthorizationServer, ISSUER } from './as.js';

/**
 * The internals this probe needs, typed loosely on purpose: a refactor of `src/` should make
 * this script fail with a clear message at run time, not break the project's typecheck.
 */
interface TokenVerifier {
  verify(token: string): Promise<unknown>;
  tokenCache?: { size: number };
}
interface Internals {
  DEFAULTS: { tokenCache: { maxEntries: number; maxBytes: number } };
  normalizeOptions(options: GuardOptions): { realm: string };
  TokenVerifier: new (config: unknown, challenge: { realm: string; resourceMetadata: string | undefined }) => TokenVerifier;
}

async function loadInternals(): Promise<Internals> {
  const options = (await import(new URL('../dist/options/normalize.js', import.meta.url).href)) as Partial<Internals>;
  const verifier = (await import(new URL('../dist/verify/verifier.js', import.meta.url).href)) as Partial<Internals>;
  if (typeof options.normalizeOptions !== 'function' || typeof verifier.TokenVerifier !== 'function' || options.DEFAULTS?.tokenCache === undefined) {
    throw new Error('memory.ts: dist/options/normalize.js or dist/verify/verifier.js no longer exports normalizeOptions, DEFAULTS or TokenVerifier; update bench/memory.ts');
  }
  return { DEFAULTS: options.DEFAULTS, normalizeOptions: options.normalizeOptions, TokenVerifier: verifier.TokenVerifier };
}

function cacheSize(verifier: TokenVerifier): number {
  const size = verifier.tokenCache?.size;
  if (typeof size !== 'number') throw new Error('memory.ts: TokenVerifier.tokenCache.size is gone; update bench/memory.ts');
  return size;
}

export interface MemoryCheckpoint {
  tokens: number;
  cacheEntries: number;
  rss: number;
  heapUsed: number;
  seconds: number;
}

export interface MemoryResult {
  maxEntries: number;
  maxBytes: number;
  rs256: {
    tokens: number;
    tokenLength: number;
    /** Entries left after verifying `tokens` distinct tokens in order: below `tokens` when the byte bound binds. */
    cacheEntries: number;
    heapBytesPerEntry: number;
    rssBytesPerEntry: number;
  };
  bounded: {
    alg: 'HS256';
    tokens: number;
    tokenLength: number;
    heapBytesPerEntry: number;
    checkpoints: MemoryCheckpoint[];
  };
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function settle(): { rss: number; heapUsed: number } {
  gc();
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

function verifierFor(internals: Internals, options: GuardOptions): TokenVerifier {
  const config = internals.normalizeOptions(options);
  return new internals.TokenVerifier(config, { realm: config.realm, resourceMetadata: undefined });
}

async function feed(verifier: TokenVerifier, count: number, tokenAt: (i: number) => string, from = 0, inFlight = 32): Promise<void> {
  let next = from;
  const end = from + count;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < end) await verifier.verify(tokenAt(next++));
    }),
  );
}

export interface MemoryInput {
  tokens: number;
  /** The metadata of the bench issuer, whose JWKS has the RS256 key that signed `rs256Tokens` (else an authorization server is started here). */
  metadataUrl?: string;
  rs256Tokens?: string[];
  log?: (line: string) => void;
}

export async function runMemory(input: MemoryInput): Promise<MemoryResult> {
  const log = input.log ?? (() => undefined);
  let as: AuthorizationServer | undefined;
  let metadataUrl = input.metadataUrl;
  let rsTokens = input.rs256Tokens;
  const issuer = ISSUER;
  if (metadataUrl === undefined || rsTokens === undefined) {
    as = new AuthorizationServer();
    await as.start();
    metadataUrl = as.metadataUrl;
    log('memory: minting 10,000 RS256 tokens');
    rsTokens = await as.mintPool('RS256', 10_000, 'memory');
  }
  const internals = await loadInternals();
  const { maxEntries, maxBytes } = internals.DEFAULTS.tokenCache;
  try {
    // 1. Realistic entries.
    let rsVerifier: TokenVerifier | undefined = verifierFor(internals, { issuer, metadataUrl, audience: AUDIENCE });
    await rsVerifier.verify(rsTokens[0]!); // JWKS fetched before the baseline
    const before = settle();
    // A fresh copy of each token, as a request header would be, so the cache's copy is counted.
    await feed(rsVerifier, rsTokens.length, (i) => Buffer.from(rsTokens[i]!).toString('latin1'));
    const after = settle();
    const rsEntries = cacheSize(rsVerifier);
    rsVerifier = undefined;
    const rs256 = {
      tokens: rsTokens.length,
      tokenLength: rsTokens[0]!.length,
      cacheEntries: rsEntries,
      heapBytesPerEntry: (after.heapUsed - before.heapUsed) / rsEntries,
      rssBytesPerEntry: (after.rss - before.rss) / rsEntries,
    };
    log(`memory: RS256 ${rsEntries} of ${rsTokens.length} tokens cached, ${rs256.heapBytesPerEntry.toFixed(0)} heap bytes per entry`);

    // 2. Boundedness.
    const secret = 'bench-hmac-secret-0123456789abcdef0123456789';
    const hsVerifier = verifierFor(internals, { issuer, metadataUrl, audience: AUDIENCE, hmacSecret: secret });
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claimsOf = (i: number) => ({
      iss: issuer, sub: `user-${i}`, aud: AUDIENCE, client_id: 'bench-rs', scope: 'messages:read messages:write',
      iat: now, exp: now + 3600, jti: `memory-${i}`,
    });
    const mint = (i: number) => {
      const input = `${header}.${Buffer.from(JSON.stringify(claimsOf(i))).toString('base64url')}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    const marks = [maxEntries, 2 * maxEntries, 50_000, 100_000, 200_000, 500_000, 1_000_000, input.tokens]
      .filter((n, i, all) => n <= input.tokens && all.indexOf(n) === i)
      .sort((a, b) => a - b);
    const base = settle();
    const started = performance.now();
    const checkpoints: MemoryCheckpoint[] = [{ tokens: 0, cacheEntries: 0, ...base, seconds: 0 }];
    let done = 0;
    for (const mark of marks) {
      await feed(hsVerifier, mark - done, mint, done);
      done = mark;
      const usage = settle();
      checkpoints.push({ tokens: done, cacheEntries: cacheSize(hsVerifier), ...usage, seconds: (performance.now() - started) / 1000 });
      log(`memory: ${done} tokens, ${cacheSize(hsVerifier)} cached, RSS ${(usage.rss / 2 ** 20).toFixed(1)} MiB, heap ${(usage.heapUsed / 2 ** 20).toFixed(1)} MiB`);
    }
    const full = checkpoints.find((c) => c.tokens >= maxEntries)!;
    return {
      maxEntries,
      maxBytes,
      rs256,
      bounded: {
        alg: 'HS256',
        tokens: input.tokens,
        tokenLength: mint(0).length,
        heapBytesPerEntry: (full.heapUsed - base.heapUsed) / full.cacheEntries,
        checkpoints,
      },
    };
  } finally {
    await as?.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.setSourceMapsEnabled(false); // as compiled code runs; tsx turned them on
  const args = process.argv.slice(2);
  const value = (name: string) => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  if ((globalThis as { gc?: unknown }).gc === undefined) console.warn('memory: run with --expose-gc for stable figures');
  const poolFile = value('--rs256-tokens');
  const result = await runMemory({
    tokens: Number(value('--tokens') ?? 200_000),
    metadataUrl: value('--metadata-url'),
    // A pool file of tokens.ts: `{ expiresAt, tokens }`.
    rs256Tokens: poolFile === undefined ? undefined : (JSON.parse(readFileSync(poolFile, 'utf8')) as { tokens: string[] }).tokens,
    log: (line) => console.error(line),
  });
  const json = value('--json');
  if (json !== undefined) writeFileSync(json, JSON.stringify(result, null, 2));
  else console.log(JSON.stringify(result, null, 2));
}
