/**
 * `redisStore` recognises the real client objects at creation (no connection needed): node-redis
 * 4, 5 and 6 (`createClient`, `createCluster`, `createSentinel`, v4's legacy mode) and ioredis
 * (`Redis`, `Cluster`); anything else is a `TypeError` that names what it got and never prints
 * a client's options. Small structural fakes then pin the exact command each kind receives and
 * how replies are read: a reply the store cannot read is an error, never "seen before".
 */
import { Cluster, Redis } from 'ioredis';
import * as redis6 from 'redis';
import * as redis4 from 'redis4';
import * as redis5 from 'redis5';
import { describe, expect, it } from 'vitest';
import { redisStore, type RedisCommandClient } from '../../../src/store/redis.js';

const url = 'redis://user:hunter2-secret@127.0.0.1:1';
const rootNodes = [{ url }];
const sentinel = { name: 'primary', sentinelRootNodes: [{ host: '127.0.0.1', port: 1 }] };

describe('recognises the real clients at creation', () => {
  const cases: Array<[string, () => RedisCommandClient, string]> = [
    ['node-redis 6 createClient', () => redis6.createClient({ url }), 'node-redis'],
    ['node-redis 5 createClient', () => redis5.createClient({ url }), 'node-redis'],
    ['node-redis 4 createClient', () => redis4.createClient({ url }), 'node-redis'],
    ['node-redis 4 createClient, legacyMode', () => redis4.createClient({ url, legacyMode: true }), 'node-redis'],
    ['node-redis 6 createClientPool', () => redis6.createClientPool({ url }), 'node-redis'],
    ['node-redis 6 createCluster', () => redis6.createCluster({ rootNodes }), 'node-redis cluster'],
    ['node-redis 5 createCluster', () => redis5.createCluster({ rootNodes }), 'node-redis cluster'],
    ['node-redis 4 createCluster', () => redis4.createCluster({ rootNodes }), 'node-redis cluster'],
    ['node-redis 6 createSentinel', () => redis6.createSentinel(sentinel), 'node-redis sentinel'],
    ['node-redis 5 createSentinel', () => redis5.createSentinel(sentinel), 'node-redis sentinel'],
    ['ioredis Redis', () => new Redis(url, { lazyConnect: true }), 'ioredis'],
    ['ioredis Redis with sentinels', () => new Redis({ sentinels: sentinel.sentinelRootNodes, name: 'primary', lazyConnect: true }), 'ioredis'],
    ['ioredis Cluster', () => new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true }), 'ioredis cluster'],
    ['a wrapper with node-redis’ sendCommand(args)', () => ({ sendCommand: async (_args: string[]) => 'OK' }), 'node-redis'],
  ];
  it.each(cases)('%s', (_name, create, kind) => {
    expect(redisStore(create()).kind).toBe(kind);
  });
});

describe('anything else is a TypeError at creation naming what it got', () => {
  const hostileName = 'x\n"\u001b[31m'.repeat(30);
  const Hostile = { [hostileName]: class {} }[hostileName]!;
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const cases: Array<[string, unknown, RegExp]> = [
    ['undefined', undefined, /got undefined$/],
    ['null', null, /got null$/],
    ['a URL string', url, /got a string$/],
    ['a number', 6379, /got a number$/],
    ['the factory itself', redis6.createClient, /got a function named createClient: pass the client it creates$/],
    ['a promise of connect()', Promise.resolve({}), /got a Promise: pass the connected client, not the promise of connect\(\)$/],
    ['a plain object', {}, /got an object of class Object with neither sendCommand\(\) nor call\(\)$/],
    ['a client’s options', redis6.createClient({ url }).options, /got an object of class Object with neither/],
    ['sendCommand that is not a function', { sendCommand: 'GET' }, /with neither sendCommand\(\) nor call\(\)$/],
    [
      'node-redis 3 (callback sendCommand and send_command, no isOpen)',
      new (class RedisClient {
        connected = true;
        sendCommand(_command: string, _args: unknown[], _callback?: () => void) {
          return true;
        }
        send_command(_command: string, _args: unknown[], _callback?: () => void) {
          return true;
        }
      })(),
      /got an object of class RedisClient that looks like node-redis 3 \(send_command, no isOpen\): use node-redis 4 or later, or ioredis$/,
    ],
    ['a class instance', new (class RedisLike {})(), /got an object of class RedisLike with neither/],
    ['a revoked proxy', revoked.proxy, /got an object with neither/],

    [
      'getters that throw',
      Object.defineProperty({}, 'sendCommand', {
        get() {
          throw new Error('boom');
        },
      }),
      /with neither sendCommand\(\) nor call\(\)$/,
    ],
    ['a hostile class name', new Hostile(), /got an object of class [\w$]{1,40} with neither/],
  ];
  it.each(cases)('%s', (_name, client, message) => {
    let error: unknown;
    try {
      redisStore(client as RedisCommandClient);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TypeError);
    const text = (error as TypeError).message;
    expect(text).toMatch(/^redisStore\(\) needs a Redis client: node-redis \(createClient, createCluster, createSentinel\) or ioredis \(Redis, Cluster\); /);
    expect(text).toMatch(message);
    expect(text).not.toMatch(/hunter2|secret|127\.0\.0\.1|\n|\u001b/);
  });

  it('a prefix that is not a string', () => {
    expect(() => redisStore(redis6.createClient({ url }), { prefix: 1 as unknown as string })).toThrow(new TypeError('"prefix" must be a string'));
  });
});

/** A fake of one client shape that records each call's arguments and answers `reply`. */
function recorder(reply: (args: unknown[]) => unknown) {
  const calls: unknown[][] = [];
  const answer = async (...args: unknown[]) => {
    calls.push(args);
    return reply(args);
  };
  return { calls, answer };
}

describe('sends one single-key command, in the shape of each client', () => {
  const command = ['SET', 'p:k', 'v', 'PX', '1501', 'NX'];
  it('node-redis: sendCommand(args)', async () => {
    const { calls, answer } = recorder(() => 'OK');
    expect(await redisStore({ sendCommand: answer }, { prefix: 'p:' }).setIfAbsent('k', 'v', 1500.2)).toBe(true);
    expect(calls).toEqual([[command]]);
  });
  it('node-redis cluster: sendCommand(key, isReadonly false, args), reads included, so they go to the master', async () => {
    const { calls, answer } = recorder(() => null);
    const fake = { sendCommand: answer, getSlotMaster: () => undefined };
    const store = redisStore(fake, { prefix: 'p:' });
    expect(await store.setIfAbsent('k', 'v', 1500.2)).toBe(false);
    expect(await store.get('k')).toBeUndefined();
    expect(calls).toEqual([
      ['p:k', false, command],
      ['p:k', false, ['GET', 'p:k']],
    ]);
  });
  it('node-redis sentinel: sendCommand(isReadonly false, args)', async () => {
    const { calls, answer } = recorder(() => 1);
    const fake = { sendCommand: answer, getMasterNode: () => undefined };
    await redisStore(fake, { prefix: 'p:' }).delete('k');
    expect(calls).toEqual([[false, ['DEL', 'p:k']]]);
  });
  it('node-redis 4 legacy mode: v4.sendCommand(args), never the callback-style sendCommand', async () => {
    const { calls, answer } = recorder(() => 'OK');
    const legacy = { sendCommand: () => undefined, v4: { sendCommand: answer } };
    await redisStore(legacy, { prefix: 'p:' }).set('k', 'v', 0.2);
    expect(calls).toEqual([[['SET', 'p:k', 'v', 'PX', '1']]]);
  });
  it('ioredis and its Cluster: call(name, ...args), even though they also have a sendCommand', async () => {
    for (const isCluster of [false, true]) {
      const { calls, answer } = recorder(() => 'OK');
      const fake = { call: answer, sendCommand: () => Promise.reject(new Error('not this one')), isCluster };
      const store = redisStore(fake, { prefix: 'p:' });
      expect(store.kind).toBe(isCluster ? 'ioredis cluster' : 'ioredis');
      expect(await store.setIfAbsent('k', 'v', 1500.2)).toBe(true);
      expect(calls).toEqual([command]);
    }
  });
});

describe('reads replies strictly', () => {
  const answering = (reply: unknown) => redisStore({ sendCommand: async () => reply });
  it('a Buffer reply (node-redis type mappings) reads as UTF-8', async () => {
    expect(await answering(Buffer.from('ünï')).get('k')).toBe('ünï');
    expect(await answering(Buffer.from('OK')).setIfAbsent('k', 'v', 1000)).toBe(true);
  });
  it('nil is absent for GET and "already there" for SET NX', async () => {
    expect(await answering(null).get('k')).toBeUndefined();
    expect(await answering(null).setIfAbsent('k', 'v', 1000)).toBe(false);
  });
  it.each([
    ['nothing (a callback-style client)', undefined],
    ['a number', 1],
    ['an array', ['OK']],
    ['an object', { ok: true }],
  ])('SET NX answered with %s is an error, not a replay', async (_name, reply) => {
    await expect(answering(reply).setIfAbsent('k', 'v', 1000)).rejects.toThrow(/unexpected reply/);
  });
  it('GET answered with a number or an object is an error', async () => {
    await expect(answering(1).get('k')).rejects.toThrow(/unexpected reply/);
    await expect(answering({}).get('k')).rejects.toThrow(/unexpected reply/);
  });
  it('a client that throws synchronously rejects instead of throwing', async () => {
    const store = redisStore({
      sendCommand: () => {
        throw new Error('The client is closed');
      },
    });
    await expect(store.setIfAbsent('k', 'v', 1000)).rejects.toThrow('The client is closed');
  });
});
