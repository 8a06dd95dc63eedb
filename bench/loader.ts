/**
 * The load generator: a child process (transpiled to `bench/.build/loader.js`, run by plain
 * `node`, pinned to a CPU of its own where the machine has two, see harness.ts) that runs
 * autocannon for the parent, so neither the parent nor the load shares the server's CPU.
 *   parent → { type: 'run', id, request: LoadRequest }  child → { type: 'result', id, result } | { type: 'error', id, message }
 *   parent → { type: 'stop' }  child exits
 *   child → { type: 'ready' } once listening for work.
 * Pool files are read once and kept: the 100,000-token pool is 70 MB of JSON.
 */
import { readFileSync } from 'node:fs';
import { runLoad, type AuthSpec, type LoadRequest } from './load.js';

const pools = new Map<string, string[]>();

function poolOf(file: string): string[] {
  let tokens = pools.get(file);
  if (tokens === undefined) {
    tokens = (JSON.parse(readFileSync(file, 'utf8')) as { tokens: string[] }).tokens;
    pools.set(file, tokens);
  }
  return tokens;
}

function authorizationOf(auth: AuthSpec): (() => string) | string | undefined {
  switch (auth.kind) {
    case 'none':
      return undefined;
    case 'header':
      return auth.value;
    case 'pool': {
      const headers = poolOf(auth.file)
        .slice(auth.from, auth.to)
        .map((token) => `Bearer ${token}`);
      if (headers.length === 0) throw new Error(`no tokens ${auth.from}…${auth.to} in ${auth.file}`);
      let next = 0;
      return () => headers[next++ % headers.length]!;
    }
  }
}

async function run(request: LoadRequest) {
  const { latencies: _latencies, ...result } = await runLoad({
    url: request.url,
    connections: request.connections,
    warmup: 0,
    duration: request.duration,
    amount: request.amount,
    authorization: authorizationOf(request.auth),
  });
  return result;
}

process.on('message', (message: { type: string; id?: number; request?: LoadRequest }) => {
  if (message.type === 'run') {
    run(message.request!).then(
      (result) => process.send!({ type: 'result', id: message.id, result }),
      (err: unknown) => process.send!({ type: 'error', id: message.id, message: (err as Error).message }),
    );
  } else if (message.type === 'stop') {
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
