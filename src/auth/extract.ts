/**
 * Reading the bearer token from a request, with RFC 6750's syntax. Framework-free: it
 * takes plain header, query and body records.
 *
 * Only the locations listed in `tokenLocations` are read. A request that uses more than one
 * method, or repeats one, is `invalid_request` (RFC 6750 §2: "MUST NOT use more than one").
 * Another scheme (`Basic`) is "no bearer credentials", not an error; so is `DPoP` unless the
 * caller accepts it (RFC 9449 §7.1: `DPoP` SP token, the same token syntax as `Bearer`).
 *
 * @see [RFC 6750 §2 - Authenticated Requests](https://www.rfc-editor.org/rfc/rfc6750#section-2)
 * @see [RFC 9449 §7.1 - The DPoP Authentication Scheme](https://www.rfc-editor.org/rfc/rfc9449#section-7.1)
 */
import { invalidRequest } from '../errors/factories.js';

/** Where a bearer token may be read from (RFC 6750 §2). */
export type TokenLocation = 'header' | 'body' | 'query';

/** Largest `Authorization` header parsed; a longer one is refused without parsing. */
export const MAX_AUTHORIZATION_LENGTH = 8 * 1024;

/** RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** The parts of a request that can carry a token. */
export interface TokenSource {
  /** Header values; a repeated header as an array (Node's `req.headersDistinct`). */
  headers: Record<string, string | readonly string[] | undefined>;
  method?: string | undefined;
  query?: unknown;
  body?: unknown;
}

/** A token and the scheme it came with; tokens in the body or query are `Bearer`. */
export interface Credentials {
  token: string;
  scheme: 'Bearer' | 'DPoP';
  /**
   * `'body'` or `'query'` when it came from there (absent for the `Authorization` header); a
   * token in the query makes the answer `Cache-Control: private` (RFC 6750 §2.3).
   */
  location?: TokenLocation;
}

/**
 * The bearer token of the request, or `undefined` when it carries none.
 * Throws a 400 `invalid_request` `OAuthError` for malformed or ambiguous credentials.
 */
export function extractToken(
  source: TokenSource,
  locations: ReadonlySet<TokenLocation>,
): string | undefined {
  return extractCredentials(source, locations, false)?.token;
}

/**
 * The request's token and its scheme, or `undefined` when it carries none; `DPoP` counts only
 * with `acceptDpop`. Throws like {@link extractToken}.
 */
export function extractCredentials(
  source: TokenSource,
  locations: ReadonlySet<TokenLocation>,
  acceptDpop: boolean,
): Credentials | undefined {
  const header = locations.has('header') ? fromHeader(source.headers.authorization, acceptDpop) : undefined;
  const body = locations.has('body') ? fromBody(source) : undefined;
  const query = locations.has('query') ? fromQuery(source.query) : undefined;
  const found = (header === undefined ? 0 : 1) + (body === undefined ? 0 : 1) + (query === undefined ? 0 : 1);
  if (found > 1) throw invalidRequest('token sent in more than one way');
  return header ?? bearer(body, 'body') ?? bearer(query, 'query');
}

function fromHeader(value: string | readonly string[] | undefined, acceptDpop: boolean): Credentials | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    if (value.length > 1) throw invalidRequest('more than one Authorization header');
    return fromHeader(value[0], acceptDpop);
  }
  if (value.length > MAX_AUTHORIZATION_LENGTH) throw invalidRequest('Authorization header too large');
  let scheme: Credentials['scheme'] | undefined;
  let credentials: string;
  if (value.startsWith('Bearer ') && value.charCodeAt(7) !== 0x20) {
    // How nearly every client writes it: no lower-cased copy, no search.
    scheme = 'Bearer';
    credentials = value.slice(7);
  } else {
    const space = value.search(/[ \t]/);
    const name = (space === -1 ? value : value.slice(0, space)).toLowerCase();
    scheme = name === 'bearer' ? 'Bearer' : name === 'dpop' && acceptDpop ? 'DPoP' : undefined;
    if (scheme === undefined) return undefined;
    credentials = space === -1 ? '' : value.slice(space + 1).replace(/^ +/, '');
  }
  const kind = scheme === 'Bearer' ? 'bearer' : 'DPoP';
  if (credentials === '') throw invalidRequest(`${kind} token missing after "${scheme}"`);
  if (!B64TOKEN.test(credentials)) {
    // `Authorization: Bearer Bearer eyJ…`: a token file or variable that already held the scheme.
    if (/^(?:bearer|dpop)[ \t]/i.test(credentials)) throw invalidRequest(`malformed ${kind} token: the scheme appears twice`);
    throw invalidRequest(`malformed ${kind} token`);
  }
  return { token: credentials, scheme };
}

function bearer(token: string | undefined, location: TokenLocation): Credentials | undefined {
  return token === undefined ? undefined : { token, scheme: 'Bearer', location };
}

function fromBody(source: TokenSource): string | undefined {
  const body = source.body;
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, 'access_token')) return undefined;
  const contentType = source.headers['content-type'];
  const type = typeof contentType === 'string' ? contentType.split(';')[0]!.trim().toLowerCase() : '';
  // RFC 6750 §2.2: only a form-encoded body carries a token; a JSON field of that name is app data.
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  if (source.method?.toUpperCase() === 'GET') throw invalidRequest('a token in the body cannot be sent with GET');
  return singleValue((body as Record<string, unknown>).access_token, 'body');
}

function fromQuery(query: unknown): string | undefined {
  if (typeof query !== 'object' || query === null || !Object.hasOwn(query, 'access_token')) return undefined;
  return singleValue((query as Record<string, unknown>).access_token, 'query');
}

function singleValue(value: unknown, where: string): string {
  if (typeof value !== 'string') throw invalidRequest(`more than one access_token in the ${where}`);
  if (value.length > MAX_AUTHORIZATION_LENGTH) throw invalidRequest(`access_token in the ${where} too large`);
  if (value === '' || !B64TOKEN.test(value)) throw invalidRequest(`malformed access_token in the ${where}`);
  return value;
}
