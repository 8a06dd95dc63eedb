/**
 * Environment → configuration of the example, checked before anything starts.
 *
 * No `ISSUER`: the example runs its own authorization server (embedded mode). With `ISSUER`
 * and `AUDIENCE`: it guards the API for that server instead and starts none (external mode).
 * Every mistake becomes one `ConfigError` whose message names the variable to set, so
 * `main.ts` can print a single line and exit 1. The guard and the webhook middlewares are
 * built once here with the user's values because their own validation is the authority on
 * what is valid; their `TypeError`s are reworded to name environment variables, not options.
 * Messages never contain a secret's value.
 */
import { createGuard, type GuardOptions, type IntrospectionOptions } from 'resource-guard';
import { standardWebhook, telnyxWebhook } from 'resource-guard/webhooks';

/** A configuration mistake; `message` is one line that says what to set. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface EmbeddedServerConfig {
  mode: 'embedded';
  /** `AS_PORT`: port of the embedded authorization server, 0 for an ephemeral one. */
  port: number;
}

export interface ExternalServerConfig {
  mode: 'external';
  /** `createGuard` options built from `ISSUER`, `AUDIENCE`, `RESOURCE`, `INTROSPECTION_*`, ... */
  guard: GuardOptions;
}

export interface ExampleConfig {
  /** `PORT`: port of the API, 0 for an ephemeral one. Always on 127.0.0.1. */
  port: number;
  authorizationServer: EmbeddedServerConfig | ExternalServerConfig;
  /** `TELNYX_PUBLIC_KEY`: the real Telnyx webhook key; unset means a dev key (embedded) or no route. */
  telnyxPublicKey: string | undefined;
  /** `STANDARD_WEBHOOK_SECRET`: a real `whsec_` secret; unset means a dev secret (embedded) or no route. */
  standardWebhookSecret: string | undefined;
}

export const DEFAULT_PORT = 3000;
export const DEFAULT_AS_PORT = 3001;

/** Variables that only mean something with `ISSUER`. */
const EXTERNAL_ONLY = [
  'RESOURCE',
  'METADATA_URL',
  'JWKS_URI',
  'ALLOW_INSECURE_HTTP',
  'INTROSPECTION_ENDPOINT',
  'INTROSPECTION_CLIENT_ID',
  'INTROSPECTION_CLIENT_SECRET',
  'INTROSPECTION_BEARER_TOKEN',
  'INTROSPECTION_AUTH',
  'INTROSPECTION_ENCODING',
] as const;

/** Guard option names as its `TypeError`s quote them → the variable that sets them. */
const GUARD_OPTION_ENV: Readonly<Record<string, string>> = {
  issuer: 'ISSUER',
  audience: 'AUDIENCE',
  resource: 'RESOURCE',
  metadataUrl: 'METADATA_URL',
  jwksUri: 'JWKS_URI',
  allowInsecureHttp: 'ALLOW_INSECURE_HTTP',
  'introspection.endpoint': 'INTROSPECTION_ENDPOINT',
  'introspection.clientId': 'INTROSPECTION_CLIENT_ID',
  'introspection.clientSecret': 'INTROSPECTION_CLIENT_SECRET',
  'introspection.bearerToken': 'INTROSPECTION_BEARER_TOKEN',
  'introspection.auth': 'INTROSPECTION_AUTH',
  'introspection.encoding': 'INTROSPECTION_ENCODING',
};

/** Reads and validates the example's configuration. Throws {@link ConfigError}. */
export function loadConfig(env: Env): ExampleConfig {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const port = readPort(read('PORT'), 'PORT', DEFAULT_PORT);
  const asPort = readPort(read('AS_PORT'), 'AS_PORT', DEFAULT_AS_PORT);
  const issuer = read('ISSUER');
  const audience = read('AUDIENCE');

  if (issuer === undefined) {
    if (audience !== undefined) {
      throw new ConfigError('AUDIENCE is set but ISSUER is not: set ISSUER to your authorization server, or unset AUDIENCE to use the embedded one');
    }
    const stray = EXTERNAL_ONLY.find((name) => read(name) !== undefined);
    if (stray !== undefined) {
      throw new ConfigError(`${stray} only applies to an external authorization server: set ISSUER (and AUDIENCE) too, or unset ${stray}`);
    }
  } else if (audience === undefined) {
    throw new ConfigError('ISSUER is set but AUDIENCE is not: set AUDIENCE to the audience ("aud") your authorization server puts in access tokens for this API');
  }

  const config: ExampleConfig = {
    port,
    authorizationServer:
      issuer === undefined || audience === undefined
        ? { mode: 'embedded', port: asPort }
        : { mode: 'external', guard: externalGuardOptions(issuer, audience, read) },
    telnyxPublicKey: read('TELNYX_PUBLIC_KEY'),
    standardWebhookSecret: read('STANDARD_WEBHOOK_SECRET'),
  };
  checkWebhookKeys(config);
  return config;
}

function externalGuardOptions(issuer: string, audience: string, read: (name: string) => string | undefined): GuardOptions {
  const options: GuardOptions = { issuer: splitList(issuer), audience: splitList(audience) };
  const resource = read('RESOURCE');
  if (resource !== undefined) options.resource = resource;
  const metadataUrl = read('METADATA_URL');
  if (metadataUrl !== undefined) options.metadataUrl = metadataUrl;
  const jwksUri = read('JWKS_URI');
  if (jwksUri !== undefined) options.jwksUri = jwksUri;
  const insecure = read('ALLOW_INSECURE_HTTP');
  if (insecure !== undefined) options.allowInsecureHttp = readBoolean(insecure, 'ALLOW_INSECURE_HTTP');
  const introspection = introspectionOptions(read);
  if (introspection !== undefined) options.introspection = introspection;

  try {
    createGuard(options);
  } catch (err) {
    throw reworded(err, GUARD_OPTION_ENV);
  }
  return options;
}

/** `undefined` when no `INTROSPECTION_*` variable is set: opaque tokens are then refused. */
function introspectionOptions(read: (name: string) => string | undefined): IntrospectionOptions | undefined {
  const endpoint = read('INTROSPECTION_ENDPOINT');
  const clientId = read('INTROSPECTION_CLIENT_ID');
  const clientSecret = read('INTROSPECTION_CLIENT_SECRET');
  const bearerToken = read('INTROSPECTION_BEARER_TOKEN');
  const auth = read('INTROSPECTION_AUTH');
  const encoding = read('INTROSPECTION_ENCODING');
  if ([endpoint, clientId, clientSecret, bearerToken, auth, encoding].every((v) => v === undefined)) return undefined;
  // The guard would quietly turn introspection off without client authentication; a user who
  // set INTROSPECTION_* clearly wants it on, so say what is missing instead.
  if (clientId === undefined && clientSecret === undefined && bearerToken === undefined && auth === undefined) {
    throw new ConfigError('INTROSPECTION_* is set without credentials: set INTROSPECTION_CLIENT_ID and INTROSPECTION_CLIENT_SECRET, or INTROSPECTION_BEARER_TOKEN (or INTROSPECTION_AUTH=none)');
  }
  if (clientSecret !== undefined && clientId === undefined && auth === undefined) {
    throw new ConfigError('INTROSPECTION_CLIENT_SECRET is set but INTROSPECTION_CLIENT_ID is not: set INTROSPECTION_CLIENT_ID too');
  }
  if (clientId !== undefined && clientSecret === undefined && bearerToken === undefined && auth === undefined) {
    throw new ConfigError('INTROSPECTION_CLIENT_ID is set but INTROSPECTION_CLIENT_SECRET is not: set INTROSPECTION_CLIENT_SECRET too');
  }
  const options: IntrospectionOptions = {};
  if (endpoint !== undefined) options.endpoint = endpoint;
  if (clientId !== undefined) options.clientId = clientId;
  if (clientSecret !== undefined) options.clientSecret = clientSecret;
  if (bearerToken !== undefined) options.bearerToken = bearerToken;
  // Checked by the guard, which names the accepted values.
  if (auth !== undefined) options.auth = auth as IntrospectionOptions['auth'];
  if (encoding !== undefined) options.encoding = encoding as IntrospectionOptions['encoding'];
  return options;
}

function checkWebhookKeys(config: ExampleConfig): void {
  if (config.telnyxPublicKey !== undefined) {
    try {
      telnyxWebhook({ publicKey: config.telnyxPublicKey });
    } catch (err) {
      throw reworded(err, { publicKey: 'TELNYX_PUBLIC_KEY' });
    }
  }
  if (config.standardWebhookSecret !== undefined) {
    try {
      standardWebhook({ secret: config.standardWebhookSecret });
    } catch (err) {
      throw reworded(err, { secret: 'STANDARD_WEBHOOK_SECRET' });
    }
  }
}

/** A `TypeError` from the package, its quoted option names replaced by variable names. */
function reworded(err: unknown, names: Readonly<Record<string, string>>): unknown {
  if (!(err instanceof TypeError)) return err;
  const message = err.message
    .replace(/"([\w.]+)"/g, (quoted, name: string) => names[name] ?? quoted)
    .replace(/\s*\n\s*/g, ' ');
  return new ConfigError(message, { cause: err });
}

function readPort(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new ConfigError(`${name} must be a port number from 0 to 65535 (0 picks a free one); got ${JSON.stringify(value)}`);
  }
  return port;
}

function readBoolean(value: string, name: string): boolean {
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be true or false; got ${JSON.stringify(value)}`);
}

/** `a, b` → `['a', 'b']`: several issuers or audiences, comma-separated. */
function splitList(value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
}
