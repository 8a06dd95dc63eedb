/**
 * The package as users get it: the built `dist/` through the `exports` map, from ESM and
 * from CommonJS (Node >= 20.19 loads ESM with `require`).
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const run = (code: string, type: 'commonjs' | 'module') =>
  execFileSync(process.execPath, ['--input-type', type, '--no-warnings', '-e', code], { cwd: process.cwd(), encoding: 'utf8' }).trim();

describe('package entry points', () => {
  it('require("resource-guard") works from CommonJS', () => {
    const out = run(
      `const rg = require('resource-guard');
       const hooks = require('resource-guard/webhooks');
       const { redisStore } = require('resource-guard/redis');
       if (typeof redisStore !== 'function') throw new Error('no redisStore');
       const guard = rg.createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com' });
       console.log(typeof rg.createGuard, typeof rg.OAuthError, typeof guard.authenticate(), typeof hooks.telnyxWebhook, typeof hooks.standardWebhook);`,
      'commonjs',
    );
    expect(out).toBe('function function function function function');
  });

  it('import works from ESM and the OAuthError class is one and the same', () => {
    const out = run(
      `const { createGuard, OAuthError } = await import('resource-guard');
       const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com' });
       const err = await guard.verify('x').catch((e) => e);
       console.log(err instanceof OAuthError, err.status, err.code);`,
      'module',
    );
    expect(out).toBe('true 401 invalid_token');
  });

  it('resource-guard/no-augmentation is the same module as resource-guard, from import and require', () => {
    const out = run(
      `const main = await import('resource-guard');
       const plain = await import('resource-guard/no-augmentation');
       const { createRequire } = await import('node:module');
       const required = createRequire(process.cwd() + '/x.js')('resource-guard/no-augmentation');
       const same = Object.keys(main).every((name) => plain[name] === main[name] && required[name] === main[name]);
       console.log(same, Object.keys(plain).length === Object.keys(main).length);`,
      'module',
    );
    expect(out).toBe('true true');
  });

  it('exposes only the documented subpaths', () => {
    const require = createRequire(import.meta.url);
    expect(() => require.resolve('resource-guard/dist/verify/verifier.js')).toThrow();
    expect(require.resolve('resource-guard/package.json')).toMatch(/package\.json$/);
  });
});
