/**
 * What the issue-17 regression tests of findings 2–4, 8, 10 and 14 share: an API whose
 * `GET /api/data` is `guard.authenticate()` answering `req.auth`, and the 401 `invalid_token`
 * a client reads when the attack is refused.
 */
import type { Express } from 'express';
import type supertest from 'supertest';
import { expect } from 'vitest';
import type { AuthInfo, Guard } from '../../src/index.js';
import { bearerParams } from '../authorization/helpers.js';
import type { ExpressFlavour } from '../support/webhook-app.js';

/**
 * `auth` as the tests read it back: `req.auth.token` is not enumerable (so `res.json(req.auth)`
 * leaves it out, as a logger would), and these tests check which token was accepted.
 */
export function withVisibleToken(auth: AuthInfo | undefined): object | null {
  return auth === undefined ? null : { ...auth, token: auth.token };
}

/** `GET /api/data` behind `guard.authenticate()`, answering `req.auth`; `routes` adds more. */
export function dataApp(flavour: ExpressFlavour, guard: Guard, routes?: (app: Express) => void): Express {
  const app = flavour.create();
  app.get('/api/data', guard.authenticate(), (req, res) => {
    res.json(withVisibleToken(req.auth));
  });
  routes?.(app);
  return app;
}

/** A 401 `invalid_token` (Bearer challenge) whose description matches `description`, if given. */
export function expectInvalidToken(res: supertest.Response, description?: RegExp): void {
  expect({ status: res.status, text: res.status === 401 ? '' : res.text }).toEqual({ status: 401, text: '' });
  const params = bearerParams(res);
  expect(params.error).toBe('invalid_token');
  if (description !== undefined) expect(params.error_description).toMatch(description);
}
