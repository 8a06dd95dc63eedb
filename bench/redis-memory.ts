/**
 * Redis memory per entry of `resource-guard/redis`, for docs/operations.md: starts its own
 * `redis-server` on a free 127.0.0.1 port (no persistence), writes `--entries` entries of each
 * kind through the real `redisStore` (default prefix `rg:`) with the key shapes the guard uses
 * (a SHA-256, base64url, after a fixed part) and a TTL, and divides the growth of Redis'
 * `used_memory` by the count. Keys, values, the TTL entry and the hash tables are all in it.
 *
 *   npm run build && node --import tsx bench/redis-memory.ts [--entries 50000]
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createClient } from 'redis';
import { redisStore } from 'resource-guard/redis';

/** A realistic RFC 7662 answer (Telnyx's members plus `sub` and `token_type`): 265 bytes. */
const INTROSPECTION = JSON.stringify({
  active: true,
  aud: 'https://api.example.com',
  client_id: '3d1f5a9c-6a53-4c55-9d7e-1f0f3b1c9a42',
  exp: 1_900_000_000,
  iat: 1_899_996_400,
  iss: 'https://api.telnyx.com/v2',
  scope: 'messages:read messages:write',
  sub: '3d1f5a9c-6a53-4c55-9d7e-1f0f3b1c9a42',
  token_type: 'Bearer',
});

const KINDS = [
  // The value is the random token that lets a failed request remove only its own mark.
  { name: 'webhook delivery mark', key: 'rg:webhook:telnyx:', value: () => randomBytes(9).toString('base64url') },
  { name: 'DPoP jti mark', key: 'rg:dpop:', value: () => '1' },
  { name: 'introspection answer', key: 'introspection:', value: () => INTROSPECTION },
] as const;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--entries');
  const entries = at > 0 ? Number(process.argv[at + 1]) : 50_000;
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      server.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      server.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
    });
    const client = createClient({ url: `redis://127.0.0.1:${port}` });
    await client.connect();
    const store = redisStore(client);
    const used = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
    const { stdout } = process;
    stdout.write(`redis ${/redis_version:([\d.]+)/.exec(await client.info('server'))![1]}, ${entries} entries per kind, prefix rg:\n\n`);
    stdout.write('| entry | key bytes | value bytes | bytes per entry |\n| --- | ---: | ---: | ---: |\n');
    for (const kind of KINDS) {
      await client.flushAll();
      const before = await used();
      let keyLength = 0;
      let valueLength = 0;
      for (let i = 0; i < entries; i += 1000) {
        await Promise.all(
          Array.from({ length: Math.min(1000, entries - i) }, (_, j) => {
            const key = kind.key + createHash('sha256').update(`${kind.name}${i + j}`).digest('base64url');
            const value = kind.value();
            keyLength = 'rg:'.length + key.length;
            valueLength = value.length;
            return store.set(key, value, 600_000);
          }),
        );
      }
      const perEntry = Math.round((await used()) - before) / entries;
      stdout.write(`| ${kind.name} | ${keyLength} | ${valueLength} | ${Math.round(perEntry)} |\n`);
    }
    await client.destroy();
  } finally {
    server.kill('SIGKILL');
  }
}

await main();
