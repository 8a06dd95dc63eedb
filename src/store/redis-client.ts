/**
 * Which Redis client `redisStore` was handed, recognised once at creation by its shape, and
 * how one command goes through it. Structural on purpose: the package depends on neither
 * client, and the signatures differ where it matters:
 *
 * | client | recognised by | a command |
 * | --- | --- | --- |
 * | ioredis `Redis` / `Cluster` | `call` (`isCluster` tells them apart) | `call(name, ...args)`; the cluster routes by key |
 * | node-redis `createCluster` (4–6) | `sendCommand` + `getSlotMaster` | `sendCommand(key, false, args)` |
 * | node-redis `createSentinel` (5–6) | `sendCommand` + `getMasterNode` | `sendCommand(false, args)` |
 * | node-redis `createClient`, `createClientPool` (4–6), or a wrapper with the same `sendCommand(args)` | `sendCommand` | `sendCommand(args)`; `v4.sendCommand` in v4's legacy mode |
 *
 * ioredis is tested first because its `sendCommand` takes a `Command` object, not an array.
 * node-redis 3 has a `sendCommand(name, args, callback)` too; its snake_case `send_command`
 * without node-redis 4's `isOpen` gives it away. Mistaking one shape for another would fail
 * every command at run time (every replay check a 503), so these are a `TypeError` now.
 *
 * node-redis' `isReadonly` is always `false`: reads go to the master that took the write, so
 * a replay mark is never read from a lagging replica.
 */

/** The client `redisStore` recognised. */
export type RedisClientKind = 'node-redis' | 'node-redis cluster' | 'node-redis sentinel' | 'ioredis' | 'ioredis cluster';

/** One recognised client: its kind and how to send a single-key command (key at `args[1]`). */
export interface RedisCommander {
  readonly kind: RedisClientKind;
  send(args: readonly [string, string, ...string[]]): Promise<unknown>;
}

type Method = (...args: unknown[]) => unknown;

/** Recognises `client` or throws a `TypeError` naming what it got (never its options). */
export function recognizeClient(client: unknown): RedisCommander {
  const c = (typeof client === 'object' && client !== null ? client : {}) as Record<string, unknown>;
  const call = method(c, 'call');
  if (call !== undefined) {
    const kind = read(c, 'isCluster') === true ? 'ioredis cluster' : 'ioredis';
    return { kind, send: async ([name, ...rest]) => call.call(c, name, ...rest) };
  }
  const sendCommand = method(c, 'sendCommand');
  const nodeRedis3 = method(c, 'send_command') !== undefined && typeof read(c, 'isOpen') !== 'boolean';
  if (sendCommand !== undefined && !nodeRedis3) {
    if (method(c, 'getSlotMaster') !== undefined) {
      return { kind: 'node-redis cluster', send: async (args) => sendCommand.call(c, args[1], false, args) };
    }
    if (method(c, 'getMasterNode') !== undefined) {
      return { kind: 'node-redis sentinel', send: async (args) => sendCommand.call(c, false, args) };
    }
    // node-redis 4 with `legacyMode: true`: `sendCommand` takes a callback and returns
    // nothing; the promise API lives under `v4` (a getter that throws outside legacy mode).
    const v4 = read(c, 'v4');
    const legacy = typeof v4 === 'object' && v4 !== null ? method(v4 as Record<string, unknown>, 'sendCommand') : undefined;
    if (legacy !== undefined) return { kind: 'node-redis', send: async (args) => legacy.call(v4, args) };
    return { kind: 'node-redis', send: async (args) => sendCommand.call(c, args) };
  }
  throw new TypeError(
    'redisStore() needs a Redis client: node-redis (createClient, createCluster, createSentinel) ' +
      `or ioredis (Redis, Cluster); got ${describe(client)}`,
  );
}

/** `object[name]`, or `undefined` when reading it throws (a getter, a revoked Proxy). */
function read(object: Record<string, unknown>, name: string): unknown {
  try {
    return object[name];
  } catch {
    return undefined;
  }
}

function method(object: Record<string, unknown>, name: string): Method | undefined {
  const value = read(object, name);
  return typeof value === 'function' ? (value as Method) : undefined;
}

/** What the caller passed, by type and class name only: a client's options may hold a password. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `a function${nameOf(value.name, ' named ')}: pass the client it creates`;
  if (typeof value !== 'object') return `a ${typeof value}`;
  if (method(value as Record<string, unknown>, 'then') !== undefined) {
    return 'a Promise: pass the connected client, not the promise of connect()';
  }
  let ctor: unknown;
  try {
    ctor = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  } catch {
    ctor = undefined;
  }
  const what = `an object${nameOf(ctor, ' of class ')}`;
  if (method(value as Record<string, unknown>, 'send_command') !== undefined) {
    return `${what} that looks like node-redis 3 (send_command, no isOpen): use node-redis 4 or later, or ioredis`;
  }
  return `${what} with neither sendCommand() nor call()`;
}

function nameOf(name: unknown, lead: string): string {
  if (typeof name !== 'string') return '';
  const clean = name.replace(/[^\w$]/g, '').slice(0, 40);
  return clean === '' ? '' : `${lead}${clean}`;
}
