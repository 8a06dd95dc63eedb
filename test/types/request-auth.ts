/**
 * Type-level tests, checked by `npm run typecheck`: `req.auth` and the option types.
 * Lines marked `@ts-expect-error` must fail to compile; if they compile, the check fails.
 */
import express from 'express';
import { createGuard, type AuthInfo, type GuardOptions } from '../../src/index.js';

const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com' });
const app = express();

app.get('/api', guard.requireScopes('a'), (req, res) => {
  const auth: AuthInfo | undefined = req.auth;
  const scopes: string[] = req.auth?.scopes ?? [];
  const tokenType: 'jwt' | 'opaque' | undefined = req.auth?.tokenType;
  // @ts-expect-error scopes are strings, not a Set
  const notASet: Set<string> = req.auth!.scopes;
  res.json({ auth, scopes, tokenType, notASet });
});

export const good: GuardOptions = {
  issuer: ['https://a.example.com', 'https://b.example.com'],
  audience: 'https://api.example.com',
  introspection: { auth: 'bearer', bearerToken: 'k', encoding: 'json' },
  tokenLocations: ['header', 'body'],
};

// @ts-expect-error audience is required
export const noAudience: GuardOptions = { issuer: 'https://a.example.com' };

// @ts-expect-error 'none' is not an algorithm
export const noneAlg: GuardOptions = { issuer: 'https://a.example.com', audience: 'x', algorithms: ['none'] };

// @ts-expect-error durations are numbers of seconds
export const stringTimeout: GuardOptions = { issuer: 'https://a.example.com', audience: 'x', timeout: '5s' };
