/**
 * Type-level test, checked by `tsc -p tsconfig.json` (never run): the operations API —
 * `ready()`, `health()`, `warmup`, `errorDetail`, the channel names and event payloads,
 * `GuardNotReadyError`, `oauthErrorHandler`. Each `@ts-expect-error` marks what must not compile.
 */
import { subscribe } from 'node:diagnostics_channel';
import express from 'express';
import {
  CHANNELS,
  createGuard,
  GuardNotReadyError,
  oauthErrorHandler,
  type ChannelPayloads,
  type GuardHealth,
  type HealthStatus,
  type TokenRejectedEvent,
} from '../../src/index.js';

const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com', warmup: true, errorDetail: 'minimal' });
// @ts-expect-error only 'full' or 'minimal'
createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com', errorDetail: 'verbose' });
// @ts-expect-error warmup is a boolean
createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com', warmup: 'yes' });

const ready: Promise<void> = guard.ready();
ready.catch((err: unknown) => {
  if (err instanceof GuardNotReadyError) {
    const documents: Array<'metadata' | 'jwks' | 'introspection'> = err.failures.map((f) => f.document);
    const code: 'RESOURCE_GUARD_NOT_READY' = err.code;
    void documents;
    void code;
  }
});

const health: GuardHealth = guard.health();
const status: HealthStatus = health.status;
const age: number | undefined = health.issuers[0]?.jwks.age;
const kids: string[] | undefined = health.issuers[0]?.jwks.kids;
// @ts-expect-error health() is synchronous
void (health satisfies Promise<unknown>);
void status;
void age;
void kids;

const rejected: 'resource-guard:token:rejected' = CHANNELS.tokenRejected;
subscribe(rejected, (message) => {
  const event = message as ChannelPayloads[typeof rejected];
  const reason: TokenRejectedEvent['reason'] = event.reason;
  const duration: number = event.duration;
  // @ts-expect-error events never carry the token
  void event.token;
  void reason;
  void duration;
});

const app = express();
app.use(oauthErrorHandler());
