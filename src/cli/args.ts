/**
 * `resource-guard doctor` arguments: parsed into guard options, the token, and how to print.
 *
 * Secrets (the token, an introspection client secret or API key) are best given by file or
 * environment variable: a command-line argument shows in the process list and the shell
 * history. They are accepted on the command line all the same, with a warning.
 */
import { readFileSync } from 'node:fs';
import type { GuardOptions, IntrospectionOptions } from '../options/normalize.js';

export const USAGE = `Usage: resource-guard doctor --issuer URL (--audience AUDIENCE | --client-id ID) [options]

Checks what the guard would do with this configuration: discovery (every URL tried and
what answered), the issuer, the JWKS (key ids, algorithms, cache headers) and, given a
token, whether it would be accepted, and exactly why not. Never prints a token or a secret.

Options:
  --issuer URL                     trusted issuer (repeat for several)
  --audience AUDIENCE              accepted audience (repeat for several)
  --client-id ID                   accepted client: client_id, azp or cid (repeat for
                                   several); for tokens without a usable aud
  --token TOKEN                    an access token to explain (prefer --token-file)
  --token-file FILE                read the token from FILE ('-' for standard input)
  --scope SCOPE                    a scope the route needs (repeat, or space-separated)
  --scope-claim CLAIM              a claim holding scopes (repeat; default scope and scp)
  --metadata-url URL               exact metadata URL (skips the discovery search)
  --jwks-uri URL                   JWKS URL (overrides the metadata's jwks_uri)
  --algorithms LIST                allowed algorithms, comma-separated (default: asymmetric)
  --clock-tolerance SECONDS        leeway on exp/nbf/iat (default 5)
  --timeout SECONDS                per request (default 5)
  --allow-insecure-http            allow http:// URLs that are not loopback
  --introspection-endpoint URL     introspection endpoint (default: the metadata's)
  --introspection-client-id ID     client id for client_secret_basic/_post
  --introspection-client-secret-file FILE
                                   client secret, read from FILE
  --introspection-bearer-token-file FILE
                                   API key sent as Bearer (Telnyx), read from FILE
  --introspection-auth METHOD      client_secret_basic | client_secret_post | bearer | none
  --introspection-encoding ENC     form | json
  --json                           print one JSON report on standard output
  --no-color                       plain output even on a terminal
  -h, --help                       this help
  --version                        the version of resource-guard

Environment: RESOURCE_GUARD_TOKEN, RESOURCE_GUARD_INTROSPECTION_CLIENT_SECRET and
RESOURCE_GUARD_INTROSPECTION_BEARER_TOKEN stand in for the matching options.

Exit code: 0 when everything checked is fine (and the token would be accepted with the
scopes asked for), 1 otherwise.`;

/** The first line of {@link USAGE}, and where to find the rest: what a usage error prints. */
export const SHORT_USAGE = `${USAGE.split('\n')[0]}\nRun 'resource-guard doctor --help' for every option.`;

/** What the command line asks for. */
export interface DoctorArgs {
  options: GuardOptions;
  token: string | undefined;
  scopes: string[];
  json: boolean;
  color: boolean | undefined;
  help: boolean;
  /** Warnings about how the arguments were given (a secret on the command line). */
  warnings: string[];
}

/** A mistake in the arguments; the message says which. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const FLAGS = new Set(['--json', '--no-color', '--allow-insecure-http', '-h', '--help']);
const VALUES = new Set([
  '--issuer', '--audience', '--client-id', '--token', '--token-file', '--scope', '--scope-claim', '--metadata-url', '--jwks-uri',
  '--algorithms', '--clock-tolerance', '--timeout', '--introspection-endpoint', '--introspection-client-id',
  '--introspection-client-secret', '--introspection-client-secret-file', '--introspection-bearer-token',
  '--introspection-bearer-token-file', '--introspection-auth', '--introspection-encoding',
]);

/** Parses `argv` (after the `doctor` word). `readStdin` reads standard input, for `--token-file -`. */
export function parseDoctorArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readStdin: () => string,
): DoctorArgs {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (FLAGS.has(arg) && inline === undefined) {
      flags.add(arg);
    } else if (VALUES.has(arg)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      values.set(arg, [...(values.get(arg) ?? []), value]);
    } else {
      throw new UsageError(`unknown argument: ${arg.startsWith('-') ? arg : JSON.stringify(arg.slice(0, 40))}`);
    }
  }
  const help = flags.has('-h') || flags.has('--help');
  const warnings: string[] = [];
  const one = (name: string) => {
    const list = values.get(name);
    if (list !== undefined && list.length > 1) throw new UsageError(`${name} may be given once`);
    return list?.[0];
  };
  const number = (name: string) => {
    const text = one(name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new UsageError(`${name} must be a number of seconds`);
    return value;
  };
  const secret = (inlineName: string, fileName: string, envName: string) => {
    const file = one(fileName);
    const inlineValue = one(inlineName);
    if (inlineValue !== undefined) warnings.push(`${inlineName} shows in the process list and shell history; prefer ${fileName} or ${envName}`);
    const value = file !== undefined ? readSecret(file, readStdin, fileName) : inlineValue ?? env[envName];
    return value === undefined || value === '' ? undefined : value;
  };

  const issuers = values.get('--issuer') ?? [];
  const audiences = values.get('--audience') ?? [];
  const clientIds = values.get('--client-id') ?? [];
  if (!help && issuers.length === 0) throw new UsageError('--issuer is required');
  if (!help && audiences.length === 0 && clientIds.length === 0) throw new UsageError('--audience (or --client-id) is required');

  const tokenFile = one('--token-file');
  const tokenArg = one('--token');
  if (tokenFile !== undefined && tokenArg !== undefined) throw new UsageError('give --token or --token-file, not both');
  if (tokenArg !== undefined) warnings.push('--token shows in the process list and shell history; prefer --token-file or RESOURCE_GUARD_TOKEN');
  const token = tokenFile !== undefined ? readSecret(tokenFile, readStdin, '--token-file') : tokenArg ?? env.RESOURCE_GUARD_TOKEN;

  const recipients =
    clientIds.length === 0
      ? { audience: oneOrList(audiences) }
      : { clientIds: oneOrList(clientIds), ...(audiences.length === 0 ? {} : { audience: oneOrList(audiences) }) };
  const options: GuardOptions = {
    issuer: oneOrList(issuers),
    ...recipients,
    tokenCache: false,
    errorDetail: 'full',
  };
  const scopeClaims = values.get('--scope-claim');
  if (scopeClaims !== undefined) options.scopeClaims = scopeClaims;
  const metadataUrl = one('--metadata-url');
  if (metadataUrl !== undefined) options.metadataUrl = metadataUrl;
  const jwksUri = one('--jwks-uri');
  if (jwksUri !== undefined) options.jwksUri = jwksUri;
  const algorithms = one('--algorithms');
  if (algorithms !== undefined) options.algorithms = algorithms.split(',').map((a) => a.trim()).filter(Boolean) as GuardOptions['algorithms'];
  const clockTolerance = number('--clock-tolerance');
  if (clockTolerance !== undefined) options.clockTolerance = clockTolerance;
  const timeout = number('--timeout');
  if (timeout !== undefined) options.timeout = timeout;
  if (flags.has('--allow-insecure-http')) options.allowInsecureHttp = true;

  const introspection: IntrospectionOptions = {};
  const endpoint = one('--introspection-endpoint');
  if (endpoint !== undefined) introspection.endpoint = endpoint;
  const clientId = one('--introspection-client-id');
  if (clientId !== undefined) introspection.clientId = clientId;
  const clientSecret = secret('--introspection-client-secret', '--introspection-client-secret-file', 'RESOURCE_GUARD_INTROSPECTION_CLIENT_SECRET');
  if (clientSecret !== undefined) introspection.clientSecret = clientSecret;
  const bearerToken = secret('--introspection-bearer-token', '--introspection-bearer-token-file', 'RESOURCE_GUARD_INTROSPECTION_BEARER_TOKEN');
  if (bearerToken !== undefined) introspection.bearerToken = bearerToken;
  const auth = one('--introspection-auth');
  if (auth !== undefined) introspection.auth = auth as IntrospectionOptions['auth'];
  const encoding = one('--introspection-encoding');
  if (encoding !== undefined) introspection.encoding = encoding as IntrospectionOptions['encoding'];
  if (Object.keys(introspection).length > 0) options.introspection = introspection;

  const scopes = (values.get('--scope') ?? []).flatMap((s) => s.split(/\s+/)).filter(Boolean);
  return {
    options,
    token: token?.trim() || undefined,
    scopes: [...new Set(scopes)],
    json: flags.has('--json'),
    color: flags.has('--no-color') ? false : undefined,
    help,
    warnings,
  };
}

function oneOrList(values: string[]): string | string[] {
  return values.length === 1 ? values[0]! : values;
}

function readSecret(file: string, readStdin: () => string, option: string): string {
  try {
    return (file === '-' ? readStdin() : readFileSync(file, 'utf8')).trim();
  } catch (err) {
    throw new UsageError(`${option}: cannot read ${file === '-' ? 'standard input' : file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
