/**
 * `resource-guard doctor` says what to change for the token shapes of the servers in
 * docs/providers.md: a token without a usable `aud` but with a client (suggest `clientIds`),
 * an issuer that differs from the metadata's or the token's only by a trailing slash (the
 * exact spelling), scopes found only in `permissions` or `roles` (suggest `scopeClaims`).
 * Run in process against the fault-injecting server, as a user would type the commands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorInProcess as doctor, tokenFile } from '../support/doctor.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';

const audience = 'https://api.example.com';


let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer();
});
afterAll(() => as.close());

describe('a token without a usable aud, but with a client', () => {
  it('Cognito-shaped (no aud, client_id): suggests clientIds; with --client-id it is accepted', async () => {
    const token = as.mintJwt({ claims: { aud: undefined, client_id: 'app-one', token_use: 'access' } });
    const file = tokenFile(token);
    const run = await doctor(['--issuer', as.issuer, '--audience', audience, '--token-file', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[FAIL] no aud claim: tokens without an audience are refused');
    expect(run.stdout).toContain('the token names its client (client_id app-one)');
    expect(run.stdout).toContain("clientIds: ['app-one'] (--client-id app-one), with or without an audience");
    expect(run.stdout).toContain('[FAIL] refused: 401 invalid_token: token has no audience');

    const fixed = await doctor(['--issuer', as.issuer, '--client-id', 'app-one', '--token-file', file]);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('audience   (not compared)');
    expect(fixed.stdout).toContain('clients    app-one');
    expect(fixed.stdout).toContain('[info] aud (none): not compared (clientIds only)');
    expect(fixed.stdout).toContain('[ok]   client app-one (client_id) is accepted');
    expect(fixed.stdout).toContain('[ok]   accepted: signature and claims verified locally');
    expect(fixed.stdout).not.toContain(token);
  });

  it('Keycloak-shaped (aud "account", the client in azp): the same hint names azp', async () => {
    const token = as.mintJwt({ claims: { aud: 'account', client_id: undefined, azp: 'orders-web', typ: 'Bearer' } });
    const run = await doctor(['--issuer', as.issuer, '--audience', audience, '--token-file', tokenFile(token)]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`[FAIL] aud account does not include ${audience}`);
    expect(run.stdout).toContain('the token names its client (azp orders-web)');
    expect(run.stdout).toContain("clientIds: ['orders-web'] (--client-id orders-web)");
  });

  it('a client that is not listed: the client named, and what to do', async () => {
    const token = as.mintJwt({ claims: { aud: [], client_id: 'billing-cli' } });
    const run = await doctor(['--issuer', as.issuer, '--client-id', 'orders-cli', '--token-file', tokenFile(token)]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[FAIL] client billing-cli (client_id) is not one of orders-cli');
    expect(run.stdout).toContain('[FAIL] refused: 401 invalid_token: token issued to a client not accepted here');
    expect(run.stdout).toContain('add it to clientIds (--client-id)');
  });

  it('no hint when the token names no client, nor when clientIds is already set', async () => {
    const noClient = await doctor(['--issuer', as.issuer, '--audience', audience, '--token-file', tokenFile(as.mintJwt({ claims: { aud: undefined, client_id: undefined } }))]);
    expect(noClient.stdout).toContain('[FAIL] no aud claim');
    expect(noClient.stdout).not.toContain('clientIds:');
    const both = await doctor(['--issuer', as.issuer, '--audience', audience, '--client-id', 'app-one', '--token-file', tokenFile(as.mintJwt({ claims: { aud: undefined, client_id: 'app-one' } }))]);
    expect(both.stdout).toContain('[FAIL] no aud claim');
    expect(both.stdout).not.toContain('pin the client instead');
  });

  it('an ID token that says so: named as not an access token', async () => {
    const token = as.mintJwt({ claims: { aud: 'orders-web', client_id: undefined, azp: 'orders-web', typ: 'ID' } });
    const run = await doctor(['--issuer', as.issuer, '--client-id', 'orders-web', '--token-file', tokenFile(token)]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[FAIL] typ ID: not an access token (an ID or refresh token?)');
    expect(run.stdout).toContain("refused: 401 invalid_token: token type 'ID' (claim typ) is not an access token");
  });

  it('usage: --audience or --client-id is required', async () => {
    const run = await doctor(['--issuer', as.issuer]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--audience (or --client-id) is required');
  });
});

describe('an issuer that differs only by a trailing slash', () => {
  let slash: FaultServer;
  beforeAll(async () => {
    slash = await startFaultServer();
    slash.setIssuer(`${slash.url}/`); // as Auth0 and Ory Hydra spell theirs
  });
  afterAll(() => slash.close());

  it("in the metadata: says so, and prints the metadata's exact spelling", async () => {
    const run = await doctor(['--issuer', slash.url, '--audience', audience]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`[FAIL] ${slash.endpoints.metadata} → 200, but its issuer is "${slash.url}/", not "${slash.url}"`);
    expect(run.stdout).toContain(`they differ only by a trailing slash: set issuer to exactly "${slash.url}/", as the tokens' iss says`);
  });

  it("in the token's iss: says so, and prints the exact spelling", async () => {
    const token = slash.mintJwt();
    const run = await doctor(['--issuer', slash.url, '--audience', audience, '--jwks-uri', slash.endpoints.jwks, '--token-file', tokenFile(token)]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`[FAIL] iss ${slash.url}/ is not a trusted issuer (trusted: ${slash.url})`);
    expect(run.stdout).toContain(`the configured issuer differs only by a trailing slash: use exactly "${slash.url}/" (--issuer ${slash.url}/)`);

    const fixed = await doctor(['--issuer', `${slash.url}/`, '--audience', audience, '--token-file', tokenFile(token)]);
    expect(fixed.code).toBe(0);
  });

  it('no hint when the issuers differ otherwise', async () => {
    const token = as.mintJwt({ claims: { iss: 'https://other.example.com' } });
    const run = await doctor(['--issuer', as.issuer, '--audience', audience, '--token-file', tokenFile(token)]);
    expect(run.stdout).toContain('is not a trusted issuer');
    expect(run.stdout).not.toContain('trailing slash');
  });
});

describe('scopes found only in permissions or roles', () => {
  it('Auth0 RBAC: a needed scope only in permissions suggests scopeClaims; with it, accepted', async () => {
    const token = as.mintJwt({ claims: { scope: 'openid profile', permissions: ['read:orders'] } });
    const file = tokenFile(token);
    const run = await doctor(['--issuer', as.issuer, '--audience', audience, '--token-file', file, '--scope', 'read:orders']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[warn] read:orders (needed) only in permissions: the guard reads scope and scp');
    expect(run.stdout).toContain("set scopeClaims: ['scope', 'scp', 'permissions'] (--scope-claim scope --scope-claim scp --scope-claim permissions)");
    expect(run.stdout).toContain('would answer 403 insufficient_scope: lacks read:orders');

    const fixed = await doctor(['--issuer', as.issuer, '--audience', audience, '--token-file', file, '--scope', 'read:orders', '--scope-claim', 'scope', '--scope-claim', 'permissions']);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('[ok]   has every scope asked for: read:orders');
    expect(fixed.stdout).not.toContain('[warn]');
  });

  it('Entra app-only: no scopes at all, application permissions in roles', async () => {
    const token = as.mintJwt({ claims: { scope: undefined, roles: ['Orders.Read.All'] } });
    const run = await doctor(['--issuer', as.issuer, '--audience', audience, '--token-file', tokenFile(token)]);
    expect(run.stdout).toContain('[info] scopes: (none)');
    expect(run.stdout).toContain('[warn] scopes only in roles: Orders.Read.All: the guard reads scope and scp');
    expect(run.stdout).toContain("set scopeClaims: ['scope', 'scp', 'roles']");
  });

  it('no hint when the scopes the guard reads are enough', async () => {
    const token = as.mintJwt({ claims: { scope: 'read:orders', permissions: ['read:orders'], roles: ['admin'] } });
    const run = await doctor(['--issuer', as.issuer, '--audience', audience, '--token-file', tokenFile(token), '--scope', 'read:orders']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('scopeClaims');
  });
});
