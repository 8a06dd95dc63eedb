/**
 * RFC 6750 §2.3: a server's 2xx answer to a request with the token in the URI query
 * "SHOULD contain a Cache-Control header with the private option", so no shared cache keeps
 * an answer keyed by a URL that holds a token. Set on the response as soon as such a token is
 * read, before the handler runs, so the handler's answer carries it (`res.sendFile` adds its
 * `public, max-age=0` only when nothing is set). A handler that sets `Cache-Control` itself
 * has the last word.
 *
 * @see [RFC 6750 §2.3 - URI Query Parameter](https://www.rfc-editor.org/rfc/rfc6750#section-2.3)
 */
import type { Response } from 'express';

/** Makes `res` private to the client: keeps what an earlier middleware set, minus what lets shared caches store it. */
export function keepPrivate(res: Response | undefined): void {
  if (res === undefined || res.headersSent) return;
  res.setHeader('Cache-Control', privateDirectives(res.getHeader('Cache-Control')));
}

/** `existing` with `private` added (unless `private` or `no-store` is there) and `public`/`s-maxage` dropped. */
function privateDirectives(existing: number | string | string[] | undefined): string {
  const directives = (Array.isArray(existing) ? existing.join(',') : String(existing ?? ''))
    .split(',')
    .map((directive) => directive.trim())
    .filter((directive) => directive !== '' && !/^(public|s-maxage=.*)$/i.test(directive));
  if (directives.some((directive) => /^(private|no-store)$/i.test(directive))) return directives.join(', ');
  return ['private', ...directives].join(', ');
}
