/**
 * Strict option names (DESIGN "Options are checked strictly"): every options object the
 * package accepts refuses a key it does not know with a `TypeError` naming the key and the
 * closest known name, at creation, and takes the correct spelling. A typo must never quietly
 * leave a check at its default.
 */
import { describe, expect, it } from 'vitest';
import { createGuard, memoryStore, type Guard } from '../../src/index.js';
import { standardWebhook, telnyxWebhook } from '../../src/webhooks/index.js';
import { redisStore } from '../../src/store/redis.js';
import { normalizeOptions } from '../../src/options/normalize.js';
import { ed25519Pair } from '../support/webhook-signing.js';

const issuer = 'https://auth.example.com';
const audience = 'https://api.example.com';
const base = { issuer, audience };
const telnyxKey = ed25519Pair().publicKeyBase64;
const secret = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
const fakeRedis = { sendCommand: async () => null };

/** Calls `create` with options we know to be wrong for its type. */
const loose = <T>(options: Record<string, unknown>) => options as unknown as T;

/** [factory, a typo, the exact message, the same option spelled right]. */
const cases: Array<[string, () => unknown, string, () => unknown]> = [
  [
    'createGuard',
    () => createGuard(loose({ ...base, clockTolerence: 60 })),
    'createGuard(): unknown option "clockTolerence"; did you mean "clockTolerance"?',
    () => createGuard({ ...base, clockTolerance: 60 }),
  ],
  [
    'createGuard: clientIds spelled as the introspection option',
    () => createGuard(loose({ issuer, clientId: 'app' })),
    'createGuard(): unknown option "clientId"; did you mean "clientIds"?',
    () => createGuard({ issuer, clientIds: 'app' }),
  ],
  [
    'createGuard: introspection',
    () => createGuard(loose({ ...base, introspection: { clientID: 'rs', clientSecret: 's' } })),
    'createGuard(): unknown option "introspection.clientID"; did you mean "introspection.clientId"?',
    () => createGuard({ ...base, introspection: { clientId: 'rs', clientSecret: 's' } }),
  ],
  [
    'createGuard: introspection, snake case',
    () => createGuard(loose({ ...base, introspection: { clientId: 'rs', client_secret: 's' } })),
    'createGuard(): unknown option "introspection.client_secret"; did you mean "introspection.clientSecret"?',
    () => createGuard({ ...base, introspection: { clientId: 'rs', clientSecret: 's' } }),
  ],
  [
    'createGuard: tokenCache',
    () => createGuard(loose({ ...base, tokenCache: { maxEntires: 10 } })),
    'createGuard(): unknown option "tokenCache.maxEntires"; did you mean "tokenCache.maxEntries"?',
    () => createGuard({ ...base, tokenCache: { maxEntries: 10 } }),
  ],
  [
    'createGuard: dpopNonce',
    () => createGuard(loose({ ...base, dpopNonce: { lifetme: 60 } })),
    'createGuard(): unknown option "dpopNonce.lifetme"; did you mean "dpopNonce.lifetime"?',
    () => createGuard({ ...base, dpopNonce: { lifetime: 60 } }),
  ],
  [
    'authenticate',
    () => guard().authenticate(loose({ optinal: true })),
    'authenticate(): unknown option "optinal"; did you mean "optional"?',
    () => guard().authenticate({ optional: true }),
  ],
  [
    'authenticate: a route audience',
    () => guard().authenticate(loose({ audiences: 'https://api.example.com/billing' })),
    'authenticate(): unknown option "audiences"; did you mean "audience"?',
    () => guard().authenticate({ audience: 'https://api.example.com/billing' }),
  ],
  [
    'requireAuthLevel',
    () => guard().requireAuthLevel(loose({ acr: 'phr', max_age: 300 })),
    'requireAuthLevel(): unknown option "max_age"; did you mean "maxAge"?',
    () => guard().requireAuthLevel({ acr: 'phr', maxAge: 300 }),
  ],
  [
    'requireAuth',
    () => guard().requireAuth(() => true, loose({ scopes: 'docs:admin' })),
    'requireAuth(): unknown option "scopes"; did you mean "scope"?',
    () => guard().requireAuth(() => true, { scope: 'docs:admin' }),
  ],
  [
    'telnyxWebhook',
    () => telnyxWebhook(loose({ publicKey: telnyxKey, tolerence: 60 })),
    'telnyxWebhook(): unknown option "tolerence"; did you mean "tolerance"?',
    () => telnyxWebhook({ publicKey: telnyxKey, tolerance: 60 }),
  ],
  [
    'telnyxWebhook: the key',
    () => telnyxWebhook(loose({ publickey: telnyxKey })),
    'telnyxWebhook(): unknown option "publickey"; did you mean "publicKey"?',
    () => telnyxWebhook({ publicKey: telnyxKey }),
  ],
  [
    'standardWebhook',
    () => standardWebhook(loose({ secret, onReplays: 'allow' })),
    'standardWebhook(): unknown option "onReplays"; did you mean "onReplay"?',
    () => standardWebhook({ secret, onReplay: 'allow' }),
  ],
  [
    'standardWebhook: the secret',
    () => standardWebhook(loose({ secrets: secret })),
    'standardWebhook(): unknown option "secrets"; did you mean "secret"?',
    () => standardWebhook({ secret }),
  ],
  [
    'redisStore',
    () => redisStore(fakeRedis, loose({ prefx: 'api:' })),
    'redisStore(): unknown option "prefx"; did you mean "prefix"?',
    () => redisStore(fakeRedis, { prefix: 'api:' }),
  ],
  [
    'memoryStore',
    () => memoryStore(loose({ maxByte: 1024 })),
    'memoryStore(): unknown option "maxByte"; did you mean "maxBytes"?',
    () => memoryStore({ maxBytes: 1024 }),
  ],
];

function guard(): Guard {
  return createGuard(base);
}

describe('every factory refuses an unknown option and takes the right spelling', () => {
  it.each(cases)('%s', (_name, typo, message, correct) => {
    expect(typo).toThrow(TypeError);
    expect(typo).toThrow(message);
    expect(correct).not.toThrow();
  });

  it('guard.verify(token, options): rejects with a TypeError, for its request too', async () => {
    const g = guard();
    await expect(g.verify('t', loose({ audiance: audience }))).rejects.toThrow(
      new TypeError('verify(): unknown option "audiance"; did you mean "audience"?'),
    );
    await expect(g.verify('t', loose({ request: { method: 'GET', url: 'https://api.example.com/', dpopProof: 'x' } }))).rejects.toThrow(
      new TypeError('verify(): unknown option "request.dpopProof"; did you mean "request.dpop"?'),
    );
    // Spelled right, the options pass the check and the token is decided (and refused) as usual.
    await expect(g.verify('t', { audience, request: { method: 'GET', url: 'https://api.example.com/', dpop: [] } })).rejects.toMatchObject({
      status: 401,
      code: 'invalid_token',
    });
  });

  it('the correct spelling takes effect', () => {
    expect(normalizeOptions({ ...base, clockTolerance: 60 }).clockTolerance).toBe(60);
    expect(normalizeOptions({ ...base, introspection: { clientId: 'rs', clientSecret: 's' } }).introspection).toMatchObject({
      auth: 'client_secret_basic',
      clientId: 'rs',
    });
    expect(normalizeOptions({ ...base, tokenCache: { maxEntries: 10 } }).tokenCache).toMatchObject({ maxEntries: 10 });
    expect(normalizeOptions({ issuer, clientIds: ['a', 'b'] }).clientIds).toEqual(['a', 'b']);
  });
});

describe('hostile and odd keys', () => {
  it('a key far from every name lists the known ones instead of guessing', () => {
    expect(() => memoryStore(loose({ colour: 'blue' }))).toThrow(
      'memoryStore(): unknown option "colour"; known options: maxEntries, maxBytes',
    );
    expect(() => createGuard(loose({ ...base, introspection: { bananas: 1 } }))).toThrow(
      /^createGuard\(\): unknown option "introspection.bananas"; known options: introspection.endpoint, introspection.clientId, /,
    );
  });

  it('a key set to undefined is still a typo', () => {
    expect(() => createGuard(loose({ ...base, strictTyq: undefined }))).toThrow('unknown option "strictTyq"; did you mean "strictTyp"?');
  });

  it('an own __proto__ key from parsed JSON is refused, not merged into the prototype', () => {
    const parsed = JSON.parse(`{"issuer":"${issuer}","audience":"${audience}","__proto__":{"clockTolerance":1e9}}`) as Record<string, unknown>;
    expect(() => createGuard(loose(parsed))).toThrow(/^createGuard\(\): unknown option "__proto__"/);
  });

  it('quotes, newlines and very long keys are quoted safely and cut short', () => {
    const key = `x"\n${'y'.repeat(5000)}`;
    let message = '';
    try {
      createGuard(loose({ ...base, [key]: 1 }));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.startsWith('createGuard(): unknown option "x\\"\\nyyyy')).toBe(true);
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(2000);
  });

  it('symbol keys are not option names', () => {
    expect(() => createGuard(loose({ ...base, [Symbol('meta')]: true }))).not.toThrow();
  });

  it('case and swapped letters count as one edit each', () => {
    expect(() => createGuard(loose({ ...base, jwksURI: 'https://auth.example.com/jwks' }))).toThrow('did you mean "jwksUri"?');
    expect(() => createGuard(loose({ ...base, cooldonw: 10 }))).toThrow('did you mean "cooldown"?');
  });
});
