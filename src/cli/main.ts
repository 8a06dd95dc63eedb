/**
 * Folder `cli/`: the doctor command, a consumer of the package like an app. Its one rule:
 * nothing in `src/` imports it.
 *
 * The `resource-guard` command: `resource-guard doctor …`. Returns the exit code instead of
 * exiting, so tests (and a wrapping script) can run it in process. Everything it writes that
 * a stranger could have chosen goes through `escape.ts`.
 */
import { readFileSync } from 'node:fs';
import { parseDoctorArgs, SHORT_USAGE, USAGE, UsageError } from './args.js';
import { runDoctor } from './checks.js';
import { escapeControls, escapeJsonControls } from './escape.js';
import { silentSink, terminalSink, type Output } from './render.js';

export interface CliIo {
  stdout: Output & { isTTY?: boolean };
  stderr: Output;
  env: Readonly<Record<string, string | undefined>>;
  readStdin: () => string;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === '--version' || command === '-v' || (command === 'doctor' && rest.includes('--version'))) {
    io.stdout.write(`resource-guard ${version()}\n`);
    return 0;
  }
  if (command !== 'doctor') {
    const problem = command === undefined ? 'no command given' : `unknown command ${escapeControls(JSON.stringify(command))}`;
    io.stderr.write(`resource-guard: ${problem}\n${SHORT_USAGE}\n`);
    return 1;
  }
  let args;
  try {
    args = parseDoctorArgs(rest, io.env, io.readStdin);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`resource-guard doctor: ${escapeControls(err.message)}\n${SHORT_USAGE}\n`);
    return 1;
  }
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  for (const warning of args.warnings) io.stderr.write(`warning: ${escapeControls(warning)}\n`);

  if (args.json) {
    const report = await runDoctor(args.options, args.token, args.scopes, silentSink);
    io.stdout.write(`${escapeJsonControls(JSON.stringify({ ...report, warnings: args.warnings }, null, 2))}\n`);
    return report.ok ? 0 : 1;
  }
  const color = args.color ?? (io.stdout.isTTY === true && !io.env.NO_COLOR && io.env.TERM !== 'dumb');
  const sink = terminalSink(io.stdout, color);
  io.stdout.write(color ? '\x1b[1mresource-guard doctor\x1b[22m\n' : 'resource-guard doctor\n');
  const report = await runDoctor(args.options, args.token, args.scopes, sink);
  sink.summary(report);
  return report.ok ? 0 : 1;
}

/** The installed package's version, from its package.json (two folders up, in src/ as in dist/). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
