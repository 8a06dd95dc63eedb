/**
 * Type-level test, checked by `tsc -p tsconfig.json` (never run): `createGuard<Claims>()` types
 * `req.auth.claims` in `guard.handler()` and `AuthenticatedRequest<Claims>` handlers, in
 * `requireAuth` policies and `verify` results, and `requireClaims` rules; Express's own
 * `req.auth` stays the untyped `AuthInfo`. Each `@ts-expect-error` marks what must not compile.
 */
import express, { type Request, type Response } from 'express';
import {
  createGuard,
  type AuthenticatedRequest,
  type AuthInfo,
  type ClaimRules,
  type Guard,
} from '../../src/index.js';

interface Claims {
  tenant: string;
  roles: string[];
  plan?: 'free' | 'pro';
  'https://example.com/org': number;
}

const guard = createGuard<Claims>({ issuer: 'https://auth.example.com', audience: 'https://api.example.com' });
const app = express();

// guard.handler: req.auth is set and its claims are typed.
app.get(
  '/tenant',
  guard.requireScopes('tenant:read'),
  guard.handler((req, res) => {
    const tenant: string = req.auth.claims.tenant;
    const roles: string[] = req.auth.claims.roles;
    const plan: 'free' | 'pro' | undefined = req.auth.claims.plan;
    const org: number = req.auth.claims['https://example.com/org'];
    // @ts-expect-error tenant is a string
    const wrong: number = req.auth.claims.tenant;
    // Other claims a token carries stay readable, as unknown.
    const other: unknown = req.auth.claims.exp;
    // @ts-expect-error unknown claims are not assumed to be strings
    const assumed: string = req.auth.claims.something;
    res.json({ tenant, roles, plan, org, wrong, other, assumed });
  }),
);

// Async handlers are fine; what they reject with reaches next(err).
app.get('/async', guard.handler(async (req, res) => {
  await Promise.resolve();
  res.json(req.auth.scopes);
}));

// A handler written on its own, with the exported request type.
function listInvoices(req: AuthenticatedRequest<Claims>, res: Response): void {
  res.json({ tenant: req.auth.claims.tenant.toUpperCase() });
}
app.get('/invoices', guard.handler(listInvoices));

// Plain Express handlers see Express's global augmentation only: optional, untyped claims.
app.get('/plain', guard.authenticate(), (req: Request, res) => {
  // @ts-expect-error req.auth may be unset on a plain handler
  const direct = req.auth.claims;
  const claim: unknown = req.auth?.claims.tenant;
  // @ts-expect-error the global req.auth is not typed with the guard's claims
  const typed: string = req.auth?.claims.tenant;
  res.json({ direct, claim, typed });
});

// requireClaims: keys and value types come from Claims.
guard.requireClaims({ tenant: 'acme' });
guard.requireClaims({ tenant: ['acme', 'globex'], roles: 'admin' });
guard.requireClaims({ roles: ['admin', 'owner'], plan: 'pro' });
guard.requireClaims({ tenant: (t) => t.startsWith('a'), roles: (r) => r.includes('admin') });
guard.requireClaims({ 'https://example.com/org': 42 });
// @ts-expect-error tenant is a string, not a number
guard.requireClaims({ tenant: 42 });
// @ts-expect-error plan is 'free' | 'pro'
guard.requireClaims({ plan: 'enterprise' });
// @ts-expect-error a claim the Claims type does not declare
guard.requireClaims({ tenat: 'acme' });
// @ts-expect-error the function gets the claim's type
guard.requireClaims({ roles: (r: number) => r > 0 });

// requireAuth and verify: AuthInfo<Claims>.
guard.requireAuth((auth, req) => auth.claims.tenant === req.params.tenant, { scope: 'admin' });
guard.requireAuth(async (auth) => auth.claims.roles.includes('admin'));
// @ts-expect-error the policy returns a boolean
guard.requireAuth(() => 'yes');
void (async () => {
  const auth: AuthInfo<Claims> = await guard.verify('token', { audience: 'https://api.example.com/billing' });
  const tenant: string = auth.claims.tenant;
  // @ts-expect-error verify's claims are the guard's Claims
  const n: number = auth.claims.tenant;
  return [tenant, n];
})();

// Step-up and per-route audiences.
guard.requireAuthLevel({ acr: ['phr', 'phrh'], maxAge: 300 });
guard.requireAuthLevel({ acr: 'phr' });
// @ts-expect-error maxAge is a number of seconds
guard.requireAuthLevel({ maxAge: '300' });
guard.authenticate({ audience: 'request-url', resourcePath: '/mcp', origins: ['https://mcp.example.com'] });
guard.authenticate({ audience: ['https://api.example.com/billing', 'urn:billing'], optional: true });
// @ts-expect-error an audience is a string or a list of them
guard.authenticate({ audience: 42 });

// Without a type argument, claims are Record<string, unknown>, and rules take any claim name.
const untyped = createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com' });
untyped.requireClaims({ anything: 'x', list: ['a', 1, true, null], fn: (v) => v !== undefined });
untyped.handler((req, res) => res.json({ claim: req.auth.claims.anything satisfies unknown }));
const rules: ClaimRules = { tenant: 'acme' };
untyped.requireClaims(rules);

// A typed guard still fits where a plain Guard is expected (test helpers, app wiring).
const plain: Guard = guard;
void plain;
