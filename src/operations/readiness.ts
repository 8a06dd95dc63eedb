/**
 * `guard.ready()` and the `warmup` option: fetch what verifying needs (the metadata, checked
 * against the configured issuer, and the JWKS) before the first request does.
 *
 * Both use the guard's own caches, so a successful `ready()` leaves the keys cached and
 * concurrent calls share one fetch. `ready()` rejects with a {@link GuardNotReadyError}
 * naming each document, its URL and the cause; `warmup` never rejects: it reports through
 * `guard.health()`, the events, and one process warning.
 */
import { OAuthError } from '../errors/oauth-error.js';
import { redact } from '../events/channels.js';
import { needsJwks, needsMetadata } from './health.js';
import type { Jwks } from '../jwt/jwks.js';
import type { TokenVerifier } from '../verify/verifier.js';

/** One document `ready()` could not get. */
export interface ReadinessFailure {
  issuer: string;
  document: 'metadata' | 'jwks' | 'introspection';
  /** The URL concerned, when known. */
  url: string | undefined;
  /** What went wrong, as a message (no secrets). */
  reason: string;
}

/**
 * Why `guard.ready()` failed: the guard cannot verify tokens of at least one issuer yet.
 * `failures` lists each document; `message` says it in one line per failure.
 *
 * @example
 * ```ts
 * try {
 *   await guard.ready();
 * } catch (err) {
 *   if (err instanceof GuardNotReadyError) console.error(err.message); // names the URL and the cause
 *   process.exit(1);
 * }
 * ```
 */
export class GuardNotReadyError extends Error {
  override readonly name = 'GuardNotReadyError';
  readonly code = 'RESOURCE_GUARD_NOT_READY';
  constructor(
    readonly failures: readonly ReadinessFailure[],
    cause?: unknown,
  ) {
    super(
      `resource-guard is not ready: ${failures
        .map((f) => `${f.document === 'jwks' ? 'JWKS' : f.document} of ${f.issuer}${f.url === undefined ? '' : ` (${f.url})`}: ${f.reason}`)
        .join('; ')}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

function reasonOf(err: unknown): string {
  // Operators get the full cause (URLs included); a 5xx's own description is the short client phrase.
  const cause = err instanceof OAuthError && err.status >= 500 && err.cause instanceof Error ? err.cause : err;
  const text = cause instanceof OAuthError ? cause.description : cause instanceof Error ? cause.message : String(cause);
  return redact(text) ?? 'unknown error';
}

/** Resolves once every issuer's metadata and keys are cached; rejects with {@link GuardNotReadyError}. */
export async function ready(verifier: TokenVerifier): Promise<void> {
  const config = verifier.config;
  const checkMetadata = needsMetadata(config);
  const checkJwks = needsJwks(config);
  const seen = new Set<Jwks>();
  const failures: ReadinessFailure[] = [];
  let firstCause: unknown;
  const fail = (failure: ReadinessFailure, cause: unknown) => {
    failures.push(failure);
    firstCause ??= cause;
  };

  await Promise.all(
    [...verifier.issuers].map(async ([issuer, { metadata, jwks }]) => {
      if (checkMetadata) {
        try {
          const document = await metadata.get();
          const introspection = config.introspection;
          if (introspection !== undefined && introspection.endpoint === undefined && issuer === config.issuers[0]) {
            if (typeof document.introspection_endpoint !== 'string') {
              fail(
                {
                  issuer,
                  document: 'introspection',
                  url: metadata.state.validators?.url,
                  reason: 'introspection is configured but the metadata has no introspection_endpoint; set "introspection.endpoint"',
                },
                undefined,
              );
            }
          }
        } catch (err) {
          // Without metadata there is no jwks_uri either: one failure says it all.
          fail({ issuer, document: 'metadata', url: config.metadataUrl ?? metadata.state.validators?.url, reason: reasonOf(err) }, err);
          return;
        }
      }
      if (checkJwks && !seen.has(jwks)) {
        seen.add(jwks);
        try {
          await jwks.remote.get();
        } catch (err) {
          fail({ issuer, document: 'jwks', url: redact(jwks.url ?? config.jwksUri), reason: reasonOf(err) }, err);
        }
      }
    }),
  );
  if (failures.length > 0) throw new GuardNotReadyError(failures, firstCause);
}

/** Starts {@link ready} without waiting; a failure becomes one process warning, never a crash. */
export function warmUp(verifier: TokenVerifier): void {
  ready(verifier).catch((err: unknown) => {
    process.emitWarning(err instanceof Error ? err.message : String(err), { code: 'RESOURCE_GUARD_WARMUP' });
  });
}
