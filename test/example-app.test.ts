/**
 * The example app end to end, as a new user meets it: the demo's walkthrough against the
 * embedded authorization server, the same app pointed at an "external" server by environment
 * variables only, and `main.ts` / `demo.ts` as real processes (bad configuration exits 1 with
 * one line; a good start serves metadata and working tokens within 10 s).
 *
 * The example imports `resource-guard` by name, which resolves to `dist/`: build first
 * (`npm test` does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthorizationServer, type AuthorizationServer } from '../example-app/authorization-server.js';
import { loadConfig } from '../example-app/config.js';
import { DemoSetupError, runDemo } from '../example-app/demo.js';
import { startExample, type RunningExample } from '../example-app/server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every step of the walkthrough, with the status it must get. */
const EXPECTED_STEPS: [string, number][] = [
  ['discovery → GET /.well-known/oauth-protected-resource', 200],
  ['client_credentials token → GET /api/messages', 200],
  ['client_credentials token → POST /api/messages', 201],
  ['no token → GET /api/messages', 401],
  ['tampered token → GET /api/messages', 401],
  ['token without messages:write → POST /api/messages', 403],
  ['opaque token (introspection) → GET /api/messages', 200],
  ['authorization_code + PKCE token (user-1) → GET /api/me', 200],
  ['no token (optional auth) → GET /api/me', 200],
  ['webhooks:deliver token → POST /webhooks/partner', 200],
  ['signed Telnyx webhook → POST /webhooks/telnyx', 200],
  ['tampered Telnyx webhook → POST /webhooks/telnyx', 401],
  ['signed Standard Webhooks delivery → POST /webhooks/standard', 200],
  ['same delivery again (replay) → POST /webhooks/standard', 409],
];

describe('embedded example, in process', () => {
  let example: RunningExample;
  beforeAll(async () => {
    example = await startExample(loadConfig({ PORT: '0', AS_PORT: '0' }));
  });
  afterAll(() => example?.close());

  it('runs every demo step with the expected status', async () => {
    const result = await runDemo({ apiUrl: example.apiUrl });
    const failures = result.steps.filter((s) => !s.ok).map((s) => `${s.name}: ${s.status} ${s.problem ?? ''}`);
    expect(failures).toEqual([]);
    expect(result.steps.map((s) => [s.name, s.status])).toEqual(EXPECTED_STEPS);
    expect(result.steps.filter((s) => s.skipped !== undefined)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('answers 401 with a challenge that names its own metadata document', async () => {
    const res = await fetch(`${example.apiUrl}/api/messages`);
    expect(res.status).toBe(401);
    const params = `realm="${example.apiUrl}", resource_metadata="${example.apiUrl}/.well-known/oauth-protected-resource"`;
    // RFC 9449 §7.1: the guard accepts DPoP too (its default), so a DPoP challenge follows the Bearer one.
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer ${params}, DPoP algs="ES256 EdDSA Ed25519 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512", ${params}`,
    );
  });
});

describe('external authorization server, configured by environment variables only', () => {
  let as: AuthorizationServer;
  let example: RunningExample;
  beforeAll(async () => {
    as = await startAuthorizationServer();
    example = await startExample(
      loadConfig({
        PORT: '0',
        ISSUER: as.issuer,
        AUDIENCE: `${as.apiResource}, ${as.opaqueResource}`,
        INTROSPECTION_CLIENT_ID: as.clients.resourceServer.id,
        INTROSPECTION_CLIENT_SECRET: as.clients.resourceServer.secret,
      }),
    );
  });
  afterAll(async () => {
    await example?.close();
    await as?.close();
  });

  const get = (path: string, token?: string) =>
    fetch(`${example.apiUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('starts no authorization server and no dev routes of its own', async () => {
    expect(example.mode).toBe('external');
    expect(example.authorizationServer).toBeUndefined();
    expect((await get('/dev/demo-kit')).status).toBe(404);
    expect((await fetch(`${example.apiUrl}/webhooks/telnyx`, { method: 'POST' })).status).toBe(404);
    await expect(runDemo({ apiUrl: example.apiUrl })).rejects.toBeInstanceOf(DemoSetupError);
  });

  it('accepts JWT and opaque tokens from that server, and refuses what it must', async () => {
    const jwt = await as.clientCredentialsToken({ scope: 'messages:read' });
    const opaque = await as.clientCredentialsToken({ scope: 'messages:read', resource: as.opaqueResource });
    const jwtReply = await get('/api/messages', jwt.access_token);
    expect(jwtReply.status).toBe(200);
    expect(((await jwtReply.json()) as { caller: { tokenType: string } }).caller.tokenType).toBe('jwt');
    const opaqueReply = await get('/api/messages', opaque.access_token);
    expect(opaqueReply.status).toBe(200);
    expect(((await opaqueReply.json()) as { caller: { tokenType: string } }).caller.tokenType).toBe('opaque');
    expect((await get('/api/messages')).status).toBe(401);
    const metadata = (await (await get('/.well-known/oauth-protected-resource')).json()) as { authorization_servers: string[] };
    expect(metadata.authorization_servers).toEqual([as.issuer]);
  });
});

describe('main.ts as a process', () => {
  it('exits 1 with one line naming AUDIENCE when ISSUER is set without it', async () => {
    const run = await runToExit('example-app/main.ts', { ISSUER: 'https://auth.example.com' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^✘ Configuration error: ISSUER is set but AUDIENCE is not: set AUDIENCE/);
  });

  it.each([
    [{ PORT: 'http' }, /PORT must be a port number/],
    [{ ISSUER: 'http://auth.example.com', AUDIENCE: 'https://api.example.com' }, /ISSUER must use https/],
    [{ ISSUER: 'https://auth.example.com', AUDIENCE: 'api', INTROSPECTION_CLIENT_ID: 'rs' }, /set INTROSPECTION_CLIENT_SECRET/],
    [{ INTROSPECTION_BEARER_TOKEN: 'key-that-must-not-be-printed' }, /INTROSPECTION_BEARER_TOKEN only applies to an external/],
    [{ TELNYX_PUBLIC_KEY: 'not-a-key' }, /TELNYX_PUBLIC_KEY must be an Ed25519 public key/],
  ])('exits 1 with one clear line for %o', async (env, message) => {
    const run = await runToExit('example-app/main.ts', env);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toContain('key-that-must-not-be-printed');
  });

  it('serves the metadata document and issues working tokens within 10 s, and stops on SIGTERM', async () => {
    const started = Date.now();
    const child = start('example-app/main.ts', { PORT: '0', AS_PORT: '0' });
    try {
      const stdout = await waitForOutput(child, /Try it/, 10_000);
      const apiUrl = /^\s+API\s+(http:\/\/\S+)$/m.exec(stdout)?.[1];
      const tokenEndpoint = /^\s+Token endpoint\s+(http:\/\/\S+)$/m.exec(stdout)?.[1];
      expect(apiUrl).toBeDefined();
      expect(tokenEndpoint).toBeDefined();

      const metadata = await fetch(`${apiUrl}/.well-known/oauth-protected-resource`);
      expect(metadata.status).toBe(200);
      expect(await metadata.json()).toMatchObject({ resource: apiUrl });

      const tokenReply = await fetch(tokenEndpoint!, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('api-client:api-client-secret').toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'messages:read' }),
      });
      const { access_token: token } = (await tokenReply.json()) as { access_token: string };
      const api = await fetch(`${apiUrl}/api/messages`, { headers: { authorization: `Bearer ${token}` } });
      expect(api.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(10_000);

      child.kill('SIGTERM');
      expect(await exitCode(child)).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('demo.ts as a process', () => {
  it('starts its own example when none is running, shows each step, and exits 0', async () => {
    const run = await runToExit('example-app/demo.ts', { API_URL: `http://127.0.0.1:${await closedPort()}` });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('starting one on ephemeral ports');
    for (const [name, status] of EXPECTED_STEPS) expect(run.stdout).toContain(`✔ ${name} → ${status}`);
    // Piped output is plain text.
    expect(run.stdout).not.toContain('\x1b[');
  });
});

/** The example's variables removed from the environment, so the developer's own don't leak in. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(PORT|AS_PORT|ISSUER|AUDIENCE|RESOURCE|METADATA_URL|JWKS_URI|ALLOW_INSECURE_HTTP|INTROSPECTION_\w+|TELNYX_PUBLIC_KEY|STANDARD_WEBHOOK_SECRET|API_URL|NO_COLOR)$/.test(key)) {
      delete env[key];
    }
  }
  return { ...env, ...extra };
}

function start(script: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function runToExit(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = start(script, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await exitCode(child);
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout, stderr };
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`)), timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (pattern.test(stdout)) {
        clearTimeout(timer);
        resolve(stdout);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}; stderr: ${stderr}`));
    });
  });
}

/** A port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
