/**
 * Scopes: parsed once from the token's claims, checked by two tiny predicates.
 *
 * @see [RFC 6749 §3.3 - Access Token Scope](https://www.rfc-editor.org/rfc/rfc6749#section-3.3)
 * @see [RFC 9068 §2.2.3 - Authorization Claims](https://www.rfc-editor.org/rfc/rfc9068#section-2.2.3)
 */

/** Claims read for scopes by default: `scope` (space-delimited) and `scp` (array or string). */
export const DEFAULT_SCOPE_CLAIMS = Object.freeze(['scope', 'scp']);

/**
 * The scopes granted by `claims`, from each of `scopeClaims` in order; a claim may be a
 * space-delimited string or an array of strings. Duplicates removed, order kept.
 */
export function parseScopes(
  claims: Record<string, unknown>,
  scopeClaims: readonly string[] = DEFAULT_SCOPE_CLAIMS,
): string[] {
  const scopes = new Set<string>();
  for (const name of scopeClaims) {
    const value = claims[name];
    const items = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : [];
    for (const item of items) {
      if (typeof item === 'string' && item.length > 0) scopes.add(item);
    }
  }
  return [...scopes];
}

/** True when every one of `needed` is granted. */
export function hasAllScopes(granted: readonly string[], needed: readonly string[]): boolean {
  // Indexed loops, not closures or iterators: every request of a route runs this.
  for (let i = 0; i < needed.length; i++) if (!granted.includes(needed[i]!)) return false;
  return true;
}

/** True when at least one of `needed` is granted. */
export function hasAnyScope(granted: readonly string[], needed: readonly string[]): boolean {
  for (let i = 0; i < needed.length; i++) if (granted.includes(needed[i]!)) return true;
  return false;
}

/** Validates scope names given to `requireScopes`/`requireAnyScope` (RFC 6749 §3.3 scope-token). */
export function checkScopeNames(scopes: readonly string[], method: string): readonly string[] {
  if (scopes.length === 0) throw new TypeError(`${method}() needs at least one scope`);
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)) {
      throw new TypeError(`${method}(): ${JSON.stringify(scope)} is not a valid scope (RFC 6749 §3.3)`);
    }
  }
  return Object.freeze([...new Set(scopes)]);
}
