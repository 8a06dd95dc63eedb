/**
 * `resource-guard/redis`: a {@link Store} on Redis, so several API instances share the
 * introspection cache and the replay sets (webhook deliveries, DPoP `jti`).
 *
 * It wraps a client the user created and connected: node-redis 4–6 (`createClient`,
 * `createCluster`, `createSentinel`) or ioredis (`Redis`, `Cluster`), recognised once at
 * creation (redis-client.ts). Raw commands keep it independent of the clients' option shapes,
 * which changed between versions, and every command names one key, so Redis Cluster routes
 * it to the key's slot: `GET`, `SET key value PX ttl`, `SET key value PX ttl NX` (atomic first
 * sighting) and `DEL`. Never a multi-key command, a script or a transaction. Every key is
 * prefixed (default `rg:`), so one Redis can serve several APIs.
 *
 * It does not time out or retry by itself: each consumer bounds its wait with its own
 * `timeout` and decides what a failure means (caches ask the authorization server again;
 * replay sets fail closed unless `onStoreError: 'allow'`). A reply it cannot read is an
 * error, never a "seen before": a replay check must not answer 409 for a client it
 * misunderstood.
 *
 * @see [Redis SET](https://redis.io/docs/latest/commands/set/)
 * @see [Redis Cluster key distribution](https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#key-distribution-model)
 */
import type { Store } from './memory.js';
import { recognizeClient, type RedisClientKind } from './redis-client.js';
import { checkOptionNames, optionNames } from '../errors/unknown-option.js';

/**
 * A Redis client {@link redisStore} accepts, by the one method it uses. The real ones:
 * node-redis 4–6 `createClient()` (`sendCommand(args)`), `createCluster()`
 * (`sendCommand(key, isReadonly, args)`), `createSentinel()` (`sendCommand(isReadonly, args)`),
 * and ioredis `new Redis()` / `new Cluster()` (`call(command, ...args)`). A wrapper of your own
 * with node-redis' `sendCommand(args)` works too.
 */
export type RedisCommandClient =
  | { sendCommand(...args: never[]): unknown }
  | { call(...args: never[]): unknown };

/** A {@link Store} on Redis, and which client {@link redisStore} recognised. */
export interface RedisStore extends Store {
  /** The client it recognised: `'node-redis'`, `'node-redis cluster'`, `'node-redis sentinel'`, `'ioredis'` or `'ioredis cluster'`. */
  readonly kind: RedisClientKind;
}

export type { RedisClientKind } from './redis-client.js';

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** Prepended to every key. Default: `'rg:'`. */
  prefix?: string;
}

const REDIS_STORE_OPTIONS = optionNames<RedisStoreOptions>({ prefix: true });

/**
 * Wraps a connected Redis client as a {@link Store}: node-redis 4–6 (`createClient`,
 * `createCluster`, `createSentinel`) or ioredis (`Redis`, `Cluster`). The client is recognised
 * here, once; anything else throws a `TypeError` naming what it got. Bad `prefix`: `TypeError`.
 *
 * Every command goes to the master of its key (node-redis never reads from replicas here; keep
 * ioredis' `scaleReads` at its default `'master'`). Closing the client stays the caller's job.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';          // or: import { Redis, Cluster } from 'ioredis';
 * import { createGuard } from 'resource-guard';
 * import { redisStore } from 'resource-guard/redis';
 * import { telnyxWebhook } from 'resource-guard/webhooks';
 *
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const store = redisStore(client, { prefix: 'rg:api:' });
 * const guard = createGuard({ issuer, audience, introspection: { clientId, clientSecret }, store });
 * app.post('/webhooks/telnyx', telnyxWebhook({ publicKey, store }), handler);
 * ```
 */
export function redisStore(client: RedisCommandClient, options: RedisStoreOptions = {}): RedisStore {
  const { kind, send } = recognizeClient(client);
  checkOptionNames(options, REDIS_STORE_OPTIONS, 'redisStore()');
  const prefix = options.prefix ?? 'rg:';
  if (typeof prefix !== 'string') throw new TypeError('"prefix" must be a string');
  const ttl = (ttlMs: number) => String(Math.max(1, Math.ceil(ttlMs)));
  return {
    kind,
    async get(key) {
      return readBulkString(await send(['GET', prefix + key]));
    },
    async set(key, value, ttlMs) {
      await send(['SET', prefix + key, value, 'PX', ttl(ttlMs)]);
    },
    async setIfAbsent(key, value, ttlMs) {
      // SET … NX answers OK when it stored the value and nil when the key existed.
      const reply = await send(['SET', prefix + key, value, 'PX', ttl(ttlMs), 'NX']);
      if (reply === null) return false;
      if (readBulkString(reply) === 'OK') return true;
      throw new Error('unexpected reply to SET NX from the Redis client');
    },
    async delete(key) {
      await send(['DEL', prefix + key]);
    },
  };
}

/** A string reply as the clients give it: a string, a Buffer (type mappings), or nil. */
function readBulkString(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined;
  if (typeof reply === 'string') return reply;
  if (reply instanceof Uint8Array) return Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength).toString('utf8');
  throw new Error('unexpected reply type from the Redis client');
}

export type { Store } from './memory.js';
