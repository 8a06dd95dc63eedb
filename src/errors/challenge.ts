/**
 * Rendering `WWW-Authenticate` (RFC 6750 §3, RFC 9449 §7.1) and the other headers of an
 * `OAuthError`: one challenge per accepted scheme on a 401, the request's own on 400/403,
 * `Retry-After` on 503. Rendered headers are kept per context and error shape, since the
 * same refusal tends to come in floods.
 *
 * @see [RFC 7235 §2.1 - Challenge and Response](https://www.rfc-editor.org/rfc/rfc7235#section-2.1)
 */

/** The authentication schemes a challenge can name: RFC 6750 `Bearer`, RFC 9449 `DPoP`. */
export type AuthScheme = 'Bearer' | 'DPoP';

/** Auth-params of one challenge, in the order they are rendered. `undefined` is left out. */
export interface ChallengeParams {
  error?: string | undefined;
  error_description?: string | undefined;
  scope?: string | undefined;
  realm?: string | undefined;
  resource_metadata?: string | undefined;
  [param: string]: string | number | undefined;
}

/** What the guard knows about this API when it renders a challenge. */
export interface RenderContext {
  realm?: string | undefined;
  resourceMetadata?: string | undefined;
  /**
   * Schemes the route accepts, in challenge order (`Bearer` first). A 401 carries one
   * challenge per scheme (RFC 9449 §7.1); 400 and 403 only the request's. Default: `Bearer`.
   */
  schemes?: readonly AuthScheme[] | undefined;
  /** `algs` of the `DPoP` challenge: the accepted proof algorithms, space-separated. */
  dpopAlgs?: string | undefined;
  /** The scheme the request used: its challenge carries the error. Default: the first of `schemes`. */
  scheme?: AuthScheme | undefined;
}

/** What rendering reads of an error: its status, its challenge and its extra headers. */
export interface Renderable {
  readonly status: number;
  readonly scheme: AuthScheme | undefined;
  readonly challenge: ChallengeParams;
  readonly extraHeaders: Readonly<Record<string, string>> | undefined;
  readonly retryAfter: number | undefined;
}

/** The context of an error no layer has placed yet. */
export const NO_CONTEXT: RenderContext = Object.freeze({});

/**
 * Rendered headers by context and error shape. A flood of the same refusal is the common
 * case worth serving fast, and rendering was most of its cost. Bounded per context (a
 * context lives as long as its route); errors with per-answer headers are not kept.
 */
const RENDERED = new WeakMap<RenderContext, Map<string, Readonly<Record<string, string>>>>();
const RENDERED_PER_CONTEXT = 64;

/** The headers `err` answers with in `context` (a copy: a handler may add to `err.headers`). */
export function headersFor(err: Renderable, context: RenderContext): Record<string, string> {
  if (err.extraHeaders !== undefined || err.status === 503) return renderHeaders(err, context);
  let rendered = RENDERED.get(context);
  if (rendered === undefined) RENDERED.set(context, (rendered = new Map()));
  const key = `${err.status} ${err.scheme ?? ''} ${JSON.stringify(err.challenge)}`;
  let headers = rendered.get(key);
  if (headers === undefined) {
    if (rendered.size >= RENDERED_PER_CONTEXT) rendered.clear();
    rendered.set(key, (headers = Object.freeze(renderHeaders(err, context))));
  }
  // A copy: a handler may add to `err.headers`.
  return { ...headers };
}

function renderHeaders(err: Renderable, context: RenderContext): Record<string, string> {
  const headers: Record<string, string> = {};
  if (err.status === 401 || err.status === 403 || err.status === 400) {
    const accepted = context.schemes ?? ['Bearer'];
    const own = err.scheme ?? context.scheme ?? accepted[0] ?? 'Bearer';
    // RFC 9449 §7.1: a 401 names every accepted scheme, Bearer first; 400/403 answer the one used.
    const schemes = err.status === 401 ? (['Bearer', 'DPoP'] as const).filter((s) => s === own || accepted.includes(s)) : [own];
    headers['WWW-Authenticate'] = schemes
      .map((scheme) =>
        renderChallenge(scheme, {
          ...(scheme === own ? err.challenge : {}),
          algs: scheme === 'DPoP' ? context.dpopAlgs : undefined,
          realm: context.realm,
          resource_metadata: context.resourceMetadata,
        }),
      )
      .join(', ');
  }
  if (err.extraHeaders !== undefined) Object.assign(headers, err.extraHeaders);
  if (err.status === 503) {
    headers['Retry-After'] = String(Math.max(1, Math.ceil(err.retryAfter ?? 1)));
  }
  return headers;
}

/**
 * Renders one challenge (RFC 7235 §2.1). The only place that quotes: `\` and `"` are
 * escaped, characters RFC 6750 §3 does not allow in a quoted value are dropped, and
 * parameters without a value are left out.
 */
export function renderChallenge(scheme: string, params: ChallengeParams): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    parts.push(typeof value === 'number' ? `${name}=${value}` : `${name}="${quote(value)}"`);
  }
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
}

function quote(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '').replace(/[\\"]/g, '\\$&');
}

