/**
 * `resource-guard/redis`: a {@link Store} on Redis, so several API instances share the
 * introspection cache and the replay sets (webhook deliveries, DPoP `jti`).
 *
 * It wraps a client the user created and connected: the official `redis` package
 * (node-redis 4 or 5), or any client with a compatible `sendCommand(args)`. Raw commands
 * keep it independent of the client's option shapes, which changed between versions:
 * `GET`, `SET key value PX ttl`, `SET key value PX ttl NX` (atomic first sighting) and `DEL`.
 * Every key is prefixed (default `rg:`), so one Redis can serve several APIs.
 *
 * It does not time out or retry by itself: each consumer bounds its wait with its own
 * `timeout` and decides what a failure means (caches ask the authorization server again;
 * replay sets fail closed unless `onStoreError: 'allow'`).
 *
 * @see [Redis SET](https://redis.io/docs/latest/commands/set/)
 */
import type { Store } from './memory.js';
import { checkOptionNames, optionNames } from '../errors/unknown-option.js';

/** The one method of a Redis client this store uses: node-redis's `sendCommand`. */
export interface RedisCommandClient {
  sendCommand(args: string[]): Promise<unknown>;
}

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** Prepended to every key. Default: `'rg:'`. */
  prefix?: string;
}

/**
 * Wraps a connected node-redis client as a {@link Store}.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { createGuard } from 'resource-guard';
 * import { redisStore } from 'resource-guard/redis';
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const store = redisStore(client, { prefix: 'rg:api:' });
 * const guard = createGuard({ issuer, audience, introspection: { clientId, clientSecret }, store });
 * app.post('/webhooks/telnyx', telnyxWebhook({ publicKey, store }), handler);
 * ```
 */
export function redisStore(client: RedisCommandClient, options: RedisStoreOptions = {}): Store {
  if (typeof client?.sendCommand !== 'function') {
    throw new TypeError('redisStore() needs a connected node-redis client (with sendCommand)');
  }
  checkOptionNames(options, optionNames<RedisStoreOptions>({ prefix: true }), 'redisStore()');
  const prefix = options.prefix ?? 'rg:';
  if (typeof prefix !== 'string') throw new TypeError('"prefix" must be a string');
  const ttl = (ttlMs: number) => String(Math.max(1, Math.ceil(ttlMs)));
  return {
    async get(key) {
      const value = await client.sendCommand(['GET', prefix + key]);
      return typeof value === 'string' ? value : value == null ? undefined : String(value);
    },
    async set(key, value, ttlMs) {
      await client.sendCommand(['SET', prefix + key, value, 'PX', ttl(ttlMs)]);
    },
    async setIfAbsent(key, value, ttlMs) {
      // SET … NX answers OK when it stored the value and nil when the key existed.
      const reply = await client.sendCommand(['SET', prefix + key, value, 'PX', ttl(ttlMs), 'NX']);
      return reply !== null && reply !== undefined;
    },
    async delete(key) {
      await client.sendCommand(['DEL', prefix + key]);
    },
  };
}

export type { Store } from './memory.js';
