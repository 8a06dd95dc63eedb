#!/usr/bin/env node
/**
 * `npm run build`: dist/ from src/, and nothing else in it.
 *
 * 1. dist/ is emptied first, so a file moved or deleted in src/ never lingers in the tarball.
 * 2. tsc emits the ESM build (.js) and its declarations (.d.ts). That build is the only
 *    implementation: `import` and `require()` (Node >= 20.19 loads ESM with require) get the
 *    same module, so there is one OAuthError class, never two.
 * 3. Every .d.ts gets a .d.cts twin with its relative imports pointing at the twins: the
 *    declarations the package's `require` condition names. TypeScript reads a .d.ts of a
 *    `"type": "module"` package as ESM, and a CommonJS program under `module: node16`/`node18`
 *    (or any TypeScript before 5.8) may not `require` ESM (TS1479); a .d.cts describes the
 *    same exports as CommonJS, which is what `require()` of the ESM build returns.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dist = 'dist';
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

for (const file of declarations(dist)) {
  const text = readFileSync(file, 'utf8');
  // `from './x.js'`, `import('./x.js')` and `import './x.js'` → the .cjs twin (TypeScript reads ./x.d.cts).
  const cjs = text.replace(/((?:from|import)\s*\(?\s*['"])(\.\.?\/[^'"]+)\.js(['"])/g, '$1$2.cjs$3');
  writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), cjs);
}

function declarations(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return declarations(path);
    return entry.name.endsWith('.d.ts') ? [path] : [];
  });
}
