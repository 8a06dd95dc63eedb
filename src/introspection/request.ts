/**
 * One RFC 7662 introspection call: the request body and the resource server's client
 * authentication (§2.1), then the answer, refused unless it is a 200 with a JSON object whose
 * `active` is a boolean (§2.2). Every failure is a 503 with `Retry-After`: the token is not
 * decided, so nothing may be cached.
 *
 * @see [RFC 7662 §2 - Introspection Endpoint](https://www.rfc-editor.org/rfc/rfc7662#section-2)
 */
import { temporarilyUnavailable } from '../errors/factories.js';
import { failurePhrase } from '../remote/failure.js';
import { parseJsonObject, parseRetryAfter, request } from '../remote/http.js';
import type { IntrospectionConfig } from '../options/introspection.js';
import type { GuardConfig } from '../options/normalize.js';

/** The RFC 7662 §2.2 response fields the guard reads; the rest is kept as received. */
export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  token_type?: string;
  [field: string]: unknown;
}

/**
 * Asks `endpoint` about `token`. `onCredentialsRefused` hears of a 401/403, which means the
 * guard's own credentials are wrong (an operator's problem, not the client's).
 */
export async function callIntrospection(
  endpoint: string,
  token: string,
  options: IntrospectionConfig,
  config: GuardConfig,
  onCredentialsRefused: (status: number) => void,
): Promise<IntrospectionResponse> {
  let response;
  try {
    response = await request({
      url: endpoint,
      method: 'POST',
      ...encode(token, options),
      timeout: config.timeout,
      maxBytes: config.maxResponseBytes,
      allowInsecureHttp: config.allowInsecureHttp,
    });
  } catch (err) {
    // What failed, for the client; the endpoint's URL stays in `cause` (remote/failure.ts).
    throw temporarilyUnavailable(`introspection unavailable: ${failurePhrase(err)}`, 1, err);
  }
  if (response.status === 401 || response.status === 403) {
    onCredentialsRefused(response.status);
    throw temporarilyUnavailable(`introspection endpoint refused the guard's credentials (${response.status})`, 1);
  }
  if (response.status !== 200) {
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
    throw temporarilyUnavailable(`introspection endpoint answered ${response.status}`, retryAfter ?? 1);
  }
  const body = parseJsonObject(response.body);
  if (body === undefined || typeof body.active !== 'boolean') {
    throw temporarilyUnavailable('introspection endpoint did not answer with a JSON object with boolean "active"', 1);
  }
  if (nestedDeeperThan(body, MAX_RESPONSE_DEPTH)) {
    throw temporarilyUnavailable(`introspection response nested deeper than ${MAX_RESPONSE_DEPTH} levels`, 1);
  }
  return body as IntrospectionResponse;
}

/** The request body and client authentication (RFC 7662 §2.1, RFC 6749 §2.3.1). */
function encode(token: string, o: IntrospectionConfig): { headers: Record<string, string>; body: string } {
  const fields: Record<string, string> = { token };
  if (o.encoding === 'form') fields.token_type_hint = 'access_token';
  const headers: Record<string, string> = {};
  switch (o.auth) {
    case 'client_secret_basic':
      headers.authorization = `Basic ${Buffer.from(`${formEncode(o.clientId!)}:${formEncode(o.clientSecret!)}`).toString('base64')}`;
      break;
    case 'client_secret_post':
      fields.client_id = o.clientId!;
      fields.client_secret = o.clientSecret!;
      break;
    case 'bearer':
      headers.authorization = `Bearer ${o.bearerToken!}`;
      break;
    case 'none':
      break;
  }
  if (o.encoding === 'json') {
    headers['content-type'] = 'application/json';
    return { headers, body: JSON.stringify(fields) };
  }
  headers['content-type'] = 'application/x-www-form-urlencoded';
  return { headers, body: new URLSearchParams(fields).toString() };
}

/**
 * Deepest nesting of an introspection response the guard keeps. Caching measures a response
 * with `JSON.stringify` and `AuthInfo` freezes it recursively: a response nested 100,000 deep
 * (a few hundred KiB) would overflow the stack there and crash the request.
 */
const MAX_RESPONSE_DEPTH = 64;

function nestedDeeperThan(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth === 0) return true;
  for (const child of Object.values(value)) if (nestedDeeperThan(child, depth - 1)) return true;
  return false;
}

/** RFC 6749 §2.3.1: client id and secret are form-url-encoded before Basic encoding. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}
