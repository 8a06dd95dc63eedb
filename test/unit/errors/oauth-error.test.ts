import { describe, expect, it } from 'vitest';
import { OAuthError, renderChallenge } from '../../../src/errors/oauth-error.js';
import { insufficientScope, invalidRequest, invalidToken, missingToken, temporarilyUnavailable } from '../../../src/errors/factories.js';
import { parseChallenge } from '../../support/challenge.js';

const context = { realm: 'https://api.example.com', resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource' };

describe('renderChallenge', () => {
  const vectors: Array<[string, Record<string, string | undefined>, Record<string, string>]> = [
    ['plain values', { realm: 'api', error: 'invalid_token' }, { realm: 'api', error: 'invalid_token' }],
    ['quotes are escaped', { realm: 'a "quoted" realm' }, { realm: 'a "quoted" realm' }],
    ['backslashes are escaped', { realm: 'back\\slash' }, { realm: 'back\\slash' }],
    ['empty and undefined are left out', { realm: 'api', error: '', scope: undefined }, { realm: 'api' }],
    ['control characters are dropped', { realm: 'a\r\nb\u0000c' }, { realm: 'abc' }],
    ['non-ASCII is dropped', { realm: 'caf\u00e9' }, { realm: 'caf' }],
  ];
  it.each(vectors)('%s', (_name, params, expected) => {
    const header = renderChallenge('Bearer', params);
    const parsed = parseChallenge(header);
    expect(parsed.scheme).toBe('Bearer');
    expect(parsed.params).toEqual(expected);
  });

  it('renders a bare scheme when there is nothing to say', () => {
    expect(renderChallenge('Bearer', {})).toBe('Bearer');
  });
});

describe('OAuthError', () => {
  it('missing credentials: 401 with realm and resource_metadata and no error (RFC 6750 §3.1)', () => {
    const err = missingToken().withContext(context);
    expect(err.status).toBe(401);
    const challenge = parseChallenge(err.headers['WWW-Authenticate']);
    expect(challenge.params).toEqual({ realm: context.realm, resource_metadata: context.resourceMetadata });
  });

  it('invalid_request: 400 with the error code', () => {
    const err = invalidRequest('two tokens').withContext(context);
    expect(err.status).toBe(400);
    expect(parseChallenge(err.headers['WWW-Authenticate']).params).toMatchObject({
      error: 'invalid_request',
      error_description: 'two tokens',
    });
  });

  it('insufficient_scope: 403 naming every needed scope', () => {
    const err = insufficientScope(['a:read', 'b:write'], 'token lacks required scope: b:write').withContext(context);
    expect(err.status).toBe(403);
    expect(parseChallenge(err.headers['WWW-Authenticate']).params).toMatchObject({
      error: 'insufficient_scope',
      scope: 'a:read b:write',
    });
  });

  it('503 carries Retry-After and no challenge', () => {
    const err = temporarilyUnavailable('JWKS down', 7).withContext(context);
    expect(err.status).toBe(503);
    expect(err.headers).toEqual({ 'Retry-After': '7' });
  });

  it('descriptions never carry characters RFC 6750 forbids in error_description', () => {
    const err = invalidToken('bad "kid" \\ here\n').withContext(context);
    expect(err.description).not.toMatch(/["\\\n]/);
    expect(parseChallenge(err.headers['WWW-Authenticate']).params.error_description).toBe("bad 'kid' / here");
  });

  it('is an Error with status/statusCode/expose for Express and http-errors handlers', () => {
    const err = invalidToken('expired');
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(OAuthError);
    expect(err.statusCode).toBe(401);
    expect(err.expose).toBe(true);
    expect(temporarilyUnavailable('x', 1).expose).toBe(false);
  });

  it('withContext is idempotent', () => {
    const err = invalidToken('x').withContext(context).withContext(context);
    expect(Object.keys(err.headers)).toEqual(['WWW-Authenticate']);
  });

  it('headers follow the last context given, also after they were read once', () => {
    const err = invalidToken('x');
    expect(parseChallenge(err.headers['WWW-Authenticate']).params).toEqual({ error: 'invalid_token', error_description: 'x' });
    err.withContext(context);
    expect(parseChallenge(err.headers['WWW-Authenticate']).params.realm).toBe(context.realm);
    err.withContext({ realm: 'other' });
    expect(parseChallenge(err.headers['WWW-Authenticate']).params).toEqual({ error: 'invalid_token', error_description: 'x', realm: 'other' });
  });

  it('JSON.stringify keeps every field a log needs, headers included, and no cause', () => {
    const err = invalidToken('expired', new Error('inner detail')).withContext(context);
    const json = JSON.parse(JSON.stringify(err)) as Record<string, unknown>;
    expect(json).toMatchObject({ name: 'OAuthError', status: 401, statusCode: 401, code: 'invalid_token', description: 'expired', message: 'expired', expose: true });
    expect(json.headers).toEqual(err.headers);
    expect(JSON.stringify(json)).not.toContain('inner detail');
  });

  it('a minimal description (errorDetail) is a copy that keeps the original as cause and its stack frames', () => {
    const original = invalidToken('token expired 12 s ago');
    const minimal = original.withContext({ ...context, describe: () => 'invalid token' });
    expect(minimal).not.toBe(original);
    expect(minimal).toBeInstanceOf(OAuthError);
    expect(minimal.cause).toBe(original);
    expect(parseChallenge(minimal.headers['WWW-Authenticate']).params).toMatchObject({ error_description: 'invalid token', realm: context.realm });
    expect(minimal.stack!.split('\n')[0]).toBe('OAuthError: invalid token');
    expect(minimal.stack!.split('\n').slice(1)).toEqual(original.stack!.split('\n').slice(1));
    expect(original.description).toBe('token expired 12 s ago');
  });

  it('client errors carry no stack frames (outcomes, not bugs); server errors and causes keep theirs', () => {
    const limit = Error.stackTraceLimit;
    const refused = invalidToken('invalid signature', new Error('underneath'));
    expect(refused.stack).toBe('OAuthError: invalid signature');
    expect((refused.cause as Error).stack).toMatch(/\n\s+at /);
    expect(temporarilyUnavailable('down', 1).stack).toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('headers rendered for one refusal shape are reused, never shared: a handler adding a header affects only its error', () => {
    const first = invalidToken('invalid signature').withContext(context);
    first.headers['X-Extra'] = '1';
    const second = invalidToken('invalid signature').withContext(context);
    expect(second.headers).toEqual({ 'WWW-Authenticate': first.headers['WWW-Authenticate'] });
    // Many shapes on one context: each still renders its own description.
    for (let i = 0; i < 200; i++) {
      const err = invalidToken(`token expired ${i} s ago`).withContext(context);
      expect(parseChallenge(err.headers['WWW-Authenticate']).params.error_description).toBe(`token expired ${i} s ago`);
    }
    const scoped = insufficientScope(['a', 'b'], 'needs a b').withContext(context);
    expect(parseChallenge(scoped.headers['WWW-Authenticate']).params.scope).toBe('a b');
  });
});
