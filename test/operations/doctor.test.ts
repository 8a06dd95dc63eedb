/**
 * `resource-guard doctor`, run as a child process (as a user would, through the package's
 * `bin` entry point) against local authorization servers: a good token, an expired one, one
 * for another audience, one with an unknown kid; exit codes, explanations, `--json`; and
 * never a token or a secret in what it prints.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type AuthorizationServer } from '../../example-app/authorization-server.js';
import { fault, startFaultServer, type FaultServer } from '../support/fault-server.js';
import { main } from '../../src/cli/main.js';
import { doctorChild as doctor, doctorInProcess, tokenFile, type DoctorRun } from '../support/doctor.js';

const audience = 'https://api.example.com';
const ENTRY = 'src/cli/doctor.ts';
const dir = mkdtempSync(join(tmpdir(), 'rg-doctor-'));

type Run = DoctorRun;

function expectNoSecret(run: Run, ...secrets: string[]): void {
  for (const secret of secrets) {
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
    const signature = secret.split('.')[2];
    if (signature !== undefined && signature.length > 16) expect(run.stdout).not.toContain(signature);
  }
}

describe('against the fault-injecting authorization server (ETag, Cache-Control)', () => {
  let as: FaultServer;
  beforeAll(async () => {
    as = await startFaultServer({ cache: { etag: true, cacheControl: 'max-age=120' } });
  });
  afterAll(() => as.close());
  const base = () => ['--issuer', as.issuer, '--audience', audience];

  it('a good token: exit 0, every step shown, the verdict accepted', async () => {
    const token = as.mintJwt();
    const run = await doctor([...base(), '--token-file', tokenFile(token, 'good'), '--scope', 'messages:read']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toContain(`[ok]   ${as.endpoints.metadata} → 200`);
    expect(out).toContain('[ok]   issuer matches the configuration exactly');
    expect(out).toContain(`JWKS: ${as.endpoints.jwks}`);
    for (const key of as.keys.keys) expect(out).toContain(`kid ${key.kid}`);
    expect(out).toContain('Cache-Control: max-age=120 → refreshed every 120 s');
    expect(out).toMatch(/\[ok\] {3}ETag "[^"]+": a refresh that finds nothing new costs a 304/);
    expect(out).toContain(`signature verifies with key ${as.keys.current('RS256').kid}`);
    expect(out).toContain('[ok]   accepted: signature and claims verified locally');
    expect(out).toContain('[ok]   has every scope asked for: messages:read');
    expect(out.trimEnd().split('\n').at(-1)).toBe('RESULT: ok');
    // Plain when piped: no escape codes.
    expect(out).not.toMatch(/\x1b\[/);
    expectNoSecret(run, token);
  });

  it('an expired token: exit 1, exp named with how long ago (one age, the same words twice), verdict and what to do', async () => {
    const token = as.mintJwt({ expiresIn: -600 });
    const run = await doctor([...base(), '--token-file', tokenFile(token, 'expired')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/\[FAIL\] expired 10 min ago \(exp \d{4}-\d\d-\d\dT[\d:]+Z, clock tolerance 5 s\)/);
    expect(run.stdout).toContain('[FAIL] refused: 401 invalid_token: token expired 10 min ago');
    expect(run.stdout).toContain('the client must get a new token');
    expect(run.stdout).toContain('[ok]   signature verifies');
    expect(run.stdout).toContain('RESULT: FAIL (2 problems)');
    expectNoSecret(run, token);
  });

  it('a token for another audience: exit 1, both audiences named', async () => {
    const token = as.mintJwt({ claims: { aud: 'https://billing.example.com' } });
    const run = await doctor([...base(), '--token-file', tokenFile(token, 'aud')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`[FAIL] aud https://billing.example.com does not include ${audience}`);
    expect(run.stdout).toContain('[FAIL] refused: 401 invalid_token: audience mismatch');
    expect(run.stdout).toContain('issued for another API');
    expectNoSecret(run, token);
  });

  it('an unknown kid: exit 1, the kid and the published ones named', async () => {
    const token = as.mintJwt({ kid: 'ghost-key' });
    const run = await doctor([...base(), '--token-file', tokenFile(token, 'kid')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`[FAIL] kid ghost-key is not in the JWKS (published: ${as.keys.keys.map((k) => k.kid).join(', ')})`);
    expect(run.stdout).toContain("[FAIL] refused: 401 invalid_token: key 'ghost-key' not found in the JWKS");
    expect(run.stdout).toContain('a key that was rotated out');
    expectNoSecret(run, token);
  });

  it('--json: one parseable report, the same verdict, exit 1', async () => {
    const token = as.mintJwt({ claims: { aud: 'https://billing.example.com' } });
    const run = await doctor([...base(), '--token-file', tokenFile(token, 'json'), '--json']);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; sections: Array<{ id: string; checks: Array<{ status: string }>; data: Record<string, unknown> }> };
    expect(report.ok).toBe(false);
    expect(report.sections.map((s) => s.id)).toEqual(['configuration', 'discovery', 'jwks', 'token', 'verdict']);
    const byId = Object.fromEntries(report.sections.map((s) => [s.id, s]));
    expect(byId.verdict!.data).toEqual({ accepted: false, status: 401, code: 'invalid_token', reason: 'audience', description: 'audience mismatch' });
    expect(byId.jwks!.data).toMatchObject({ url: as.endpoints.jwks, refreshEvery: 120, revalidation: 'not-modified', cacheControl: 'max-age=120' });
    expect((byId.jwks!.data.keys as unknown[]).length).toBe(as.keys.keys.length);
    expect(byId.token!.data).toMatchObject({ type: 'jwt', header: { alg: 'RS256' }, claims: { aud: 'https://billing.example.com' } });
    expectNoSecret(run, token);
  });

  it('token from standard input and secrets from files never appear, nor on stderr', async () => {
    const secret = 'introspection-client-secret-xyz';
    writeFileSync(join(dir, 'secret'), secret);
    const opaque = as.mintOpaque();
    const run = await new Promise<Run>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', ENTRY, 'doctor', ...base(), '--token-file', '-', '--introspection-client-id', 'resource-server', '--introspection-client-secret-file', join(dir, 'secret')],
        { env: { ...process.env } },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
      );
      child.stdin!.end(opaque);
    });
    // The fault server's client secret is another one: introspection is refused, 503.
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('opaque token of');
    expect(run.stdout).toMatch(/\[FAIL\] undecided: 503 temporarily_unavailable: introspection endpoint refused the guard's credentials \(401\)/);
    // The hint names the check that failed: refused credentials, not an unreachable server.
    expect(run.stdout).toContain("the introspection endpoint refused this API's own credentials: check --introspection-client-id");
    expect(run.stdout).not.toContain('could not be reached');
    // No raw Node warning ("(node:1234) Warning: …") on either stream: the report says it.
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toMatch(/\(node:\d+\)|Warning:|--trace-warnings/);
    expectNoSecret(run, opaque, secret);
  });

  it('a JWT pasted with its "Bearer " prefix: malformed JWT, in the token section and the verdict', async () => {
    const token = as.mintJwt();
    const run = await doctor([...base(), '--token-file', tokenFile(`Bearer ${token}\n`, 'bearer-prefix')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`[FAIL] malformed JWT: it starts with 'Bearer '; the token is what follows (${token.length + 7} characters)`);
    expect(run.stdout).toContain("[FAIL] refused: 401 invalid_token: malformed JWT: it starts with 'Bearer '; the token is what follows");
    expect(run.stdout).toContain('not a well-formed JWT: check that the whole token was copied');
    expect(run.stdout).not.toMatch(/opaque token of|only introspection can decide/);
    expectNoSecret(run, token);
  });

  it('a JWT cut short: malformed JWT, with how many parts it has', async () => {
    const token = as.mintJwt().split('.').slice(0, 2).join('.');
    const run = await doctorInProcess([...base(), '--token', token]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('[FAIL] malformed JWT: 2 parts, a JWT has 3 (cut short?)');
    expect(run.stdout).toContain('[FAIL] refused: 401 invalid_token: malformed JWT: 2 parts, a JWT has 3 (cut short?)');
  });
});

describe('discovery problems, explained', () => {
  let as: FaultServer;
  afterAll(() => as?.close());

  it('every URL tried is shown with what it answered (issuer with a path, OIDC only)', async () => {
    as = await startFaultServer({ issuerPath: '/tenant' });
    as.setBehavior('metadata', fault.status(404));
    const run = await doctorInProcess(['--issuer', as.issuer, '--audience', audience]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const tried = lines.filter((l) => l.includes('.well-known/'));
    expect(tried).toEqual([
      `  [info] ${as.url}/.well-known/oauth-authorization-server/tenant → 404: not here, next location`,
      `  [info] ${as.url}/tenant/.well-known/oauth-authorization-server → 404: not here, next location`,
      `  [ok]   ${as.url}/tenant/.well-known/openid-configuration → 200 in ${tried[2]!.match(/in (\d+) ms/)![1]} ms: metadata of this issuer`,
    ]);
    await as.close();
  });

  it('a wrong issuer: both values, and the fix', async () => {
    as = await startFaultServer();
    const configured = as.issuer;
    as.setIssuer(`${configured}/`);
    const run = await doctorInProcess(['--issuer', configured, '--audience', audience]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`[FAIL] ${as.endpoints.metadata} → 200, but its issuer is "${configured}/", not "${configured}"`);
    expect(run.stdout).toContain(`set --issuer ${configured}/ if that server is the one you trust`);
    expect(run.stdout).toContain('[FAIL] issuer mismatch: the guard would answer 500');
    await as.close();
  });

  it('a server that is down: the error of the first URL, and the search stops', async () => {
    as = await startFaultServer();
    await as.stopListening();
    const run = await doctorInProcess(['--issuer', as.issuer, '--audience', audience, '--timeout', '2']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`\\[FAIL\\] ${as.endpoints.metadata.replace(/[.]/g, '\\.')} → request to .* failed \\(ECONNREFUSED\\)`));
    expect(run.stdout).not.toContain('openid-configuration');
    expect(run.stdout).toContain('[FAIL] no JWKS URL');
  });

  it('usage mistakes: exit 1 with the reason and a short usage line, not the whole help', async () => {
    const run = await doctorInProcess(['--audience', audience]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "resource-guard doctor: --issuer is required\nUsage: resource-guard doctor --issuer URL (--audience AUDIENCE | --client-id ID) [options]\nRun 'resource-guard doctor --help' for every option.\n",
    );
    expect(run.stdout).toBe('');
    const help = await doctorInProcess(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--introspection-encoding ENC');
    expect((await doctorInProcess(['--issuer', 'https://as', '--audience', 'a', '--bogus'])).stderr).toContain('unknown argument: --bogus');
  });

  it('a token on the command line works but warns; bad options are reported as the guard would', async () => {
    as = await startFaultServer();
    const run = await doctorInProcess(['--issuer', as.issuer, '--audience', audience, '--token', as.mintJwt()]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('warning: --token shows in the process list');
    const bad = await doctorInProcess(['--issuer', 'http://auth.example.com', '--audience', audience]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('[FAIL] "issuer" must use https:');
    await as.close();
  });
});

describe('against the real local authorization server (oidc-provider)', () => {
  let real: AuthorizationServer;
  beforeAll(async () => {
    real = await startAuthorizationServer();
  });
  afterAll(() => real.close());

  it('a client_credentials token: accepted for its API, refused for another audience', async () => {
    const { access_token: token } = await real.clientCredentialsToken({ resource: real.apiResource, scope: 'messages:read' });
    const file = tokenFile(token, 'real');
    const good = await doctor(['--issuer', real.issuer, '--audience', real.apiResource, '--token-file', file, '--scope', 'messages:read']);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('[ok]   typ at+jwt is an access token type');
    expect(good.stdout).toContain('accepted: signature and claims verified locally');

    const wrong = await doctor(['--issuer', real.issuer, '--audience', 'https://billing.example.com', '--token-file', file, '--scope', 'messages:write']);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain(`[FAIL] aud ${real.apiResource} does not include https://billing.example.com`);
    expect(wrong.stdout).toContain('refused: 401 invalid_token: audience mismatch');
    expectNoSecret(good, token, real.clients.api.secret);
    expectNoSecret(wrong, token);
  });
});

describe('the command itself', () => {
  const cli = async (argv: string[]): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { stdout: { write: (t: string) => void (stdout += t) }, stderr: { write: (t: string) => void (stderr += t) }, env: {}, readStdin: () => '' });
    return { code, stdout, stderr };
  };

  it('--version prints the package version, also after doctor', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `resource-guard ${version}\n`, stderr: '' });
    expect(await cli(['doctor', '--version'])).toEqual({ code: 0, stdout: `resource-guard ${version}\n`, stderr: '' });
    const child = await new Promise<Run>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', ENTRY, '--version'], (error, stdout, stderr) => resolve({ code: error === null ? 0 : -1, stdout, stderr }));
    });
    expect(child).toEqual({ code: 0, stdout: `resource-guard ${version}\n`, stderr: '' });
  });

  it('no command or an unknown one: exit 1, the problem and a short usage line on stderr', async () => {
    for (const [argv, problem] of [[[], 'no command given'], [['docter'], 'unknown command "docter"']] as const) {
      const run = await cli([...argv]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`resource-guard: ${problem}\nUsage: resource-guard doctor --issuer URL (--audience AUDIENCE | --client-id ID) [options]\nRun 'resource-guard doctor --help' for every option.\n`);
    }
  });
});

describe('packaging', () => {
  it('the bin entry is dist/cli/doctor.js, built from a file that starts with a shebang', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin?: Record<string, string> };
    expect(pkg.bin).toEqual({ 'resource-guard': 'dist/cli/doctor.js' }); // as npm publishes it (no './')
    expect(readFileSync(ENTRY, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });
});
