/**
 * Doctor's checks of an authorization server, as the guard itself works: discovery (every
 * candidate URL and what it answered, then the issuer), and the JWKS (keys, cache headers,
 * revalidation). Reuses the library's `metadataCandidates`/`tryCandidate` and
 * `request`/`parseJwks`/`freshnessOf`, so what it shows is what the guard would see.
 */
import { metadataCandidates, tryCandidate, type Attempt, type AuthorizationServerMetadata } from '../remote/discovery.js';
import { conditionalHeaders, freshnessOf, parseJsonObject, request, validatorsOf } from '../remote/http.js';
import { parseJwks, type KeySet } from '../jwt/jwks.js';
import type { GuardConfig } from '../options/normalize.js';
import type { Add, Section } from './report.js';

/** What the checks found about one issuer. */
export interface IssuerFacts {
  metadata: AuthorizationServerMetadata | undefined;
  keys: KeySet | undefined;
}

/** Tries the candidate URLs as the guard does, showing each; returns the metadata found. */
export async function discover(section: Section, issuer: string, config: GuardConfig, add: Add): Promise<AuthorizationServerMetadata | undefined> {
  const required = config.jwksUri === undefined || (config.introspection !== undefined && config.introspection.endpoint === undefined);
  const candidates = config.metadataUrl !== undefined ? [config.metadataUrl] : metadataCandidates(issuer);
  const attempts: Array<{ url: string; outcome: Attempt['outcome']; ms: number }> = [];
  section.data = { issuer, required, attempts };
  let found: AuthorizationServerMetadata | undefined;
  let mismatch: string | undefined;
  for (const url of candidates) {
    const start = performance.now();
    const attempt = await tryCandidate(url, issuer, config);
    const ms = Math.round(performance.now() - start);
    attempts.push({ url, outcome: attempt.outcome, ms });
    switch (attempt.outcome) {
      case 'found':
        found = attempt.metadata;
        add(section, 'ok', `${url} → 200 in ${ms} ms: metadata of this issuer`, [`fresh for ${attempt.maxAge} s${attempt.validators.etag !== undefined || attempt.validators.lastModified !== undefined ? ', revalidated with ' + (attempt.validators.etag !== undefined ? 'ETag' : 'Last-Modified') : ''}`]);
        break;
      case 'missing':
        add(section, 'info', `${url} → ${attempt.status}: not here, next location`);
        break;
      case 'mismatch':
        mismatch = attempt.issuer;
        add(section, 'fail', `${url} → 200, but its issuer is "${attempt.issuer}", not "${issuer}"`, [
          'RFC 8414 §3.3: the metadata must name exactly the configured issuer (scheme, host, path, trailing slash)',
          ...(attempt.issuer.replace(/\/+$/, '') === issuer.replace(/\/+$/, '')
            ? [`they differ only by a trailing slash: set issuer to exactly "${attempt.issuer}", as the tokens' iss says`]
            : []),
          `set --issuer ${attempt.issuer} if that server is the one you trust`,
        ]);
        break;
      case 'failed':
        add(section, 'fail', `${url} → ${attempt.reason}`);
        break;
      case 'not-modified':
        break;
    }
    if (found !== undefined) break;
    // As the guard does: an unreachable origin ends the search.
    if (attempt.outcome === 'failed' && (attempt as { unreachable?: boolean }).unreachable === true) break;
  }
  if (found === undefined) {
    const label =
      mismatch !== undefined
        ? 'issuer mismatch: the guard would answer 500 (configuration error) to every token'
        : attempts.every((a) => a.outcome === 'missing')
          ? `no metadata at any of ${attempts.length} locations${config.jwksUri === undefined ? ': set --metadata-url or --jwks-uri' : ''}`
          : 'metadata could not be fetched: the guard would answer 503 until it can';
    add(section, required ? 'fail' : 'warn', required ? label : `${label} (not needed: --jwks-uri is set)`);
    return undefined;
  }
  const lines = [`issuer                 ${found.issuer}`];
  for (const field of ['jwks_uri', 'introspection_endpoint', 'token_endpoint'] as const) {
    if (typeof found[field] === 'string') lines.push(`${field.padEnd(22)} ${found[field] as string}`);
  }
  add(section, 'ok', 'issuer matches the configuration exactly', lines);
  section.data = { ...section.data, metadata: { issuer: found.issuer, jwks_uri: found.jwks_uri, introspection_endpoint: found.introspection_endpoint } };
  if (config.introspection !== undefined && config.introspection.endpoint === undefined && typeof found.introspection_endpoint !== 'string') {
    add(section, 'fail', 'introspection is configured but the metadata has no introspection_endpoint: set --introspection-endpoint');
  }
  return found;
}

/** Fetches the JWKS like the guard, and shows keys, cache headers and revalidation. */
export async function inspectJwks(
  section: Section,
  issuer: string,
  metadata: AuthorizationServerMetadata | undefined,
  config: GuardConfig,
  add: Add,
): Promise<KeySet | undefined> {
  const url = config.jwksUri ?? (typeof metadata?.jwks_uri === 'string' ? metadata.jwks_uri : undefined);
  section.data = { issuer, url };
  if (url === undefined) {
    if (metadata !== undefined) add(section, 'fail', 'the metadata has no jwks_uri: set --jwks-uri');
    else add(section, 'fail', 'no JWKS URL: discovery failed and --jwks-uri is not set');
    return undefined;
  }
  const fetchOnce = (headers: Record<string, string> = {}) =>
    request({ url, headers, timeout: config.timeout, maxBytes: config.maxResponseBytes, allowInsecureHttp: config.allowInsecureHttp });
  const start = performance.now();
  let response;
  try {
    response = await fetchOnce();
  } catch (err) {
    add(section, 'fail', (err as Error).message);
    return undefined;
  }
  const ms = Math.round(performance.now() - start);
  if (response.status !== 200) {
    add(section, 'fail', `${url} answered ${response.status}`);
    return undefined;
  }
  let keys: KeySet;
  try {
    keys = parseJwks(response.body, url);
  } catch (err) {
    add(section, 'fail', (err as Error).message);
    return undefined;
  }
  const raw = parseJsonObject(response.body)?.keys;
  const published = Array.isArray(raw) ? raw.length : keys.keys.length;
  const usableKids = new Set(keys.keys.map((k) => k.kid));
  const ignored = Array.isArray(raw)
    ? raw.filter((k) => !usableKids.has((k as { kid?: string }).kid)).map((k) => String((k as { kid?: unknown }).kid ?? '(no kid)'))
    : [];
  add(
    section,
    'ok',
    `200 in ${ms} ms: ${keys.keys.length} usable signing key${keys.keys.length === 1 ? '' : 's'}${published > keys.keys.length ? ` of ${published}` : ''}`,
    keys.keys.map((k) => `kid ${k.kid ?? '(none)'}  ${[k.kty, k.crv, k.alg ?? 'any alg of its type'].filter(Boolean).join(' ')}`),
  );
  if (ignored.length > 0) add(section, 'info', `ignored (not a public signing key the guard can use): ${ignored.join(', ')}`);

  const cacheControl = response.headers.get('cache-control');
  const etag = response.headers.get('etag');
  const lastModified = response.headers.get('last-modified');
  const maxAge = freshnessOf(response.headers, config.cooldown, config.jwksMaxAge);
  const clampNote = `within [cooldown ${config.cooldown} s, jwksMaxAge ${config.jwksMaxAge} s]`;
  add(section, 'info', `Cache-Control: ${cacheControl ?? '(none)'} → refreshed every ${maxAge} s (${clampNote})`);
  let revalidation: 'not-modified' | 'full' | 'unsupported' | 'failed' = 'unsupported';
  const validators = validatorsOf(response.headers, url);
  if (validators !== undefined) {
    try {
      const again = await fetchOnce(conditionalHeaders(validators, url));
      revalidation = again.status === 304 ? 'not-modified' : 'full';
    } catch {
      revalidation = 'failed';
    }
    const sent = etag !== null ? `ETag ${etag}` : `Last-Modified ${lastModified}`;
    if (revalidation === 'not-modified') add(section, 'ok', `${sent}: a refresh that finds nothing new costs a 304`);
    else add(section, 'warn', `${sent}, but a conditional request was answered ${revalidation === 'full' ? 'in full' : 'with an error'}: every refresh downloads the set`);
  } else {
    add(section, 'info', 'no ETag or Last-Modified: every refresh downloads the whole set');
  }
  section.data = {
    issuer,
    url,
    status: 200,
    ms,
    keys: keys.keys.map((k) => ({ kid: k.kid, kty: k.kty, crv: k.crv, alg: k.alg })),
    ignored,
    cacheControl,
    etag,
    lastModified,
    refreshEvery: maxAge,
    revalidation,
  };
  return keys;
}
