/**
 * The URL a request addressed, built in one place from validated parts, for the checks that
 * compare it with what a token or proof names: a DPoP proof's `htu` (RFC 9449 §4.3) and an
 * `audience: 'request-url'` resource (RFC 8707). Framework-free: it takes the scheme, the
 * authority and the request target as strings.
 *
 * Why so strict: the router routes the *raw* path, while a WHATWG `URL` turns `\` into `/`,
 * resolves `.`/`..` (also spelled `%2e`), drops tabs and newlines, and takes anything after a
 * `/`, `?` or `#` in a Host for a path, query or fragment. Comparing such a parsed URL with a
 * token would authorize one path and route another. So nothing is ever resolved before a
 * comparison: an authority that is not a plain `host[:port]`, and a path with a backslash, a
 * control character or a dot segment (in any spelling), are refused outright (400
 * `invalid_request` for a request; "no URL" for an `aud` or `htu` value). Encoded slashes and
 * backslashes (`%2F`, `%5C`) are compared as sent, never decoded, exactly as the router sees them.
 *
 * @see [RFC 9112 §3.3 - Reconstructing the Target URI](https://www.rfc-editor.org/rfc/rfc9112#section-3.3)
 * @see [RFC 3986 §3.2.2 - Host](https://www.rfc-editor.org/rfc/rfc3986#section-3.2.2)
 */
import { invalidRequest } from '../errors/factories.js';

/** What a request says about the URL it addressed, as read from it: unvalidated strings. */
export interface RequestUrlParts {
  /** The scheme: the connection's, or the one a trusted proxy forwarded. */
  readonly protocol: string;
  /** The authority: `Host`, or the one a trusted proxy forwarded; `undefined` when absent. */
  readonly host: string | undefined;
  /** The request target as received: origin-form (`/path?query`) or absolute-form. */
  readonly target: string;
}

/** The URL a request addressed, without query or fragment. */
export interface RequestUrl {
  /** `scheme://host[:port]`: lower case, default port dropped. */
  readonly origin: string;
  /** The path exactly as the client sent it (never decoded or resolved). */
  readonly path: string;
  /** `origin` + `path`. */
  readonly href: string;
}

/**
 * RFC 3986 `host [":" port]`, narrowed to what a real authority looks like: an IP literal in
 * brackets, or a name of unreserved characters (no percent-encoding, no sub-delimiters).
 */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::[0-9]{1,5})?$/;
/** Characters a WHATWG parser drops or rewrites in a path: `\`, C0 controls, space, DEL. */
const REWRITTEN = /[\\\x00-\x20\x7f]/;
/** `scheme://authority path`, the raw parts of an absolute URL (absolute-form targets, `aud`, `htu`). */
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/;

/**
 * The URL a request addressed. With `publicBaseUrl` (the API's public URL, from the options)
 * that base plus the request's path; otherwise the scheme and authority of `parts`. An
 * absolute-form target (RFC 9112 §3.2.2) is accepted when it names that same origin, since a
 * client must not pick an origin the Host and proxy rules would not give it.
 *
 * Throws 400 `invalid_request` when the authority is not a valid `host[:port]`, the scheme is
 * not http(s), or the path could be read as another one.
 */
export function requestUrlOf(parts: RequestUrlParts, publicBaseUrl?: URL): RequestUrl {
  const { named, path } = splitTarget(parts.target);
  if (ambiguousPath(path)) throw invalidRequest('request path holds a backslash, a control character or a dot segment');
  if (publicBaseUrl !== undefined) {
    return urlOf(publicBaseUrl.origin, `${publicBaseUrl.pathname.replace(/\/+$/, '')}${path}`);
  }
  const origin = originOf(parts.protocol, parts.host);
  if (named !== undefined && originOf(named.scheme, named.authority) !== origin) {
    throw invalidRequest('request target names another origin than Host');
  }
  return urlOf(origin, path);
}

/**
 * `scheme://host[:port]` from a scheme and an authority as a request carries them; throws 400
 * `invalid_request` unless the scheme is http(s) and the authority a valid `host[:port]`.
 */
export function originOf(protocol: string, host: string | undefined): string {
  const scheme = protocol.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw invalidRequest('request scheme is not http or https');
  if (host === undefined || host === '') throw invalidRequest('request has no Host');
  if (!AUTHORITY.test(host) || !URL.canParse(`${scheme}://${host}`)) throw invalidRequest('Host is not a valid host[:port]');
  return new URL(`${scheme}://${host}`).origin;
}

/**
 * Whether a path as sent could name another path once parsed: it holds `\`, a control
 * character or space, or a `.`/`..` segment (also as `%2e`, any case).
 */
export function ambiguousPath(path: string): boolean {
  if (REWRITTEN.test(path)) return true;
  for (const segment of path.split('/')) {
    const dots = segment.replace(/%2e/gi, '.');
    if (dots === '.' || dots === '..') return true;
  }
  return false;
}

/**
 * An absolute http(s) URL that a parser takes exactly as written, for `aud` and `htu` values
 * to be compared with a request's URL: `undefined` when it has a character the parser drops
 * or rewrites (anywhere), or a dot segment in its path. Its authority is left to the parser.
 */
export function parseExactUrl(value: string): URL | undefined {
  const parts = ABSOLUTE.exec(value);
  if (parts === null || REWRITTEN.test(value) || ambiguousPath(parts[3]!)) return undefined;
  const scheme = parts[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return undefined;
  return URL.canParse(value) ? new URL(value) : undefined;
}

function splitTarget(target: string): { named?: { scheme: string; authority: string }; path: string } {
  if (target.startsWith('/')) return { path: /^[^?#]*/.exec(target)![0] };
  const absolute = ABSOLUTE.exec(target);
  if (absolute === null) throw invalidRequest('request target is neither a path nor an absolute URL');
  return { named: { scheme: absolute[1]!, authority: absolute[2]! }, path: absolute[3] || '/' };
}

function urlOf(origin: string, path: string): RequestUrl {
  return Object.freeze({ origin, path, href: `${origin}${path}` });
}
