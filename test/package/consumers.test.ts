/**
 * The package as a new user gets it: `npm pack` of the built repository, then fresh consumer
 * projects (test/package/consumers/) that install the tarball, type-check with their own
 * TypeScript and settings, and serve requests on 127.0.0.1:
 *
 * | project          | setup                                                     | Express | TypeScript |
 * | ---------------- | --------------------------------------------------------- | ------- | ---------- |
 * | esm-nodenext     | `"type": "module"`, `module: nodenext`                    | 5 and 4 | 5.9, 5.4   |
 * | cjs-node16       | CommonJS, `module: node16` (TS1479 without .d.cts)         | 5 and 4 | 5.9, 5.4   |
 * | cjs-node18       | CommonJS, `module: node18`                                | 5       | 5.9        |
 * | bundler          | `moduleResolution: bundler`, then bundled by esbuild      | 5       | 5.9        |
 * | nest-commonjs    | NestJS's tsconfig: `module: commonjs` (node10 resolution) | 4       | 5.4        |
 * | js-require       | plain JavaScript, `require()` (one OAuthError with import) | 5       | none       |
 * | migration-auth0  | beside express-oauth2-jwt-bearer, one program             | 5       | 5.9        |
 * | verify-only      | no Express, no @types/express: `guard.verify()` only      | none    | 5.9        |
 *
 * Projects share one install per "root" (its node_modules), so the whole file installs three
 * times; versions match the repository's own where it has them, so npm serves them from its
 * cache (`--prefer-offline`). Child processes get no `npm_*` variables from `npm test`: those
 * would point npm at this repository.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const fixtures = join(repo, 'test/package/consumers');
const requireFromRepo = createRequire(join(repo, 'package.json'));
const versionOf = (name: string) => (requireFromRepo(`${name}/package.json`) as { version: string }).version;

type Root = 'express5' | 'express4' | 'bare';

const ROOTS: Record<Root, Record<string, string>> = {
  express5: {
    express: versionOf('express'),
    '@types/express': versionOf('@types/express'),
    '@types/node': versionOf('@types/node'),
    typescript: versionOf('typescript'),
    'express-oauth2-jwt-bearer': versionOf('express-oauth2-jwt-bearer'),
  },
  express4: {
    express: versionOf('express4'),
    '@types/express': versionOf('@types/express4'),
    '@types/node': versionOf('@types/node'),
    typescript: '~5.4.5',
  },
  bare: { '@types/node': versionOf('@types/node'), typescript: versionOf('typescript') },
};

const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_|^init_cwd$/i.test(name)));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, timeout = 240_000): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env, timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

async function ok(command: string, args: string[], cwd: string): Promise<string> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

let work: string;
const rootDir = (root: Root) => join(work, root);

/** Copies a fixture project into `root`, with the programs every project may share (shared/). */
function project(root: Root, name: string): string {
  const dir = join(rootDir(root), name);
  cpSync(join(fixtures, name), dir, { recursive: true });
  cpSync(join(fixtures, 'shared'), dir, { recursive: true });
  return dir;
}

const tsc = (root: Root, dir: string, ...args: string[]) =>
  run(process.execPath, [join(rootDir(root), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', ...args], dir);

/**
 * Type-checks (and emits) a project; its errors are the failure message. `libCheck` also
 * checks every declaration file, the package's included (`skipLibCheck: false`): costly, so
 * for one project per module kind; the others keep `tsc --init`'s `skipLibCheck: true`.
 */
async function typeCheck(root: Root, dir: string, libCheck: boolean): Promise<void> {
  const result = await tsc(root, dir, ...(libCheck ? ['--skipLibCheck', 'false'] : []));
  expect(result.stdout + result.stderr, `tsc in ${dir}`).toBe('');
  expect(result.code).toBe(0);
}

/** Runs a program of a project and parses the one JSON line it prints. */
async function serve(dir: string, file: string): Promise<Record<string, unknown>> {
  const result = await run(process.execPath, [file], dir, 60_000);
  expect(result.stderr, `stderr of ${file}`).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout.trim()) as Record<string, unknown>;
}

/** What check.ts reports when every entry point type-checked and the app answered as it should. */
const SERVED = {
  anonymous: { status: 401, challenge: 'Bearer' },
  accepted: { status: 200, body: { subject: 'user-1', scopes: ['messages:read'], tokenSerialised: false, tokenReadable: 'string' } },
  forbidden: { status: 403, body: { error: 'insufficient_scope', error_description: 'token lacks required scope: messages:read' } },
  refusalsAreOAuthErrors: true,
  healthStatus: 'starting',
  redisStore: 'function',
};

beforeAll(async () => {
  if (!existsSync(join(repo, 'dist/index.js')) || !existsSync(join(repo, 'dist/index.d.cts'))) {
    throw new Error('dist/ is not built: run `npm run build` (npm test does) before this file');
  }
  work = mkdtempSync(join(tmpdir(), 'rg-consumers-'));
  const packed = JSON.parse(await ok('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], repo)) as Array<{ filename: string }>;
  const tarball = join(work, packed[0]!.filename);
  await Promise.all(
    (Object.keys(ROOTS) as Root[]).map(async (root) => {
      const dir = rootDir(root);
      mkdirSync(dir);
      const manifest = { name: `consumer-${root}`, private: true, dependencies: { 'resource-guard': `file:${tarball}`, ...ROOTS[root] } };
      writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
      await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], dir);
    }),
  );
}, 600_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

/** The projects that run check.ts: where, and whether their check includes the declaration files. */
const SERVING: Array<{ name: string; root: Root; libCheck: boolean; bundle?: true }> = [
  { name: 'esm-nodenext', root: 'express5', libCheck: true },
  { name: 'cjs-node16', root: 'express5', libCheck: false },
  { name: 'cjs-node18', root: 'express5', libCheck: false },
  { name: 'bundler', root: 'express5', libCheck: false, bundle: true },
  { name: 'esm-nodenext', root: 'express4', libCheck: false },
  { name: 'cjs-node16', root: 'express4', libCheck: true },
  { name: 'nest-commonjs', root: 'express4', libCheck: false },
];

// Each project is its own child processes: they run side by side.
describe.concurrent('consumer projects', () => {
  it.each(SERVING)('$name on $root (TypeScript of the root; lib check: $libCheck): type-checks and serves', async ({ name, root, libCheck, bundle }) => {
    const dir = project(root, name);
    await typeCheck(root, dir, libCheck);
    let program = 'dist/main.js';
    if (bundle) {
      // A bundler: resource-guard, jose, lru-cache and express in one CommonJS file.
      const { build } = await import('esbuild');
      await build({ entryPoints: [join(dir, 'main.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: join(dir, 'dist/main.cjs'), logLevel: 'error' });
      program = 'dist/main.cjs';
    }
    expect(await serve(dir, program)).toEqual(SERVED);
  }, 180_000);

  it('js-require: plain require() serves, and import() gives the very same module (one OAuthError)', async () => {
    const dir = project('express5', 'js-require');
    expect(await serve(dir, 'main.js')).toEqual({
      sameModule: true,
      instanceofAcross: true,
      webhooks: 'function',
      redis: 'function',
      anonymous: 401,
      accepted: { status: 200, body: { subject: 'user-1' } },
    });
  }, 180_000);

  it('migration-auth0: beside express-oauth2-jwt-bearer through resource-guard/no-augmentation; the plain entry would clash (TS2717)', async () => {
    const dir = project('express5', 'migration-auth0');
    await typeCheck('express5', dir, true);
    expect(await serve(dir, 'dist/main.js')).toEqual({ old: 401, new: { status: 200, body: { subject: 'user-1', scopes: ['messages:read'] } } });
    const clash = await run(process.execPath, [join(rootDir('express5'), 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.conflict.json'], dir);
    expect(clash.code).not.toBe(0);
    expect(clash.stdout).toMatch(/error TS2717: Subsequent property declarations must have the same type\.\s+Property 'auth'/);
  }, 180_000);

  it('the resource-guard command npm linked from the tarball runs (bin path, shebang)', async () => {
    const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
    const result = await run(join(rootDir('express5'), 'node_modules/.bin/resource-guard'), ['--version'], rootDir('express5'), 60_000);
    expect(result).toEqual({ code: 0, stdout: `resource-guard ${version}\n`, stderr: '' });
  }, 180_000);

  it('verify-only: no Express and no @types/express installed, guard.verify() typed and serving', async () => {
    expect(existsSync(join(rootDir('bare'), 'node_modules/@types/express'))).toBe(false);
    expect(existsSync(join(rootDir('bare'), 'node_modules/express'))).toBe(false);
    const dir = project('bare', 'verify-only');
    await typeCheck('bare', dir, false);
    expect(await serve(dir, 'dist/main.js')).toEqual({ anonymous: 401, accepted: { status: 200, body: { subject: 'user-1', scopes: ['messages:read'] } } });
  }, 180_000);
});
