/**
 * `npm start`: reads the environment, starts the example (with its own authorization server
 * unless `ISSUER` is set), prints the URLs and a curl walkthrough, logs one line per request,
 * and stops cleanly on Ctrl+C or SIGTERM.
 *
 * A configuration mistake, or a port already taken, prints one line saying what to set and
 * exits 1: a new user should never have to read a stack trace to fix their environment.
 */
import { createPaint } from './colors.js';
import { ConfigError, loadConfig, type ExampleConfig } from './config.js';
import { startExample, type RunningExample } from './server.js';
import { renderWalkthrough } from './walkthrough.js';

const out = createPaint(process.stdout);
const err = createPaint(process.stderr);

function fail(message: string): never {
  console.error(`${err.red('✘')} ${message}`);
  process.exit(1);
}

let config: ExampleConfig;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) fail(`Configuration error: ${error.message}`);
  throw error;
}

let example: RunningExample;
try {
  example = await startExample(config, { log: (line) => console.log(out.dim(line)) });
} catch (error) {
  const { code, port } = error as { code?: unknown; port?: unknown };
  if (code === 'EADDRINUSE') {
    fail(`Port ${String(port)} on 127.0.0.1 is already in use: stop what runs there, or set PORT (API) and AS_PORT (authorization server) to free ports`);
  }
  throw error;
}

console.log(renderWalkthrough(example, out));

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  // A second Ctrl+C while closing means "now".
  if (stopping) process.exit(1);
  stopping = true;
  console.log(out.dim(`${signal}: stopping…`));
  example.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
