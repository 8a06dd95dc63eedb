/**
 * What `resource-guard doctor` checks, in the order the guard itself works: discovery (every
 * candidate URL and what it answered), the issuer, the JWKS (keys, cache headers,
 * revalidation), then a token, claim by claim, and the verdict.
 *
 * Reuses the library's own parts: `metadataCandidates`/`tryCandidate` for discovery,
 * `request`/`parseJwks`/`selectKeys`/`freshnessOf` for the JWKS, `decodeJws` for the token,
 * and, for the verdict, a real guard's `verify()` — so "accepted" or "refused, because …" is
 * exactly what the API would answer. The claim-by-claim list around it shows every problem at
 * once (the guard stops at the first).
 *
 * Nothing here ever prints a token, a client secret or an API key: only a token's length,
 * its header, and its registered claims.
 */
import { compactVerify } from 'jose';
import { createGuard } from '../guard.js';
import { metadataCandidates, tryCandidate, type Attempt, type AuthorizationServerMetadata } from '../discovery.js';
import { OAuthError } from '../errors.js';
import { conditionalHeaders, freshnessOf, parseJsonObject, request, validatorsOf } from '../http.js';
import { parseJwks, selectKeys, type KeySet } from '../jwks.js';
import { decodeJws } from '../jwt.js';
import { normalizeOptions, type GuardConfig, type GuardOptions } from '../options.js';
import type { RejectionReason } from '../events.js';
import { reasonOf } from '../reasons.js';
import { parseScopes } from '../scopes.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info';

/** One line of the report: a verdict on one thing, with optional detail lines. */
export interface Check {
  status: CheckStatus;
  label: string;
  detail?: string[];
}

export interface Section {
  id: 'configuration' | 'discovery' | 'jwks' | 'token' | 'verdict';
  title: string;
  checks: Check[];
  /** Machine-readable facts, for `--json`. */
  data: Record<string, unknown>;
}

export interface DoctorReport {
  ok: boolean;
  sections: Section[];
}

/** Receives each section when it starts and each check as soon as it is known. */
export interface DoctorSink {
  section(section: Section): void;
  check(section: Section, check: Check): void;
}

interface IssuerFacts {
  metadata: AuthorizationServerMetadata | undefined;
  keys: KeySet | undefined;
}

export async function runDoctor(
  options: GuardOptions,
  token: string | undefined,
  requiredScopes: readonly string[],
  sink: DoctorSink,
): Promise<DoctorReport> {
  const sections: Section[] = [];
  const open = (id: Section['id'], title: string, data: Record<string, unknown> = {}): Section => {
    const section: Section = { id, title, checks: [], data };
    sections.push(section);
    sink.section(section);
    return section;
  };
  const add = (section: Section, status: CheckStatus, label: string, detail?: string[]) => {
    const check: Check = detail === undefined || detail.length === 0 ? { status, label } : { status, label, detail };
    section.checks.push(check);
    sink.check(section, check);
  };
  const report = (): DoctorReport => ({
    ok: sections.every((s) => s.checks.every((c) => c.status !== 'fail')),
    sections,
  });

  const configuration = open('configuration', 'Configuration');
  let config: GuardConfig;
  try {
    config = normalizeOptions(options);
  } catch (err) {
    add(configuration, 'fail', (err as Error).message);
    return report();
  }
  describeConfiguration(configuration, config, add);

  const facts = new Map<string, IssuerFacts>();
  for (const issuer of config.issuers) {
    const metadata = await discover(open('discovery', `Discovery: ${issuer}`, { issuer }), issuer, config, add);
    const jwksUrl = config.jwksUri ?? (typeof metadata?.jwks_uri === 'string' ? metadata.jwks_uri : undefined);
    const keys = await inspectJwks(open('jwks', jwksUrl === undefined ? 'JWKS' : `JWKS: ${jwksUrl}`, { issuer }), issuer, metadata, config, add);
    facts.set(issuer, { metadata, keys });
    if (config.jwksUri !== undefined) {
      // One key set for every issuer: fetched once.
      for (const other of config.issuers) facts.set(other, { metadata: other === issuer ? metadata : undefined, keys });
      if (config.issuers.length > 1) {
        for (const other of config.issuers.slice(1)) {
          facts.set(other, { metadata: await discover(open('discovery', `Discovery: ${other}`, { issuer: other }), other, config, add), keys });
        }
      }
      break;
    }
  }

  if (token !== undefined) {
    await explainToken(open('token', 'Token'), token, config, facts, add);
    await decide(open('verdict', 'Verdict'), token, options, requiredScopes, add);
  }
  return report();
}

type Add = (section: Section, status: CheckStatus, label: string, detail?: string[]) => void;

function describeConfiguration(section: Section, config: GuardConfig, add: Add): void {
  section.data = {
    issuers: config.issuers,
    audiences: config.audiences,
    algorithms: [...config.algorithms],
    cooldown: config.cooldown,
    jwksMaxAge: config.jwksMaxAge,
    clockTolerance: config.clockTolerance,
    introspection: config.introspection === undefined ? false : { endpoint: config.introspection.endpoint ?? 'from metadata', auth: config.introspection.auth },
  };
  add(section, 'ok', 'options are valid', [
    `issuer     ${config.issuers.join(', ')}`,
    `audience   ${config.audiences.join(', ')}`,
    `algorithms ${[...config.algorithms].join(' ')}`,
    `introspection ${config.introspection === undefined ? 'off (opaque tokens are refused)' : `on (${config.introspection.auth}, ${config.introspection.encoding})`}`,
  ]);
}

/** Tries the candidate URLs as the guard does, showing each; returns the metadata found. */
async function discover(section: Section, issuer: string, config: GuardConfig, add: Add): Promise<AuthorizationServerMetadata | undefined> {
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
async function inspectJwks(
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

/** The token, claim by claim: every problem at once. */
async function explainToken(section: Section, token: string, config: GuardConfig, facts: Map<string, IssuerFacts>, add: Add): Promise<void> {
  const parts = token.split('.').length;
  const decoded = decodeJws(token);
  if (decoded === undefined) {
    const kind = parts === 5 ? 'an encrypted JWT (JWE)' : 'opaque';
    section.data = { type: parts === 5 ? 'jwe' : 'opaque', length: token.length };
    add(section, config.introspection === undefined ? 'fail' : 'info', `${kind} token of ${token.length} characters: only introspection can decide it`, [
      config.introspection === undefined ? 'introspection is not configured (--introspection-*): the guard refuses it' : 'introspection is configured: see the verdict',
    ]);
    return;
  }
  const { header, payload } = decoded;
  const alg = String(header.alg);
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const now = Math.floor(Date.now() / 1000);
  const tolerance = config.clockTolerance;
  const checks: Array<{ claim: string; status: CheckStatus; text: string }> = [];
  const check = (claim: string, status: CheckStatus, text: string) => {
    checks.push({ claim, status, text });
    add(section, status, text);
  };
  section.data = {
    type: 'jwt',
    length: token.length,
    header: { alg, typ: header.typ, kid },
    claims: pick(payload, ['iss', 'sub', 'aud', 'client_id', 'azp', 'scope', 'scp', 'exp', 'nbf', 'iat', 'auth_time', 'acr']),
    checks,
  };
  add(section, 'info', `JWT of ${token.length} characters: alg ${alg}, typ ${header.typ === undefined ? '(none)' : String(header.typ)}, kid ${kid ?? '(none)'}`);

  // 1. algorithm
  let canVerifyLocally = true;
  if (alg.toLowerCase() === 'none') {
    check('alg', 'fail', "alg 'none': unsigned tokens are never accepted");
    canVerifyLocally = false;
  } else if (alg.startsWith('HS') && config.hmacKey === undefined) {
    check('alg', config.introspection === undefined ? 'fail' : 'warn', `alg ${alg} (a shared secret): cannot be verified locally; ${config.introspection === undefined ? 'refused without introspection' : 'introspection decides'}`);
    canVerifyLocally = false;
  } else if (!config.algorithms.has(alg)) {
    check('alg', 'fail', `alg ${alg} is not allowed (allowed: ${[...config.algorithms].join(' ')})`);
    canVerifyLocally = false;
  } else {
    check('alg', 'ok', `alg ${alg} is allowed`);
  }
  // 2. typ
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : header.typ;
  if (typ === undefined || typ === 'at+jwt' || typ === 'jwt') check('typ', 'ok', `typ ${header.typ === undefined ? '(none)' : String(header.typ)} is an access token type`);
  else check('typ', 'fail', `typ ${String(header.typ)} is not an access token type (at+jwt, JWT or none)`);
  // 3. iss
  const iss = payload.iss;
  const trusted = typeof iss === 'string' && config.issuers.includes(iss);
  if (typeof iss !== 'string') check('iss', 'fail', 'no iss claim');
  else if (!trusted) check('iss', 'fail', `iss ${iss} is not a trusted issuer (trusted: ${config.issuers.join(', ')})`);
  else check('iss', 'ok', `iss ${iss} is trusted`);
  // 4. key and signature
  const keySet = trusted ? facts.get(iss as string)?.keys : undefined;
  if (canVerifyLocally && keySet !== undefined) {
    const keys = selectKeys(keySet, alg, kid);
    if (keys.length === 0) {
      const kids = keySet.keys.map((k) => k.kid ?? '(none)').join(', ');
      check('kid', config.introspection === undefined ? 'fail' : 'warn', kid === undefined ? `no key for ${alg} in the JWKS` : `kid ${kid} is not in the JWKS (published: ${kids})`);
    } else {
      const name = kid ?? keys[0]!.kid ?? '(no kid)';
      check('kid', 'ok', `key ${name} (${keys[0]!.kty}) is in the JWKS`);
      if (await signatureVerifies(token, alg, keys)) check('signature', 'ok', `signature verifies with key ${name}`);
      else check('signature', 'fail', `signature does not verify with key ${name}: the token was altered, or signed by another key`);
    }
  } else if (canVerifyLocally && trusted) {
    check('kid', 'fail', 'the JWKS could not be fetched: the key cannot be checked');
  }
  // 5. claims
  const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === 'string') : [];
  if (aud.length === 0) check('aud', 'fail', 'no aud claim: tokens without an audience are refused');
  else if (aud.some((a) => config.audiences.includes(a))) check('aud', 'ok', `aud ${aud.join(', ')} includes ${config.audiences.find((a) => aud.includes(a))}`);
  else check('aud', 'fail', `aud ${aud.join(', ')} does not include ${config.audiences.join(' or ')}`);
  const exp = payload.exp;
  if (typeof exp !== 'number') check('exp', 'fail', 'no exp claim');
  else if (now - tolerance >= exp) check('exp', 'fail', `expired ${duration(now - exp)} ago (exp ${iso(exp)}, clock tolerance ${tolerance} s)`);
  else check('exp', 'ok', `expires in ${duration(exp - now)} (${iso(exp)})`);
  const nbf = payload.nbf;
  if (typeof nbf === 'number' && nbf > now + tolerance) check('nbf', 'fail', `not valid for another ${duration(nbf - now)} (nbf ${iso(nbf)}): check the clocks`);
  const iat = payload.iat;
  if (typeof iat === 'number') {
    if (iat > now + tolerance) check('iat', 'fail', `issued ${duration(iat - now)} in the future (iat ${iso(iat)}): check the clocks`);
    else check('iat', 'info', `issued ${duration(now - iat)} ago`);
  }
  const scopes = parseScopes(payload, config.scopeClaims);
  add(section, 'info', `scopes: ${scopes.length === 0 ? '(none)' : scopes.join(' ')}`);
  if (typeof payload.cnf === 'object' && payload.cnf !== null) {
    add(section, 'warn', `bound to a key (cnf ${Object.keys(payload.cnf).join(', ')}): the API also needs proof of possession (DPoP proof or client certificate), which doctor cannot give`);
  }
}

/** The guard's own answer, from a real `verify()`, then the scopes the route needs. */
async function decide(section: Section, token: string, options: GuardOptions, requiredScopes: readonly string[], add: Add): Promise<void> {
  const guard = createGuard({ ...options, tokenCache: false, errorDetail: 'full', warmup: false });
  try {
    const auth = await guard.verify(token);
    section.data = {
      accepted: true,
      tokenType: auth.tokenType,
      issuer: auth.issuer,
      subject: auth.subject,
      clientId: auth.clientId,
      scopes: auth.scopes,
      expiresAt: auth.expiresAt,
    };
    add(section, 'ok', `accepted: ${auth.tokenType === 'jwt' ? 'signature and claims verified locally' : 'active by introspection'}`, [
      `issuer   ${auth.issuer}`,
      ...(auth.subject === undefined ? [] : [`subject  ${auth.subject}`]),
      ...(auth.clientId === undefined ? [] : [`client   ${auth.clientId}`]),
      `scopes   ${auth.scopes.length === 0 ? '(none)' : auth.scopes.join(' ')}`,
    ]);
    if (requiredScopes.length > 0) {
      const missing = requiredScopes.filter((s) => !auth.scopes.includes(s));
      section.data.requiredScopes = requiredScopes;
      section.data.missingScopes = missing;
      if (missing.length === 0) add(section, 'ok', `has every scope asked for: ${requiredScopes.join(' ')}`);
      else add(section, 'fail', `a route requiring ${requiredScopes.join(' ')} would answer 403 insufficient_scope: lacks ${missing.join(' ')}`);
    }
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    section.data = { accepted: false, status: err.status, code: err.code, reason: reasonOf(err), description: err.description };
    const what = err.status === 503 ? 'undecided' : 'refused';
    add(section, 'fail', `${what}: ${err.status} ${err.code}: ${err.description}`, explain(err));
  }
}

const HINTS: Partial<Record<RejectionReason, string>> = {
  expired: 'the client must get a new token (if fresh tokens fail too, compare the clocks of the API and the authorization server)',
  not_yet_valid: 'the token is dated in the future: compare the clocks of the API and the authorization server',
  audience: 'the token was issued for another API: the client must ask for this audience (e.g. the "resource" or "audience" parameter of the token request)',
  issuer: 'the token comes from an authorization server this API does not trust: another environment or tenant?',
  unknown_key: 'signed with a key this JWKS does not publish: a token from another server or environment, or a key that was rotated out',
  signature: 'the token was altered, or signed by a different key that reuses a published kid',
  algorithm: 'the signing algorithm is not allowed here (--algorithms)',
  type: 'not an access token (an ID token or a DPoP proof?)',
  not_verifiable: 'only introspection can decide this token: configure --introspection-*',
  inactive: 'the authorization server says the token is not active: revoked, expired, or never issued',
  unavailable: 'the authorization server could not be reached; clients are told to retry (Retry-After), not to drop the token',
  configuration: 'a configuration problem: every token would get this answer',
};

function explain(err: OAuthError): string[] {
  const hint = HINTS[reasonOf(err)];
  return hint === undefined ? [] : [hint];
}

/** Checks a signature with the keys selected from the JWKS, with jose, as the guard does. */
async function signatureVerifies(token: string, alg: string, keys: KeySet['keys']): Promise<boolean> {
  for (const key of keys) {
    try {
      await compactVerify(token, key.key, { algorithms: [alg] });
      return true;
    } catch {
      // try the next key with the same kid
    }
  }
  return false;
}

function pick(claims: Record<string, unknown>, names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.filter((n) => claims[n] !== undefined).map((n) => [n, claims[n]]));
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function duration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} days`;
}
