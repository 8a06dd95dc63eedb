/**
 * Doctor's look at a token, claim by claim, in the order the guard checks them: every
 * problem at once, where the guard stops at the first. Decodes with the library's
 * `decodeJws`, selects keys with `selectKeys` and checks the signature with jose.
 *
 * Never prints the token: only its length, its header and its registered claims.
 */
import { compactVerify } from 'jose';
import { selectKeys, type KeySet } from '../jwt/jwks.js';
import { decodeJws } from '../jwt/verify.js';
import { malformedJwtReason } from '../jwt/malformed.js';
import type { GuardConfig } from '../options/normalize.js';
import { parseScopes } from '../auth/scopes.js';
import { declaredNonAccessUse } from '../auth/token-use.js';
// The guard's own refusals word ages with it too: both lines of the report agree.
import { formatDuration as duration } from '../errors/duration.js';
import type { IssuerFacts } from './issuer-checks.js';
import type { Add, CheckStatus, Section } from './report.js';

/** The token, claim by claim: every problem at once, with what to change where doctor can tell. */
export async function explainToken(
  section: Section,
  token: string,
  config: GuardConfig,
  facts: Map<string, IssuerFacts>,
  requiredScopes: readonly string[],
  add: Add,
): Promise<void> {
  const parts = token.split('.').length;
  const decoded = decodeJws(token);
  const malformed = decoded === undefined ? malformedJwtReason(token) : undefined;
  if (malformed !== undefined) {
    section.data = { type: 'malformed-jwt', length: token.length, reason: malformed };
    add(section, config.introspection === undefined ? 'fail' : 'warn', `${malformed} (${token.length} characters)`, [
      config.introspection === undefined
        ? 'the guard refuses it: check that the whole token was copied, and nothing else'
        : 'the guard still introspects it (anything that is not a three-part JWS is opaque): see the verdict',
    ]);
    return;
  }
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
  const check = (claim: string, status: CheckStatus, text: string, detail?: string[]) => {
    checks.push({ claim, status, text });
    add(section, status, text, detail);
  };
  section.data = {
    type: 'jwt',
    length: token.length,
    header: { alg, typ: header.typ, kid },
    claims: pick(payload, ['iss', 'sub', 'aud', 'client_id', 'azp', 'cid', 'scope', 'scp', 'exp', 'nbf', 'iat', 'auth_time', 'acr']),
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
  else if (!trusted) check('iss', 'fail', `iss ${iss} is not a trusted issuer (trusted: ${config.issuers.join(', ')})`, slashHint(iss, config.issuers));
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
  const use = declaredNonAccessUse(payload);
  if (use !== undefined) check(use.claim, 'fail', `${use.claim} ${use.value}: not an access token (an ID or refresh token?)`);
  const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === 'string') : [];
  const client = clientOf(payload);
  const pinClient = client === undefined || config.clientIds !== undefined ? undefined : clientHint(client);
  if (config.audiences.length === 0) check('aud', 'info', `aud ${aud.length === 0 ? '(none)' : aud.join(', ')}: not compared (clientIds only)`);
  else if (aud.length === 0) check('aud', 'fail', 'no aud claim: tokens without an audience are refused', pinClient);
  else if (aud.some((a) => config.audiences.includes(a))) check('aud', 'ok', `aud ${aud.join(', ')} includes ${config.audiences.find((a) => aud.includes(a))}`);
  else check('aud', 'fail', `aud ${aud.join(', ')} does not include ${config.audiences.join(' or ')}`, pinClient);
  if (config.clientIds !== undefined) {
    if (client === undefined) check('client', 'fail', 'no client (client_id, azp or cid): tokens without a client are refused');
    else if (config.clientIds.includes(client.id)) check('client', 'ok', `client ${client.id} (${client.claim}) is accepted`);
    else check('client', 'fail', `client ${client.id} (${client.claim}) is not one of ${config.clientIds.join(', ')}`);
  }
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
  explainScopeClaims(section, payload, config.scopeClaims, scopes, requiredScopes, add);
  if (typeof payload.cnf === 'object' && payload.cnf !== null) {
    add(section, 'warn', `bound to a key (cnf ${Object.keys(payload.cnf).join(', ')}): the API also needs proof of possession (DPoP proof or client certificate), which doctor cannot give`);
  }
}

/** The token's client as the guard reads it: `client_id`, else `azp`, else `cid` (the first present). */
function clientOf(payload: Record<string, unknown>): { id: string; claim: string } | undefined {
  const claim = ['client_id', 'azp', 'cid'].find((name) => payload[name] !== undefined && payload[name] !== null);
  return claim !== undefined && typeof payload[claim] === 'string' ? { id: payload[claim], claim } : undefined;
}

/** What to change when the token names its client but not this API in aud. */
function clientHint(client: { id: string; claim: string }): string[] {
  return [
    `the token names its client (${client.claim} ${client.id}); where access tokens carry no usable aud (Amazon Cognito, Keycloak without an audience mapper, Ory Hydra), pin the client instead:`,
    `clientIds: ['${client.id}'] (--client-id ${client.id}), with or without an audience`,
  ];
}

/** When `iss` and a configured issuer differ only by a trailing slash: the exact spelling. */
function slashHint(iss: string, issuers: readonly string[]): string[] | undefined {
  const bare = (value: string) => value.replace(/\/+$/, '');
  if (!issuers.some((issuer) => bare(issuer) === bare(iss))) return undefined;
  return [`the configured issuer differs only by a trailing slash: use exactly "${iss}" (--issuer ${iss})`];
}

/**
 * Scopes the route needs that sit in `permissions` (Auth0 RBAC) or `roles` (Entra ID app-only
 * tokens) rather than in the claims the guard reads: say which `scopeClaims` would see them.
 */
function explainScopeClaims(
  section: Section,
  payload: Record<string, unknown>,
  scopeClaims: readonly string[],
  scopes: readonly string[],
  required: readonly string[],
  add: Add,
): void {
  for (const claim of ['permissions', 'roles']) {
    if (scopeClaims.includes(claim)) continue;
    const found = parseScopes(payload, [claim]);
    const needed = required.filter((scope) => !scopes.includes(scope) && found.includes(scope));
    if (found.length === 0 || (scopes.length > 0 && needed.length === 0)) continue;
    const what = needed.length > 0 ? `${needed.join(' ')} (needed) only in ${claim}` : `scopes only in ${claim}: ${found.join(' ')}`;
    add(section, 'warn', `${what}: the guard reads ${scopeClaims.join(' and ')}`, [
      `set scopeClaims: [${[...scopeClaims, claim].map((c) => `'${c}'`).join(', ')}] (--scope-claim ${[...scopeClaims, claim].join(' --scope-claim ')})`,
    ]);
  }
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
