/**
 * Which protected resources this API has, so `guard.metadata()` can answer RFC 9728 for each
 * one at its own well-known URL: the guard's `resource`, every http(s) audience a route
 * declares (`authenticate({ audience })`), and the path prefixes of `'request-url'` routes,
 * whose origin comes from the request.
 *
 * Bounds: declared resources and paths are fixed at start-up (one per middleware created).
 * Paths learned from where a `'request-url'` middleware is mounted (parametric mounts such as
 * `/tenants/:id` give one per tenant) keep the most recent {@link MAX_LEARNED_PATHS}.
 *
 * @see [RFC 9728 §3.1 - Protected Resource Metadata Request](https://www.rfc-editor.org/rfc/rfc9728#section-3.1)
 */
import { LRUCache } from 'lru-cache';
import { metadataUrlOf, WELL_KNOWN_SEGMENT } from './metadata.js';

/** Most `'request-url'` paths remembered from requests (not declared with `resourcePath`). */
export const MAX_LEARNED_PATHS = 1000;

export class ResourceRegistry {
  /** Well-known pathname → resource identifiers served there (hosts may differ). */
  readonly #byWellKnownPath = new Map<string, string[]>();
  readonly #declaredPaths = new Set<string>();
  readonly #learnedPaths = new LRUCache<string, true>({ max: MAX_LEARNED_PATHS });

  /** `defaultResource`: the guard's `resource`; none for a guard with `clientIds` alone. */
  constructor(readonly defaultResource: string | undefined) {
    if (defaultResource !== undefined) this.addResource(defaultResource);
  }

  /** A route accepts tokens for `resource` (an http(s) URL; others have no metadata URL). */
  addResource(resource: string): void {
    const pathname = metadataUrlOf(resource)?.pathname;
    if (pathname === undefined) return;
    const list = this.#byWellKnownPath.get(pathname) ?? [];
    if (!list.includes(resource)) list.push(resource);
    this.#byWellKnownPath.set(pathname, list);
  }

  /** A `'request-url'` route serves the resource at `<request origin><path>`. */
  addRequestPath(path: string, learned = false): void {
    if (this.#declaredPaths.has(path)) return;
    if (learned) this.#learnedPaths.set(path, true);
    else this.#declaredPaths.add(path);
  }

  /**
   * The resource whose metadata lives at `pathname` of a request to `origin`, or `undefined`.
   * Preference: a declared resource on the request's host, then a `'request-url'` resource
   * (its origin is the request's), then the guard's own resource, then the first declared.
   */
  resourceAt(pathname: string, origin: string | undefined): string | undefined {
    const declared = this.#byWellKnownPath.get(pathname) ?? [];
    const sameOrigin = declared.find((resource) => origin !== undefined && new URL(resource).origin === origin);
    if (sameOrigin !== undefined) return sameOrigin;
    if (origin !== undefined && (pathname === WELL_KNOWN_SEGMENT || pathname.startsWith(`${WELL_KNOWN_SEGMENT}/`))) {
      const path = pathname.slice(WELL_KNOWN_SEGMENT.length);
      if (this.#declaredPaths.has(path) || this.#learnedPaths.has(path)) return `${origin}${path}`;
    }
    return this.defaultResource !== undefined && declared.includes(this.defaultResource) ? this.defaultResource : declared[0];
  }
}
