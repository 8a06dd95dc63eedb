/**
 * What the authorization tests share: the exact `Bearer` challenge a client reads, parsed back
 * by the independent parser, and a request with a bearer token.
 */
import type { Express } from 'express';
import type { Server } from 'node:http';
import supertest from 'supertest';
import { expect } from 'vitest';
import { parseChallenges } from '../support/challenge.js';

export const audience = 'https://api.example.com';
export const realm = `realm="${audience}"`;
/** `resource_metadata` of the guard's own resource. */
export const rootMetadata = `resource_metadata="${audience}/.well-known/oauth-protected-resource"`;

/** A request with `token` as a bearer token (no Authorization header without one). */
export function request(
  app: Express | Server,
  path: string,
  token?: string,
  method: 'get' | 'post' = 'get',
): supertest.Test {
  const test = supertest(app)[method](path);
  return token === undefined ? test : test.set('Authorization', `Bearer ${token}`);
}

/**
 * Asserts the status and that the `Bearer` challenge is exactly `expected` (the header may go
 * on with other schemes' challenges after it); returns the parsed `Bearer` params.
 */
export function expectChallenge(res: supertest.Response, status: number, expected: string): Record<string, string> {
  expect({ status: res.status, body: res.status === status ? '' : res.text }).toEqual({ status, body: '' });
  const header = res.headers['www-authenticate'] as string | undefined;
  expect(header).toBeTypeOf('string');
  const bearer = header!.slice(0, expected.length);
  expect(bearer).toBe(expected);
  expect(header!.slice(expected.length)).toMatch(/^(|, [A-Za-z][\w-]* .*)$/);
  const challenge = parseChallenges(header!).find((c) => c.scheme === 'Bearer');
  expect(challenge).toBeDefined();
  return challenge!.params;
}

/** The `Bearer` challenge's params (other schemes' challenges may follow it). */
export function bearerParams(res: supertest.Response): Record<string, string> {
  const challenge = parseChallenges(String(res.headers['www-authenticate'] ?? '')).find((c) => c.scheme === 'Bearer');
  expect(challenge).toBeDefined();
  return challenge!.params;
}

/** The body of a 200, failing with the response text otherwise. */
export function expectOk<T = Record<string, unknown>>(res: supertest.Response): T {
  expect({ status: res.status, body: res.status === 200 ? '' : res.text, challenge: res.headers['www-authenticate'] }).toEqual({
    status: 200,
    body: '',
    challenge: undefined,
  });
  return res.body as T;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const now = () => Math.floor(Date.now() / 1000);
