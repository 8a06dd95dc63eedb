/**
 * No secret leaks. A broad matrix of failures — token extraction, local JWT checks, JWKS
 * faults, introspection faults and decisions, discovery faults, readiness — runs against
 * real servers while everything the guard produces is collected:
 * - every `OAuthError`: message, description, headers, `JSON.stringify`, stack, and the whole
 *   `cause` chain (walked, and `util.inspect`ed as a logger would print it);
 * - `process.emitWarning` and every `console.*` call;
 * - every `resource-guard:*` diagnostics_channel event, and `guard.health()`;
 * - HTTP answers (status line, headers, body) from Express's default error handler (which
 *   prints the stack outside production) and from `oauthErrorHandler()`.
 * The last test asserts that none of it contains a token used (nor its signature or its
 * SHA-256 cache key), the client secret, the Telnyx API key, an HMAC secret (in any common
 * encoding) or a password in a configured URL.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { CHANNELS, createGuard, oauthErrorHandler, OAuthError, type Guard, type GuardOptions } from '../../src/index.js';
import { extractToken } from '../../src/auth/extract.js';
import type { TokenLocation } from '../../src/options/normalize.js';
import { fault, startFaultServer, type Behavior, type FaultServer } from '../support/fault-server.js';
import { startTelnyxServer, type TelnyxServer } from '../support/telnyx-server.js';
import { AUDIENCE, opaque, startGuardedApp, type RunningApp } from '../support/resilience.js';

// ---- what must never appear -------------------------------------------------------------

const CLIENT_ID = 'leak-test-client';
const CLIENT_SECRET = `cs_${randomBytes(18).toString('hex')}`;
const WRONG_SECRET = `wrong_${randomBytes(18).toString('hex')}`;
const API_KEY = `KEY_${randomBytes(18).toString('hex')}`;
const HMAC_SECRET = `hmac_${randomBytes(24).toString('hex')}`;
const URL_PASSWORD = `pw${randomBytes(12).toString('hex')}`;

const secrets = new Map<string, string>([
  [CLIENT_SECRET, 'client secret'],
  [Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'), 'client credentials (Basic)'],
  [WRONG_SECRET, 'a wrong client secret'],
  [Buffer.from(`${CLIENT_ID}:${WRONG_SECRET}`).toString('base64'), 'wrong client credentials (Basic)'],
  [API_KEY, 'API key'],
  [HMAC_SECRET, 'HMAC secret'],
  [Buffer.from(HMAC_SECRET).toString('base64'), 'HMAC secret (base64)'],
  [Buffer.from(HMAC_SECRET).toString('hex'), 'HMAC secret (hex)'],
  [URL_PASSWORD, 'password in a URL'],
]);
/** Also: the fault server's own HMAC secret (bytes), once it exists. */
function addByteSecret(bytes: Uint8Array, label: string): void {
  const buffer = Buffer.from(bytes);
  for (const encoding of ['hex', 'base64', 'base64url'] as const) secrets.set(buffer.toString(encoding), `${label} (${encoding})`);
}

const tokens = new Set<string>();
/** Registers a token as used: it, its signature and its cache key must never show up. */
function use(token: string): string {
  tokens.add(token);
  return token;
}

// ---- what the guard produced ------------------------------------------------------------

const produced: Array<{ where: string; text: string }> = [];
const show = (value: unknown) =>
  typeof value === 'string' ? value : inspect(value, { depth: 20, showHidden: true, breakLength: Infinity, maxStringLength: Infinity });
function note(where: string, value: unknown): void {
  produced.push({ where, text: show(value) });
}

/** Records an error as a log line would: every field, the stack, and each cause in turn. */
function noteError(where: string, err: unknown): void {
  note(`${where} (inspect)`, err);
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    const label = `${where}${'.cause'.repeat(depth)}`;
    if (current instanceof Error) {
      note(`${label}.message`, current.message);
      note(`${label}.stack`, current.stack ?? '');
      note(`${label}.toString`, String(current));
    } else {
      note(label, current);
    }
    if (current instanceof OAuthError) {
      note(`${label}.description`, current.description);
      note(`${label}.headers`, JSON.stringify(current.headers));
      note(`${label}.json`, JSON.stringify(current));
    }
    current = (current as { cause?: unknown }).cause;
  }
}

let outcomes = { refused: 0, accepted: 0 };
async function attempt(where: string, guard: Guard, token: string): Promise<void> {
  use(token);
  try {
    await guard.verify(token);
    outcomes.accepted++;
  } catch (err) {
    outcomes.refused++;
    noteError(where, err);
  }
  note(`${where} health`, JSON.stringify(guard.health()));
}

// ---- capture ----------------------------------------------------------------------------

const spies: MockInstance[] = [];
const listeners: Array<[string, (message: unknown) => void]> = [];
let warnings = 0;
let events = 0;

let as: FaultServer;
let telnyx: TelnyxServer;
const client = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    spies.push(vi.spyOn(console, method).mockImplementation((...args: unknown[]) => note(`console.${method}`, args.map(show).join(' '))));
  }
  spies.push(
    vi.spyOn(process, 'emitWarning').mockImplementation(((warning: unknown, ...rest: unknown[]) => {
      warnings++;
      note('process.emitWarning', [warning, ...rest].map(show).join(' '));
    }) as typeof process.emitWarning),
  );
  for (const name of Object.values(CHANNELS)) {
    const listener = (message: unknown) => {
      events++;
      note(`channel ${name}`, JSON.stringify(message));
      note(`channel ${name} (inspect)`, message);
    };
    subscribe(name, listener);
    listeners.push([name, listener]);
  }
  as = await startFaultServer({ introspectionClient: { id: CLIENT_ID, secret: CLIENT_SECRET }, keyAlgs: ['RS256', 'ES256'] });
  telnyx = await startTelnyxServer({ apiKey: API_KEY });
  addByteSecret(as.keys.hmacSecret, "the AS's HMAC secret");
});

afterAll(async () => {
  for (const spy of spies) spy.mockRestore();
  for (const [name, listener] of listeners) unsubscribe(name, listener);
  await as.close();
  await telnyx.close();
});

const base = (options: Partial<GuardOptions> = {}): Guard => createGuard({ issuer: as.issuer, audience: AUDIENCE, ...options });
const now = () => Math.floor(Date.now() / 1000);

// ---- the matrix -------------------------------------------------------------------------

describe('token extraction failures', () => {
  const all = new Set<TokenLocation>(['header', 'body', 'query']);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  it('each malformed request is a 400 that does not repeat the token', () => {
    const a = use(as.mintJwt());
    const b = use(opaque());
    const cases: Array<[string, Parameters<typeof extractToken>[0]]> = [
      ['two tokens in one header', { headers: { authorization: `Bearer ${a} ${b}` } }],
      ['illegal character', { headers: { authorization: `Bearer ${a}"` } }],
      ['two Authorization headers', { headers: { authorization: [`Bearer ${a}`, `Bearer ${b}`] } }],
      ['header and query', { headers: { authorization: `Bearer ${a}` }, query: { access_token: b } }],
      ['header and body', { headers: { authorization: `Bearer ${a}`, ...form }, method: 'POST', body: { access_token: b } }],
      ['body with GET', { headers: form, method: 'GET', body: { access_token: a } }],
      ['two tokens in the query', { headers: {}, query: { access_token: [a, b] } }],
      ['malformed query token', { headers: {}, query: { access_token: `${a}!` } }],
      ['oversized header', { headers: { authorization: `Bearer ${a}${'x'.repeat(9 * 1024)}` } }],
    ];
    for (const [name, source] of cases) {
      try {
        extractToken(source, all);
        throw new Error(`${name}: expected a 400`);
      } catch (err) {
        expect((err as OAuthError).status).toBe(400);
        noteError(`extract: ${name}`, err);
      }
    }
  });

  it('over HTTP, with the default and the JSON error handler', async () => {
    const guard = base({ tokenLocations: ['header', 'query'] });
    for (const json of [false, true]) {
      const app = express();
      app.use('/api', guard.authenticate());
      app.get('/api/data', (_req, res) => void res.json({ ok: true }));
      if (json) app.use(oauthErrorHandler());
      const server = app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const t = use(as.mintJwt());
      const requests: Array<[string, string, Record<string, string>]> = [
        ['two tokens', '/api/data', { authorization: `Bearer ${t} ${use(opaque())}` }],
        ['header and query', `/api/data?access_token=${use(opaque())}`, { authorization: `Bearer ${t}` }],
        ['illegal character', '/api/data', { authorization: `Bearer ${t}!` }],
        ['expired', '/api/data', { authorization: `Bearer ${use(as.mintJwt({ expiresIn: -600 }))}` }],
        ['bad signature', '/api/data', { authorization: `Bearer ${use(as.mintJwt({ key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }))}` }],
        ['opaque without introspection', '/api/data', { authorization: `Bearer ${use(opaque())}` }],
      ];
      for (const [name, path, headers] of requests) {
        const res = await fetch(url + path, { headers });
        const body = await res.text();
        expect([400, 401]).toContain(res.status);
        note(`HTTP ${json ? 'json' : 'default'} handler: ${name}`, `${res.status} ${JSON.stringify([...res.headers])} ${body}`);
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  });
});

describe('local JWT failures', () => {
  it('every refusal reason, without and with introspection', async () => {
    const rsa = as.keys.current('RS256');
    const unpublished = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const tooLarge = as.mintJwt({ claims: { pad: 'p'.repeat(17 * 1024) } });
    const jwe = `${Buffer.from('{"alg":"RSA-OAEP","enc":"A256GCM"}').toString('base64url')}.${opaque()}.${opaque()}.${opaque()}.${opaque()}`;
    const valid = as.mintJwt();
    const [h, p, s] = valid.split('.') as [string, string, string];
    const lastIndex = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(s.at(-1)!);
    const nonCanonical = `${h}.${p}.${s.slice(0, -1)}${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[lastIndex ^ 1]}`;
    const cases: Array<[string, string]> = [
      ['expired', as.mintJwt({ expiresIn: -600 })],
      ['not yet valid', as.mintJwt({ claims: { nbf: now() + 600 } })],
      ['issued in the future', as.mintJwt({ claims: { iat: now() + 600 } })],
      ['wrong audience', as.mintJwt({ claims: { aud: 'https://other.example' } })],
      ['no audience', as.mintJwt({ claims: { aud: undefined } })],
      ['untrusted issuer', as.mintJwt({ claims: { iss: 'https://evil.example' } })],
      ['no exp', as.mintJwt({ claims: { exp: undefined } })],
      ['bad signature, published kid', as.mintJwt({ key: unpublished, kid: rsa.kid })],
      ['unknown kid', as.mintJwt({ key: unpublished, kid: 'not-published' })],
      ['alg none', as.mintJwt({ alg: 'none' })],
      ['HS256 signed with the public key (alg confusion)', as.mintJwt({ alg: 'HS256', secret: rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string })],
      ['HS256 with the AS secret, no secret configured', as.mintJwt({ alg: 'HS256', kid: null })],
      ['HS256 with another secret', as.mintJwt({ alg: 'HS256', kid: null, secret: randomBytes(32) })],
      ['HS256 expired', as.mintJwt({ alg: 'HS256', kid: null, secret: HMAC_SECRET, expiresIn: -600 })],
      ['crit header', as.mintJwt({ header: { crit: ['exp'], exp: 1 } })],
      ['DPoP proof type', as.mintJwt({ header: { typ: 'dpop+jwt' } })],
      ['embedded jwk and jku', as.mintJwt({ key: unpublished, header: { jku: `${as.url}/evil`, jwk: { kty: 'RSA' } } })],
      ['too large', tooLarge],
      ['JWE', jwe],
      ['non-canonical signature', nonCanonical],
      ['payload not JSON', as.mintJwt({ payload: 'not json' })],
    ];
    const guards: Array<[string, Guard]> = [
      ['plain', base({ hmacSecret: HMAC_SECRET, algorithms: ['RS256', 'ES256', 'HS256'] })],
      ['no HMAC secret', base()],
      ['introspection', base({ introspection: client })],
      ['strict, max age', base({ strictTyp: true, maxTokenAge: 1, hmacSecret: HMAC_SECRET })],
      ['minimal detail', base({ errorDetail: 'minimal', introspection: client })],
    ];
    for (const [guardName, guard] of guards) {
      for (const [name, token] of cases) await attempt(`jwt ${guardName}: ${name}`, guard, token);
    }
  });
});

describe('JWKS faults', () => {
  const faults: Array<[string, Behavior]> = [
    ['connection reset', fault.down],
    ['500', fault.status(500)],
    ['429 Retry-After', fault.status(429, { 'retry-after': '5' })],
    ['garbage', fault.garbage],
    ['oversized', fault.oversized(1024 * 1024)],
    ['hang', fault.hang],
    ['cross-origin redirect', fault.redirect('http://localhost:1/jwks')],
    ['no usable key', fault.json({ keys: [{ kty: 'oct', k: Buffer.from(HMAC_SECRET).toString('base64url') }] })],
  ];
  it('each is a 503 whose description and cause hold no secret', async () => {
    for (const [name, behavior] of faults) {
      as.setBehavior('jwks', behavior);
      await attempt(`jwks ${name}`, base({ timeout: 0.3 }), as.mintJwt());
      await attempt(`jwks ${name}, then an HS256 token`, base({ timeout: 0.3, hmacSecret: HMAC_SECRET }), as.mintJwt({ alg: 'HS256', kid: null, secret: HMAC_SECRET, expiresIn: -5 }));
    }
    as.resetBehaviors();
  });

  it('a configured URL carrying a password is refused at start-up, without echoing it', () => {
    const withPassword = (href: string) => {
      const url = new URL(href);
      url.username = 'user';
      url.password = URL_PASSWORD;
      return url.href;
    };
    const options: Array<[string, Partial<GuardOptions>]> = [
      ['jwksUri', { jwksUri: withPassword(as.endpoints.jwks) }],
      ['metadataUrl', { metadataUrl: withPassword(as.endpoints.metadata) }],
      ['introspection.endpoint', { introspection: { ...client, endpoint: withPassword(as.endpoints.introspection) } }],
      ['issuer', { issuer: withPassword(as.issuer) }],
    ];
    for (const [name, option] of options) {
      let thrown: unknown;
      try {
        base(option);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect((thrown as Error).message).toContain(name);
      noteError(`createGuard with a password in ${name}`, thrown);
    }
  });
});

describe('introspection faults and decisions', () => {
  const faults: Array<[string, Behavior]> = [
    ['connection reset', fault.down],
    ['500', fault.status(500)],
    ['429 Retry-After', fault.status(429, { 'retry-after': '5' })],
    ['garbage', fault.garbage],
    ['oversized', fault.oversized(1024 * 1024)],
    ['hang', fault.hang],
    ['redirect', fault.redirect('/elsewhere')],
    ['no boolean active', fault.json({ active: 'yes' })],
    ['deeply nested', fault.status(200, {}, `{"active":true,"x":${'['.repeat(50_000)}${']'.repeat(50_000)}}`)],
  ];
  it('each fault, with each client authentication', async () => {
    for (const [name, behavior] of faults) {
      for (const auth of ['client_secret_basic', 'client_secret_post'] as const) {
        as.setBehavior('introspection', behavior);
        await attempt(`introspection ${auth} ${name}`, base({ timeout: 0.3, introspection: { ...client, auth } }), as.mintOpaque());
      }
    }
    as.resetBehaviors();
  });

  it('each refusal', async () => {
    const guard = base({ introspection: { ...client, requireAudience: true } });
    const cases: Array<[string, string]> = [
      ['unknown', opaque()],
      ['revoked', (() => { const t = as.mintOpaque(); as.revoke(t); return t; })()],
      ['expired', as.mintOpaque({ exp: now() - 600 })],
      ['wrong audience', as.mintOpaque({ aud: 'https://other.example' })],
      ['no audience', as.mintOpaque({ claims: { aud: undefined } })],
      ['untrusted issuer', as.mintOpaque({ claims: { iss: 'https://evil.example' } })],
      ['refresh token', as.mintOpaque({ claims: { token_type: 'refresh_token' } })],
      ['not yet valid', as.mintOpaque({ claims: { nbf: now() + 600 } })],
    ];
    for (const [name, token] of cases) await attempt(`introspection: ${name}`, guard, token);
  });

  it('the server refuses our credentials: 503 and one warning, neither naming the secret', async () => {
    const before = warnings;
    for (const auth of ['client_secret_basic', 'client_secret_post'] as const) {
      const guard = base({ introspection: { clientId: CLIENT_ID, clientSecret: WRONG_SECRET, auth } });
      await attempt(`introspection wrong secret ${auth}`, guard, as.mintOpaque());
      await attempt(`introspection wrong secret ${auth}, again`, guard, as.mintOpaque());
    }
    expect(warnings).toBeGreaterThan(before);
  });

  it('beyond maxConcurrency, and while the circuit is open', async () => {
    as.setBehavior('introspection', fault.slow(200));
    const guard = base({ introspection: { ...client, maxConcurrency: 2 } });
    await Promise.all(Array.from({ length: 6 }, (_, i) => attempt(`introspection cap ${i}`, guard, as.mintOpaque())));
    as.setBehavior('introspection', fault.status(503, { 'retry-after': '30' }));
    const open = base({ introspection: client });
    for (let i = 0; i < 3; i++) await attempt(`introspection circuit ${i}`, open, as.mintOpaque());
    as.resetBehaviors();
  });

  it('Telnyx: JSON body and a Bearer API key, failures and refusals', async () => {
    const guard = createGuard({
      issuer: telnyx.apiBase,
      audience: AUDIENCE,
      introspection: { auth: 'bearer', bearerToken: API_KEY, encoding: 'json' },
    });
    await attempt('telnyx: unknown token', guard, opaque());
    await attempt('telnyx: revoked', guard, (() => { const t = telnyx.mintOpaque(); telnyx.revoke(t); return t; })());
    await attempt('telnyx: HS256 without a secret', guard, telnyx.mintJwt({ alg: 'HS256', kid: null }));
    const wrongKey = createGuard({
      issuer: telnyx.apiBase,
      audience: AUDIENCE,
      introspection: { auth: 'bearer', bearerToken: WRONG_SECRET, encoding: 'json' },
    });
    await attempt('telnyx: wrong API key', wrongKey, telnyx.mintOpaque());
    await telnyx.close();
    await attempt('telnyx: down', createGuard({ issuer: telnyx.apiBase, audience: AUDIENCE, introspection: { auth: 'bearer', bearerToken: API_KEY } }), opaque());
  });
});

describe('discovery faults', () => {
  it('metadata down, missing everywhere, issuer mismatch, slow', async () => {
    const cases: Array<[string, Behavior]> = [
      ['down', fault.down],
      ['404', fault.status(404)],
      ['429', fault.status(429, { 'retry-after': '5' })],
      ['issuer mismatch', fault.json({ issuer: 'https://evil.example', jwks_uri: `${as.url}/jwks` })],
      ['hang', fault.hang],
    ];
    for (const [name, behavior] of cases) {
      as.setBehavior('metadata', behavior);
      as.setBehavior('openid-configuration', behavior);
      await attempt(`discovery ${name}: JWT`, base({ timeout: 0.3 }), as.mintJwt());
      await attempt(`discovery ${name}: opaque`, base({ timeout: 0.3, introspection: client }), as.mintOpaque());
    }
    as.resetBehaviors();
  });

  it('ready() and warmup against a failing AS report without secrets', async () => {
    as.setBehavior('jwks', fault.status(500));
    for (const options of [{}, { jwksUri: as.endpoints.jwks }, { introspection: client }]) {
      const guard = base({ timeout: 0.3, ...options });
      try {
        await guard.ready();
      } catch (err) {
        noteError('ready()', err);
      }
      note('ready() health', JSON.stringify(guard.health()));
      const warm = base({ timeout: 0.3, warmup: true, ...options });
      await new Promise((resolve) => setTimeout(resolve, 500));
      note('warmup health', JSON.stringify(warm.health()));
    }
    as.resetBehaviors();
  });
});

describe('a slow AS over HTTP', () => {
  let app: RunningApp;
  beforeAll(async () => {
    as.setBehavior('introspection', fault.slow(2_000));
    app = await startGuardedApp(base({ timeout: 0.3, introspection: client }));
  });
  afterAll(async () => {
    await app.close();
    as.resetBehaviors();
  });
  it('503 answers carry no secret', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${app.url}/api/data`, { headers: { authorization: `Bearer ${use(as.mintOpaque())}` } });
      note('HTTP slow introspection', `${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
      expect(res.status).toBe(503);
    }
  });
});

// ---- the verdict ------------------------------------------------------------------------

describe('verdict', () => {
  it('the collector saw the matrix: errors, warnings, events, health', () => {
    expect(outcomes.refused).toBeGreaterThan(150);
    expect(produced.length).toBeGreaterThan(1_000);
    expect(warnings).toBeGreaterThan(0);
    expect(events).toBeGreaterThan(0);
    expect(tokens.size).toBeGreaterThan(100);
  });

  it('the detector works: a planted token and secret are found', () => {
    const token = [...tokens][0]!;
    const planted = [{ where: 'planted', text: `oops ${token} and ${CLIENT_SECRET}` }];
    expect(findLeaks(planted).map((l) => l.what)).toEqual(expect.arrayContaining(['token', 'client secret']));
  });

  it('nothing produced contains a token, its signature or cache key, or any secret', () => {
    expect(findLeaks(produced)).toEqual([]);
  });
});

interface Leak {
  where: string;
  what: string;
  excerpt: string;
}

function findLeaks(items: ReadonlyArray<{ where: string; text: string }>): Leak[] {
  const needles = new Map<string, string>(secrets);
  for (const token of tokens) {
    if (token.length < 16) continue;
    needles.set(token.slice(0, 2_000), 'token');
    const parts = token.split('.');
    const signature = parts.length === 3 ? parts[2]! : '';
    if (signature.length >= 20) needles.set(signature, 'token signature');
    needles.set(createHash('sha256').update(token).digest('base64url'), 'token hash (cache key)');
  }
  const leaks: Leak[] = [];
  for (const { where, text } of items) {
    for (const [needle, what] of needles) {
      const at = text.indexOf(needle);
      if (at !== -1) leaks.push({ where, what, excerpt: text.slice(Math.max(0, at - 60), at + 60) });
    }
  }
  return leaks;
}
