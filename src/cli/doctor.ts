#!/usr/bin/env node
/**
 * `npx resource-guard doctor --issuer URL --audience A [--token-file F]`: explains what the
 * guard would do with this configuration and this token. See `--help`.
 */
import { readFileSync } from 'node:fs';
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  readStdin: () => readFileSync(0, 'utf8'),
});
