/**
 * The Express side of the framework-free checks: the token source `auth/extract.ts` reads, and the
 * plain request facts `verify/sender.ts` checks, read from `req`. The URL a DPoP proof's `htu` must name is the request's own, as the client
 * addressed it: `publicBaseUrl` plus the path when that option is set, else the protocol and
 * host Express reports, honouring its `trust proxy` setting. The client certificate is the TLS
 * connection's, or the one a peer `trust proxy` trusts forwards in `clientCertificateHeader`.
 */
import type { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import { parseForwardedCertificate } from '../sender/mtls.js';
import { invalidRequest } from '../errors/factories.js';
import { originOf, requestUrlOf, type RequestUrl } from '../auth/request-url.js';
import type { SenderConfig } from '../options/sender.js';
import type { SenderRequest } from '../verify/sender.js';
import type { TokenSource } from '../auth/extract.js';

type TrustProxy = (address: string | undefined, hop: number) => boolean;

/**
 * Where `req` may carry a token, for `extractCredentials`: the request itself (its `query` is
 * read only when the guard looks there: Express 5 parses the query string on every read),
 * unless `Authorization` came twice, which Node folds into the first: then a view whose
 * `authorization` holds every value, so extraction refuses the request.
 */
export function tokenSourceOf(req: Request, repeats = repeatsAuthorization(req)): TokenSource {
  if (!repeats) return req;
  const headers = { ...req.headers, authorization: req.headersDistinct?.authorization };
  return {
    headers,
    method: req.method,
    body: req.body,
    get query() {
      return req.query;
    },
  };
}

/**
 * Whether the client sent `Authorization` more than once: Node keeps only the first in
 * `req.headers`, and RFC 6750 must refuse the request. Counting in `rawHeaders` spares
 * building `headersDistinct` for every request.
 */
export function repeatsAuthorization(req: Request): boolean {
  return req.headers.authorization !== undefined && sentTwice(req, 'authorization', 'Authorization');
}

/**
 * Whether header `name` (lower case; `usual`, its common spelling) came more than once, read
 * off `rawHeaders`. The usual spellings are compared without a lower-cased copy: this runs on
 * every request.
 */
function sentTwice(req: Request, name: string, usual: string): boolean {
  const raw = req.rawHeaders;
  if (raw === undefined) return false;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const sent = raw[i]!;
    if (sent.length === name.length && (sent === usual || sent === name || sent.toLowerCase() === name) && ++count > 1) return true;
  }
  return false;
}

/** The facts of `req` for `authenticateSender`; each is read only when a check needs it. */
export function senderRequestOf(req: Request, config: SenderConfig): SenderRequest {
  return {
    method: req.method,
    get url() {
      return requestUrl(req, config.publicBaseUrl).href;
    },
    get dpop() {
      return headerValues(req, 'dpop');
    },
    get certificate() {
      return clientCertificate(req, config);
    },
  };
}

/**
 * The URL `req` addressed (no query): what a DPoP proof's `htu` and an `audience:
 * 'request-url'` resource are compared with. Built by `auth/request-url.ts` from validated
 * parts; throws 400 `invalid_request` for a malformed or repeated Host, a scheme that is not
 * http(s), an absolute-form target naming another origin, or a path that could be read as
 * another one.
 */
export function requestUrl(req: Request, publicBaseUrl: URL | undefined): RequestUrl {
  if (publicBaseUrl === undefined && sentTwice(req, 'host', 'Host')) throw invalidRequest('more than one Host header');
  return requestUrlOf({ protocol: req.protocol, host: forwardedHost(req), target: req.originalUrl ?? req.url }, publicBaseUrl);
}

/** `scheme://host[:port]` as the client addressed it, or `undefined` when the request names none validly. */
export function requestOrigin(req: Request): string | undefined {
  try {
    return originOf(req.protocol, forwardedHost(req));
  } catch {
    return undefined;
  }
}

/**
 * The authority as the client addressed it: `X-Forwarded-Host` only from a peer that `trust
 * proxy` trusts (Express 5's `req.host` rule, which Express 4 lacks), else `Host`.
 * `req.protocol` already follows `X-Forwarded-Proto` under the same rule.
 */
function forwardedHost(req: Request): string | undefined {
  const trust = req.app?.get('trust proxy fn') as TrustProxy | undefined;
  const forwarded = req.get('x-forwarded-host');
  if (!forwarded || trust === undefined || !trust(req.socket?.remoteAddress, 0)) return req.get('host');
  return forwarded.split(',')[0]!.trim();
}

function headerValues(req: Request, name: string): readonly string[] {
  const distinct = req.headersDistinct?.[name];
  if (distinct !== undefined) return distinct;
  const value = req.headers[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/**
 * DER of the client certificate: the TLS connection's own when it has one, else the one in
 * `header` (exactly one such header), but only from a peer that Express's `trust proxy`
 * trusts, as Express reads `X-Forwarded-*`: a client that reaches the app directly must not
 * name a certificate. With `trust proxy` unset the header is ignored, with a warning once.
 */
function clientCertificate(req: Request, config: SenderConfig): Uint8Array | undefined {
  const socket = req.socket as Partial<TLSSocket> | undefined;
  if (socket?.encrypted === true && typeof socket.getPeerCertificate === 'function') {
    const raw = socket.getPeerCertificate(false)?.raw;
    if (raw !== undefined && raw.length > 0) return raw;
  }
  const header = config.clientCertificateHeader;
  if (header === undefined) return undefined;
  const values = headerValues(req, header);
  if (values.length === 0) return undefined;
  const trust = req.app?.get('trust proxy fn') as TrustProxy | undefined;
  if (trust === undefined || !trust(req.socket?.remoteAddress, 0)) {
    if (!req.app?.get('trust proxy')) warnUntrustedHeader(config);
    return undefined;
  }
  return values.length === 1 ? parseForwardedCertificate(values[0]!) : undefined;
}

const warned = new WeakSet<SenderConfig>();

/** Once per guard: the header is set but no peer is trusted to send it. */
function warnUntrustedHeader(config: SenderConfig): void {
  if (warned.has(config)) return;
  warned.add(config);
  process.emitWarning(
    `resource-guard: clientCertificateHeader "${config.clientCertificateHeader}" is ignored because Express's "trust proxy" is not set, ` +
      "so a client could name any certificate. Set app.set('trust proxy', …) to your TLS-terminating proxy's address.",
    { code: 'RESOURCE_GUARD_UNTRUSTED_CERTIFICATE_HEADER' },
  );
}
