import { describe, expect, it } from 'vitest';
import { checkScopeNames, hasAllScopes, hasAnyScope, parseScopes } from '../../../src/auth/scopes.js';

describe('parseScopes', () => {
  it('reads a space-delimited scope string', () => {
    expect(parseScopes({ scope: 'a b  c' })).toEqual(['a', 'b', 'c']);
  });
  it('reads scp as an array or a string', () => {
    expect(parseScopes({ scp: ['a', 'b'] })).toEqual(['a', 'b']);
    expect(parseScopes({ scp: 'a b' })).toEqual(['a', 'b']);
  });
  it('merges scope and scp, removing duplicates and keeping order', () => {
    expect(parseScopes({ scope: 'a b', scp: ['b', 'c'] })).toEqual(['a', 'b', 'c']);
  });
  it('ignores values of the wrong type', () => {
    expect(parseScopes({ scope: 42, scp: [1, 'x', null] })).toEqual(['x']);
    expect(parseScopes({})).toEqual([]);
  });
});

describe('scope predicates', () => {
  it('all-of and any-of', () => {
    expect(hasAllScopes(['a', 'b'], ['a', 'b'])).toBe(true);
    expect(hasAllScopes(['a'], ['a', 'b'])).toBe(false);
    expect(hasAnyScope(['b'], ['a', 'b'])).toBe(true);
    expect(hasAnyScope([], ['a'])).toBe(false);
  });
  it('rejects invalid scope names at setup', () => {
    expect(() => checkScopeNames([], 'requireScopes')).toThrow(TypeError);
    expect(() => checkScopeNames(['a b'], 'requireScopes')).toThrow(/not a valid scope/);
    expect(() => checkScopeNames(['a"b'], 'requireScopes')).toThrow(TypeError);
    expect(checkScopeNames(['a', 'a', 'b'], 'requireScopes')).toEqual(['a', 'b']);
  });
});
