import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../../src/errors/oauth-error.js';
import type { TokenLocation } from '../../../src/options/normalize.js';
import { extractToken, MAX_AUTHORIZATION_LENGTH, type TokenSource } from '../../../src/auth/extract.js';

const header = new Set<TokenLocation>(['header']);
const all = new Set<TokenLocation>(['header', 'body', 'query']);
const form = { 'content-type': 'application/x-www-form-urlencoded' };

function outcome(source: TokenSource, locations = header): string {
  try {
    return `token:${extractToken(source, locations) ?? '<none>'}`;
  } catch (err) {
    return err instanceof OAuthError ? `${err.status}:${err.code}` : `threw:${String(err)}`;
  }
}

describe('extractToken', () => {
  const cases: Array<[string, TokenSource, string, Set<TokenLocation>?]> = [
    ['no header', { headers: {} }, 'token:<none>'],
    ['Bearer token', { headers: { authorization: 'Bearer abc.DEF-_~+/=' } }, 'token:abc.DEF-_~+/='],
    ['scheme is case-insensitive', { headers: { authorization: 'bEaReR abc' } }, 'token:abc'],
    ['several spaces after the scheme (1*SP)', { headers: { authorization: 'Bearer   abc' } }, 'token:abc'],
    ['Basic is no bearer credentials', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }, 'token:<none>'],
    ['DPoP is no bearer credentials', { headers: { authorization: 'DPoP abc' } }, 'token:<none>'],
    ['Bearer with nothing after it', { headers: { authorization: 'Bearer' } }, '400:invalid_request'],
    ['Bearer followed by spaces only', { headers: { authorization: 'Bearer   ' } }, '400:invalid_request'],
    ['two tokens in one header', { headers: { authorization: 'Bearer abc def' } }, '400:invalid_request'],
    ['illegal characters', { headers: { authorization: 'Bearer abc"def' } }, '400:invalid_request'],
    ['padding in the middle', { headers: { authorization: 'Bearer ab=c' } }, '400:invalid_request'],
    ['two Authorization headers', { headers: { authorization: ['Bearer a', 'Bearer b'] } }, '400:invalid_request'],
    ['one header given as a one-item array', { headers: { authorization: ['Bearer a'] } }, 'token:a'],
    [
      'header over 8 KiB',
      { headers: { authorization: `Bearer ${'a'.repeat(MAX_AUTHORIZATION_LENGTH)}` } },
      '400:invalid_request',
    ],
    ['body ignored unless enabled', { headers: form, method: 'POST', body: { access_token: 'abc' } }, 'token:<none>'],
    ['query ignored unless enabled', { headers: {}, query: { access_token: 'abc' } }, 'token:<none>'],
    ['form body when enabled', { headers: form, method: 'POST', body: { access_token: 'abc' } }, 'token:abc', all],
    [
      'JSON body field is app data, not a token',
      { headers: { 'content-type': 'application/json' }, method: 'POST', body: { access_token: 'abc' } },
      'token:<none>',
      all,
    ],
    ['form body with GET', { headers: form, method: 'GET', body: { access_token: 'abc' } }, '400:invalid_request', all],
    ['two access_token in the body', { headers: form, method: 'POST', body: { access_token: ['a', 'b'] } }, '400:invalid_request', all],
    ['query when enabled', { headers: {}, query: { access_token: 'abc' } }, 'token:abc', all],
    ['two access_token in the query', { headers: {}, query: { access_token: ['a', 'b'] } }, '400:invalid_request', all],
    ['empty access_token in the query', { headers: {}, query: { access_token: '' } }, '400:invalid_request', all],
    ['header and query', { headers: { authorization: 'Bearer a' }, query: { access_token: 'b' } }, '400:invalid_request', all],
    [
      'header and body',
      { headers: { authorization: 'Bearer a', ...form }, method: 'POST', body: { access_token: 'b' } },
      '400:invalid_request',
      all,
    ],
    ['Basic header and a query token', { headers: { authorization: 'Basic x' }, query: { access_token: 'b' } }, 'token:b', all],
  ];
  it.each(cases)('%s', (_name, source, expected, locations) => {
    expect(outcome(source, locations)).toBe(expected);
  });
});
