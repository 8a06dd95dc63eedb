/**
 * The API the guard tests drive: the routes of DESIGN.md's usage example, on Express 5 or 4,
 * answered by Express's own default error handler (the contract: no custom handler needed).
 */
import type { Express } from 'express';
import supertest from 'supertest';
import { expect } from 'vitest';
import type { Guard } from '../../src/index.js';
import { parseChallenges, type Challenge } from './challenge.js';
import type { ExpressFlavour } from './webhook-app.js';

export { flavours } from './webhook-app.js';

export function guardedApp(flavour: ExpressFlavour, guard: Guard): Express {
  const app = flavour.create();
  app.get('/.well-known/oauth-protected-resource', guard.metadata());
  app.get('/me', guard.authenticate({ optional: true }), (req, res) => {
    res.json({ auth: req.auth ?? null });
  });
  app.get('/single', guard.requireScopes('messages:read'), (req, res) => {
    res.json(req.auth);
  });
  app.use('/api', guard.authenticate());
  app.get('/api/messages', guard.requireScopes('messages:read'), (req, res) => {
    res.json(req.auth);
  });
  app.post('/api/messages', guard.requireScopes('messages:write', 'messages:read'), (req, res) => {
    res.status(201).json(req.auth);
  });
  app.get('/api/report', guard.requireAnyScope('reports:read', 'admin'), (req, res) => {
    res.json(req.auth);
  });
  return app;
}

/** GET `path` with `token` as a bearer token (or no Authorization header without one). */
export function get(app: Express, path: string, token?: string): supertest.Test {
  const request = supertest(app).get(path);
  return token === undefined ? request : request.set('Authorization', `Bearer ${token}`);
}

/**
 * Asserts a failure as a client sees it: status, the `Bearer` challenge's `error` (none for
 * missing credentials) and, for 503, a `Retry-After`. Returns the parsed challenge. A 401 of
 * a guard that also accepts DPoP carries a second, `DPoP` challenge after it (RFC 9449 §7.1).
 */
export function expectFailure(
  res: supertest.Response,
  status: number,
  error?: string,
  description?: RegExp,
): Challenge | undefined {
  expect({ status: res.status, body: res.status === status ? '' : res.text }).toEqual({ status, body: '' });
  if (status === 503) {
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    return undefined;
  }
  const [challenge, ...others] = parseChallenges((res.headers['www-authenticate'] as string | undefined) ?? '');
  if (challenge === undefined) throw new Error('no WWW-Authenticate header');
  expect(challenge.scheme).toBe('Bearer');
  expect(others.map((c) => [c.scheme, c.params.error])).toEqual(status === 401 && others.length > 0 ? [['DPoP', undefined]] : []);
  expect(challenge.params.error).toBe(error);
  expect(challenge.params.realm).toBeTypeOf('string');
  expect(challenge.params.resource_metadata).toMatch(/\/\.well-known\/oauth-protected-resource/);
  if (description !== undefined) expect(challenge.params.error_description).toMatch(description);
  return challenge;
}
