/**
 * Authorization server metadata: where to look for it, and how to accept it.
 *
 * Candidate URLs are data (a pure function, unit-tested as a table); a separate function
 * tries them in order. A `metadataUrl` the user supplied skips the list. The document's
 * `issuer` must equal the configured issuer exactly (RFC 8414 §3.3), otherwise it is
 * refused, never followed. A refresh asks the URL that answered last time first, with
 * `If-None-Match` / `If-Modified-Since` when it sent a validator, so an unchanged document
 * costs a 304.
 *
 * @see [RFC 8414 §3 - Obtaining Authorization Server Metadata](https://www.rfc-editor.org/rfc/rfc8414#section-3)
 */
import { serverError } from '../errors/factories.js';
import { CHANNELS, fetchFailed, fetchSucceeded, publish, redact } from '../events/channels.js';
import { conditionalHeaders, freshnessOf, parseJsonObject, parseRetryAfter, request, validatorsOf } from './http.js';
import { Remote } from './document.js';
import { failurePhrase } from './failure.js';
import { UpstreamFailure, type Loaded, type NotModified, type Validators } from './loader.js';

/** The RFC 8414 fields the guard reads; everything else is kept as received. */
export interface AuthorizationServerMetadata {
  issuer: string;
  jwks_uri?: string;
  introspection_endpoint?: string;
  [field: string]: unknown;
}

/**
 * Where the metadata of `issuer` may live, in the order they are tried:
 * 1. RFC 8414 §3.1: `/.well-known/oauth-authorization-server` inserted between the host
 *    and the issuer's path;
 * 2. the same suffix appended to the issuer's path, where Telnyx serves it (`/v2/.well-known/…`);
 * 3. OpenID Connect Discovery 1.0 §4: `/.well-known/openid-configuration` appended.
 * With an issuer without a path, 1 and 2 are the same URL and it is tried once.
 */
export function metadataCandidates(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  const candidates = [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}${path}/.well-known/oauth-authorization-server`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
  return [...new Set(candidates)];
}

/** What one candidate URL answered. */
export type Attempt =
  | { url: string; outcome: 'found'; metadata: AuthorizationServerMetadata; maxAge: number; validators: Validators }
  | { url: string; outcome: 'not-modified'; maxAge: number; validators: Validators }
  | { url: string; outcome: 'missing'; status: number }
  | { url: string; outcome: 'mismatch'; issuer: string }
  | {
      url: string;
      outcome: 'failed';
      /** For operators: what this URL did, the URL included. */
      reason: string;
      /** For clients: what went wrong, without the URL (remote/failure.ts). */
      phrase: string;
      retryAfter: number | undefined;
      unreachable?: boolean;
    };

/** What discovery reads of the guard's configuration (a `GuardConfig` is one). */
export interface DiscoveryConfig {
  readonly metadataUrl?: string | undefined;
  readonly timeout: number;
  readonly maxResponseBytes: number;
  readonly allowInsecureHttp: boolean;
  readonly cooldown: number;
  readonly jwksMaxAge: number;
  readonly maxStale: number;
}

/**
 * Fetches the metadata of `issuer`, trying each candidate until one answers with a valid
 * document. Throws a 500 `OAuthError` for configuration mistakes (issuer mismatch, no
 * document anywhere) and an {@link UpstreamFailure} when the server could not be reached.
 */
export async function fetchMetadata(
  issuer: string,
  config: DiscoveryConfig,
  validators?: Validators,
): Promise<Loaded<AuthorizationServerMetadata> | NotModified> {
  const candidates = config.metadataUrl !== undefined ? [config.metadataUrl] : metadataCandidates(issuer);
  const last = validators?.url;
  const ordered = last !== undefined && candidates.includes(last) ? [last, ...candidates.filter((c) => c !== last)] : candidates;
  const attempts: Attempt[] = [];
  for (const url of ordered) {
    const attempt = await tryCandidate(url, issuer, config, validators);
    if (attempt.outcome === 'found') {
      return { value: attempt.metadata, maxAge: attempt.maxAge, validators: attempt.validators };
    }
    if (attempt.outcome === 'not-modified') {
      return { notModified: true, maxAge: attempt.maxAge, validators: attempt.validators };
    }
    attempts.push(attempt);
    // Every candidate is on the issuer's origin: when one cannot be reached (timeout, refused),
    // none can, and trying the rest would multiply the wait by the number of candidates.
    if (attempt.outcome === 'failed' && attempt.unreachable === true) break;
  }
  throw explainFailure(issuer, attempts);
}

/**
 * Asks one candidate URL for the metadata of `issuer` and says what it answered; never
 * throws. Conditional when `validators` came from this same URL.
 */
export async function tryCandidate(
  url: string,
  issuer: string,
  config: DiscoveryConfig,
  validators?: Validators,
): Promise<Attempt> {
  const conditional = conditionalHeaders(validators, url);
  let response;
  try {
    response = await request({
      url,
      headers: conditional,
      timeout: config.timeout,
      maxBytes: config.maxResponseBytes,
      allowInsecureHttp: config.allowInsecureHttp,
    });
  } catch (err) {
    return { url, outcome: 'failed', reason: (err as Error).message, phrase: failurePhrase(err), retryAfter: undefined, unreachable: true };
  }
  if (response.status === 304 && Object.keys(conditional).length > 0) {
    const maxAge = freshnessOf(response.headers, config.cooldown, config.jwksMaxAge);
    return { url, outcome: 'not-modified', maxAge, validators: validatorsOf(response.headers, url) ?? validators! };
  }
  if (response.status === 404 || response.status === 410 || response.status === 405) {
    return { url, outcome: 'missing', status: response.status };
  }
  if (response.status !== 200) {
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
    return { url, outcome: 'failed', reason: `${url} answered ${response.status}`, phrase: `answered ${response.status}`, retryAfter };
  }
  const document = parseJsonObject(response.body);
  if (document === undefined || typeof document.issuer !== 'string') {
    const phrase = 'did not answer with a metadata document';
    return { url, outcome: 'failed', reason: `${url} ${phrase}`, phrase, retryAfter: undefined };
  }
  if (document.issuer !== issuer) return { url, outcome: 'mismatch', issuer: document.issuer };
  const metadata = document as AuthorizationServerMetadata;
  for (const field of ['jwks_uri', 'introspection_endpoint'] as const) {
    if (metadata[field] !== undefined && !isUrl(metadata[field])) {
      const phrase = `has an invalid ${field}`;
      return { url, outcome: 'failed', reason: `${url} ${phrase}`, phrase, retryAfter: undefined };
    }
  }
  const maxAge = freshnessOf(response.headers, config.cooldown, config.jwksMaxAge);
  return { url, outcome: 'found', metadata, maxAge, validators: validatorsOf(response.headers, url) ?? { url } };
}

/**
 * The error for a search that found nothing. The metadata URLs go into messages for operators
 * (the `cause` of a 500, an `UpstreamFailure`'s message), never into what a client reads: a
 * 500 names the configured issuer and what the metadata said, nothing more.
 */
function explainFailure(issuer: string, attempts: Attempt[]): Error {
  const mismatch = attempts.find((a) => a.outcome === 'mismatch');
  if (mismatch?.outcome === 'mismatch') {
    const said = `says '${mismatch.issuer}', configured issuer is '${issuer}'`;
    return serverError(`issuer mismatch: the metadata ${said}`, new Error(`issuer mismatch: metadata at ${mismatch.url} ${said}`));
  }
  const failed = attempts.flatMap((a) => (a.outcome === 'failed' ? [a] : []));
  if (failed.length > 0) {
    const retryAfter = Math.max(0, ...failed.map((a) => a.retryAfter ?? 0)) || undefined;
    const phrase = [...new Set(failed.map((a) => a.phrase))].join('; ');
    return new UpstreamFailure(failed.map((a) => a.reason).join('; '), { phrase, retryAfter });
  }
  const missing = `no authorization server metadata for '${issuer}'`;
  return serverError(missing, new Error(`${missing} at ${attempts.map((a) => a.url).join(', ')}`));
}

function isUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** The cached metadata of one issuer. */
export function createMetadataCache(issuer: string, config: DiscoveryConfig): Remote<AuthorizationServerMetadata> {
  return new Remote(
    async ({ validators, background }) => {
      const start = performance.now();
      try {
        const loaded = await fetchMetadata(issuer, config, validators);
        publish(CHANNELS.metadataFetch, () => ({ issuer, url: loaded.validators?.url, ...fetchSucceeded(loaded, start, background) }));
        return loaded;
      } catch (err) {
        publish(CHANNELS.metadataFetch, () => ({ issuer, url: undefined, ...fetchFailed(err, start, background) }));
        throw err;
      }
    },
    {
      label: 'metadata',
      maxStale: config.maxStale,
      maxBackoff: config.cooldown,
      onStale: (age, error) => publish(CHANNELS.metadataStale, () => ({ issuer, age, error: redact(error) })),
    },
  );
}
