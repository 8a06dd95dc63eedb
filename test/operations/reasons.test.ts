/**
 * The stable reason codes of refusals (events, metrics labels) and the fixed phrases of
 * `errorDetail: 'minimal'`. Every `invalidToken('…')` description written in src/ must map to
 * a reason other than `'other'`: a new or reworded check fails here, not silently in a dashboard.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/index.js';
import { invalidRequest, invalidToken, insufficientScope, missingToken, serverError, temporarilyUnavailable } from '../../src/errors/factories.js';
import { minimalDescription, reasonOf } from '../../src/auth/reasons.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every literal description passed to `invalidToken(` (or jwt.ts's `refuse(`) in src/, `${…}` replaced by a number. */
function invalidTokenDescriptions(): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (const file of sourceFiles('src')) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:invalidToken|refuse)\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)) {
      const description = match[2]!.replace(/\$\{[^}]*\}/g, '42').replace(/\\(.)/g, '$1');
      found.push([file, description]);
    }
  }
  return found;
}

describe('reasonOf', () => {
  const table: Array<[string, string]> = [
    ['token expired 42 s ago', 'expired'],
    ['token not valid yet', 'not_yet_valid'],
    ['token not valid before 42 s from now', 'not_yet_valid'],
    ['token issued in the future', 'not_yet_valid'],
    ['audience mismatch', 'audience'],
    ['token has no audience', 'audience'],
    ['introspection response has no audience', 'audience'],
    ['token audience is malformed', 'audience'],
    ['token names no client (client_id, azp or cid)', 'client'],
    ['token issued to a client not accepted here', 'client'],
    ['token type "ID" (claim typ) is not an access token', 'type'],
    ['an ID token (its aud is its own client), not an access token', 'type'],
    ['issuer not trusted', 'issuer'],
    ['token has no issuer', 'issuer'],
    ['invalid signature', 'signature'],
    ["token cannot be verified with the issuer's key", 'signature'],
    ["key 'abc' not found in the JWKS", 'unknown_key'],
    ['no key for ES256 in the JWKS', 'unknown_key'],
    ['algorithm HS256 not allowed', 'algorithm'],
    ["unsigned tokens (alg 'none') are not accepted", 'algorithm'],
    ['token type "dpop+jwt" is not an access token type', 'type'],
    ['token type missing: "at+jwt" required', 'type'],
    ['token uses an unsupported or critical header', 'malformed'],
    ['malformed token', 'malformed'],
    ['malformed JWT: 2 parts, a JWT has 3 (cut short?)', 'malformed'],
    ["malformed JWT: its header names no 'alg'", 'malformed'],
    ["malformed JWT: it starts with 'Bearer '; the token is what follows", 'malformed'],
    ['malformed JWT: its payload is not base64url-encoded JSON (cut short?)', 'malformed'],
    ['malformed JWT: a part is not canonical base64url (cut short or altered?)', 'malformed'],
    ['empty token', 'malformed'],
    ['token too large', 'too_large'],
    ['token is not active', 'inactive'],
    ['refresh tokens are not access tokens', 'inactive'],
    ['opaque tokens need introspection, which is not configured', 'not_verifiable'],
    ['HS256 tokens cannot be verified locally without a shared secret', 'not_verifiable'],
    ["token has no valid 'exp'", 'claims'],
    ['token is not DPoP-bound (no cnf.jkt): send it with the Bearer scheme', 'binding'],
    ['DPoP proof key does not match the token binding (cnf.jkt)', 'binding'],
    ['token is bound by a confirmation method this resource cannot check', 'binding'],
    ['token older than 3600 s', 'claims'],
  ];
  it.each(table)('%s → %s', (description, reason) => {
    expect(reasonOf(invalidToken(description))).toBe(reason);
  });

  it('other codes map by code', () => {
    expect(reasonOf(missingToken())).toBe('missing');
    expect(reasonOf(invalidRequest('two tokens'))).toBe('malformed_request');
    expect(reasonOf(temporarilyUnavailable('down', 1))).toBe('unavailable');
    expect(reasonOf(serverError('issuer mismatch'))).toBe('configuration');
    expect(reasonOf(new Error('bug'))).toBe('other');
    expect(reasonOf(new OAuthError({ status: 401, code: 'invalid_dpop_proof', description: 'DPoP proof signature invalid' }))).toBe('proof');
    expect(reasonOf(new OAuthError({ status: 401, code: 'insufficient_user_authentication', description: 'authentication too old' }))).toBe('step_up');
  });

  it('every invalid_token description written in src/ has a reason', () => {
    const descriptions = invalidTokenDescriptions();
    expect(descriptions.length).toBeGreaterThan(20);
    const unclassified = descriptions.filter(([, d]) => reasonOf(invalidToken(d)) === 'other');
    expect(unclassified).toEqual([]);
  });
});

describe('minimalDescription', () => {
  it('one fixed phrase per code; "expired" is the only invalid_token detail kept', () => {
    expect(minimalDescription(invalidToken('token expired 42 s ago'))).toBe('token expired');
    expect(minimalDescription(invalidToken("key 'abc' not found in the JWKS"))).toBe('invalid token');
    expect(minimalDescription(invalidToken('audience mismatch'))).toBe('invalid token');
    expect(minimalDescription(invalidRequest('token sent in more than one way'))).toBe('malformed request');
    expect(minimalDescription(insufficientScope(['a'], 'token lacks required scope: a'))).toBe('insufficient scope');
    expect(minimalDescription(temporarilyUnavailable('JWKS at https://as/jwks answered 503', 3))).toBe('temporarily unavailable, retry later');
    expect(minimalDescription(serverError('issuer mismatch: …'))).toBe('server error');
    expect(minimalDescription(missingToken())).toBe('no bearer token');
  });

  it('a reduced error keeps class, status, code, challenge params and Retry-After; the original is its cause', () => {
    const original = temporarilyUnavailable('JWKS at https://as/jwks answered 503', 7);
    const reduced = original.withContext({ realm: 'api', describe: minimalDescription });
    expect(reduced).not.toBe(original);
    expect(reduced).toBeInstanceOf(OAuthError);
    expect(reduced).toMatchObject({ status: 503, code: 'temporarily_unavailable', retryAfter: 7, headers: { 'Retry-After': '7' } });
    expect(reduced.cause).toBe(original);
    expect(original.description).toBe('JWKS at https://as/jwks answered 503');
    // Idempotent: rendering the reduced error again changes nothing.
    expect(reduced.withContext({ realm: 'api', describe: minimalDescription })).toBe(reduced);

    const scope = insufficientScope(['a', 'b'], 'token lacks required scope: b').withContext({ describe: minimalDescription });
    expect(scope.challenge).toMatchObject({ error: 'insufficient_scope', error_description: 'insufficient scope', scope: 'a b' });
  });
});
