/**
 * The walkthrough as data: each step says what it shows, the status it expects, and how to
 * run it against the example. `demo.ts` runs them in order and reports.
 *
 * Steps only use HTTP, like a real client would: tokens come from the embedded
 * authorization server's token endpoint, the code flow goes through its login pages, and
 * webhooks are signed with the dev keys the example hands out at `GET /dev/demo-kit`.
 */
import { authorizationCodeFlow } from './authorization-server/code-flow.js';
import type { DevKit } from './dev-kit.js';
import { standardHeaders, telnyxEvent, telnyxHeaders } from './webhook-signing.js';

export interface DemoContext {
  apiUrl: string;
  kit: DevKit;
  /** What one step leaves for a later one, within one run. */
  carried: { standardDelivery?: { body: string; headers: Record<string, string> } };
}

/** What a step saw: the status, a short note to show, and a problem when more than the status is wrong. */
export interface StepOutcome {
  status: number;
  note?: string | undefined;
  problem?: string | undefined;
}

export interface DemoStep {
  /** `client_credentials token → GET /api/messages`: what is sent, where. */
  name: string;
  expected: number;
  /** Why the step cannot run here, if it cannot. */
  skip?(ctx: DemoContext): string | undefined;
  run(ctx: DemoContext): Promise<StepOutcome>;
}

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(ctx: DemoContext, method: string, path: string, init: { token?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${ctx.apiUrl}${path}`, { method, headers, body: init.body ?? null, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON: the status says enough.
  }
  return { status: res.status, headers: res.headers, body };
}

/** A client_credentials access token from the embedded server (client_secret_basic). */
async function clientCredentials(ctx: DemoContext, scope: string, resource?: string): Promise<string> {
  const { id, secret } = ctx.kit.confidentialClient;
  const form = new URLSearchParams({ grant_type: 'client_credentials', scope });
  if (resource !== undefined) form.set('resource', resource);
  const res = await fetch(ctx.kit.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` },
    body: form,
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!res.ok || typeof json.access_token !== 'string') {
    throw new Error(`token endpoint answered ${res.status} ${json.error ?? ''} ${json.error_description ?? ''}`.trim());
  }
  return json.access_token;
}

/** The same JWT with one signature character changed: well-formed, but not what the server signed. */
function tamper(jwt: string): string {
  const [header, payload, signature = ''] = jwt.split('.');
  const i = Math.floor(signature.length / 2);
  const swapped = signature[i] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, i)}${swapped}${signature.slice(i + 1)}`;
}

const challenge = (reply: Reply) => reply.headers.get('www-authenticate') ?? undefined;

/** Fails a step whose challenge lacks `error="<code>"` (or has one when `code` is undefined). */
function expectChallenge(reply: Reply, code: string | undefined): StepOutcome {
  const header = challenge(reply);
  if (header === undefined) return { status: reply.status, problem: 'no WWW-Authenticate header' };
  const error = /error="([^"]*)"/.exec(header)?.[1];
  if (error !== code) return { status: reply.status, note: header, problem: `challenge error is ${error ?? 'absent'}, expected ${code ?? 'none'}` };
  return { status: reply.status, note: `WWW-Authenticate: ${header}` };
}

const callerNote = (reply: Reply) => {
  const caller = reply.body.caller as { tokenType?: string; clientId?: string; scopes?: string[] } | undefined;
  return caller ? `${caller.tokenType} token of ${caller.clientId}, scopes ${caller.scopes?.join(' ')}` : undefined;
};

const telnyxSkip = (ctx: DemoContext) =>
  ctx.kit.telnyxSigningKey === undefined ? 'TELNYX_PUBLIC_KEY is set, so only Telnyx can sign deliveries' : undefined;
const standardSkip = (ctx: DemoContext) =>
  ctx.kit.standardWebhookSecret === undefined ? 'STANDARD_WEBHOOK_SECRET is set, so the demo has no secret to sign with' : undefined;

export const DEMO_STEPS: readonly DemoStep[] = [
  {
    name: 'discovery → GET /.well-known/oauth-protected-resource',
    expected: 200,
    async run(ctx) {
      const reply = await call(ctx, 'GET', '/.well-known/oauth-protected-resource');
      const servers = reply.body.authorization_servers as string[] | undefined;
      if (!servers?.includes(ctx.kit.issuer)) return { status: reply.status, problem: `authorization_servers does not list ${ctx.kit.issuer}` };
      return { status: reply.status, note: `authorization_servers: ${servers.join(', ')}` };
    },
  },
  {
    name: 'client_credentials token → GET /api/messages',
    expected: 200,
    async run(ctx) {
      const reply = await call(ctx, 'GET', '/api/messages', { token: await clientCredentials(ctx, 'messages:read messages:write') });
      return { status: reply.status, note: callerNote(reply) };
    },
  },
  {
    name: 'client_credentials token → POST /api/messages',
    expected: 201,
    async run(ctx) {
      const token = await clientCredentials(ctx, 'messages:read messages:write');
      const reply = await call(ctx, 'POST', '/api/messages', { token, body: JSON.stringify({ text: 'Hello from the demo' }) });
      return { status: reply.status, note: `message ${String(reply.body.id)} by ${String(reply.body.author)}` };
    },
  },
  {
    name: 'no token → GET /api/messages',
    expected: 401,
    async run(ctx) {
      return expectChallenge(await call(ctx, 'GET', '/api/messages'), undefined);
    },
  },
  {
    name: 'tampered token → GET /api/messages',
    expected: 401,
    async run(ctx) {
      const token = tamper(await clientCredentials(ctx, 'messages:read'));
      return expectChallenge(await call(ctx, 'GET', '/api/messages', { token }), 'invalid_token');
    },
  },
  {
    name: 'token without messages:write → POST /api/messages',
    expected: 403,
    async run(ctx) {
      const token = await clientCredentials(ctx, 'messages:read');
      return expectChallenge(await call(ctx, 'POST', '/api/messages', { token, body: JSON.stringify({ text: 'denied' }) }), 'insufficient_scope');
    },
  },
  {
    name: 'opaque token (introspection) → GET /api/messages',
    expected: 200,
    async run(ctx) {
      const token = await clientCredentials(ctx, 'messages:read', ctx.kit.opaqueResource);
      const reply = await call(ctx, 'GET', '/api/messages', { token });
      const tokenType = (reply.body.caller as { tokenType?: string } | undefined)?.tokenType;
      if (reply.status === 200 && tokenType !== 'opaque') return { status: reply.status, problem: `decided as ${tokenType}, not opaque` };
      return { status: reply.status, note: callerNote(reply) };
    },
  },
  {
    name: 'authorization_code + PKCE token (user-1) → GET /api/me',
    expected: 200,
    async run(ctx) {
      const { id, redirectUri } = ctx.kit.publicClient;
      const { access_token: token } = await authorizationCodeFlow(ctx.kit.issuer, {
        clientId: id,
        redirectUri,
        scope: 'openid messages:read',
        resource: ctx.kit.apiResource,
        accountId: 'user-1',
      });
      const reply = await call(ctx, 'GET', '/api/me', { token });
      if (reply.status === 200 && reply.body.subject !== 'user-1') return { status: reply.status, problem: `subject is ${String(reply.body.subject)}` };
      return { status: reply.status, note: `subject ${String(reply.body.subject)} via public client ${String(reply.body.clientId)}` };
    },
  },
  {
    name: 'no token (optional auth) → GET /api/me',
    expected: 200,
    async run(ctx) {
      const reply = await call(ctx, 'GET', '/api/me');
      if (reply.status === 200 && reply.body.anonymous !== true) return { status: reply.status, problem: 'not anonymous' };
      return { status: reply.status, note: 'anonymous' };
    },
  },
  {
    name: 'webhooks:deliver token → POST /webhooks/partner',
    expected: 200,
    async run(ctx) {
      const token = await clientCredentials(ctx, 'webhooks:deliver');
      const reply = await call(ctx, 'POST', '/webhooks/partner', { token, body: JSON.stringify({ event: 'order.shipped' }) });
      return { status: reply.status };
    },
  },
  {
    name: 'signed Telnyx webhook → POST /webhooks/telnyx',
    expected: 200,
    skip: telnyxSkip,
    async run(ctx) {
      const body = telnyxEvent();
      const reply = await call(ctx, 'POST', '/webhooks/telnyx', { body, headers: telnyxHeaders(ctx.kit.telnyxSigningKey!, body) });
      return { status: reply.status, note: reply.status === 200 ? `event ${String(reply.body.event_type)} ${String(reply.body.received)}` : undefined };
    },
  },
  {
    name: 'tampered Telnyx webhook → POST /webhooks/telnyx',
    expected: 401,
    skip: telnyxSkip,
    async run(ctx) {
      const body = telnyxEvent();
      const headers = telnyxHeaders(ctx.kit.telnyxSigningKey!, body);
      const reply = await call(ctx, 'POST', '/webhooks/telnyx', { body: body.replace('Hello', 'Hijacked'), headers });
      return { status: reply.status, note: `${String(reply.body.error)}: ${String(reply.body.error_description)}` };
    },
  },
  {
    name: 'signed Standard Webhooks delivery → POST /webhooks/standard',
    expected: 200,
    skip: standardSkip,
    async run(ctx) {
      const body = JSON.stringify({ type: 'invoice.paid', data: { id: 'inv_1' } });
      // Kept for the next step, which sends the very same signed delivery again.
      const delivery = { body, headers: standardHeaders(ctx.kit.standardWebhookSecret!, body) };
      ctx.carried.standardDelivery = delivery;
      const reply = await call(ctx, 'POST', '/webhooks/standard', delivery);
      return { status: reply.status, note: `webhook-id ${String(reply.body.received)}` };
    },
  },
  {
    name: 'same delivery again (replay) → POST /webhooks/standard',
    expected: 409,
    skip: standardSkip,
    async run(ctx) {
      const delivery = ctx.carried.standardDelivery;
      if (delivery === undefined) throw new Error('the signed delivery step did not run');
      const reply = await call(ctx, 'POST', '/webhooks/standard', delivery);
      return { status: reply.status, note: `${String(reply.body.error)}: ${String(reply.body.error_description)}` };
    },
  },
];
