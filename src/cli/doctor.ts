#!/usr/bin/env node
/**
 * `npx resource-guard doctor --issuer URL --audience A [--token-file F]`: explains what the
 * guard would do with this configuration and this token. See `--help`.
 */
import { readFileSync } from 'node:fs';
import { main } from './main.js';

// Node would print each process warning as "(node:1234) Warning: …". What the guard warns
// about (credentials refused, introspection off) the report already says, with a hint; any
// other warning reads like doctor's own.
const REPORTED = new Set(['RESOURCE_GUARD_INTROSPECTION_AUTH', 'RESOURCE_GUARD_INTROSPECTION_OFF', 'RESOURCE_GUARD_WARMUP']);
process.removeAllListeners('warning');
process.on('warning', (warning: Error & { code?: string }) => {
  if (warning.code === undefined || !REPORTED.has(warning.code)) process.stderr.write(`warning: ${warning.message}\n`);
});

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  readStdin: () => readFileSync(0, 'utf8'),
});
