import { describe, expect, it } from 'vitest';
import { checkOptionNames, closestName, optionNames } from '../../../src/errors/unknown-option.js';

const known = ['issuer', 'audience', 'clientIds', 'clockTolerance', 'jwksUri', 'maxStale', 'maxTokenAge'];

describe('closestName', () => {
  const table: Array<[string, string | undefined]> = [
    ['clockTolerence', 'clockTolerance'], // one substitution
    ['clokcTolerance', 'clockTolerance'], // two neighbours swapped: one edit
    ['JWKSURI', 'jwksUri'], // case does not count
    ['jwks_uri', 'jwksUri'], // one deletion
    ['client_ids', 'clientIds'],
    ['aud', 'audience'], // a prefix
    ['issuerUrl', 'issuer'], // the other way round
    ['maxStal', 'maxStale'],
    ['tenant', undefined], // nothing close
    ['x', undefined],
  ];
  it.each(table)('%s → %s', (key, expected) => {
    expect(closestName(key, known)).toBe(expected);
  });

  it('ties go to the name listed first', () => {
    expect(closestName('maxAge', ['maxAges', 'maxAgo'])).toBe('maxAges');
  });
});

describe('checkOptionNames', () => {
  it('passes known keys and names the first unknown one with its path', () => {
    expect(() => checkOptionNames({ issuer: 1, audience: 2 }, known, 'f()')).not.toThrow();
    expect(() => checkOptionNames({ issuer: 1, isuer: 2 }, known, 'f()', 'nested.')).toThrow(
      new TypeError('f(): unknown option "nested.isuer"; did you mean "nested.issuer"?'),
    );
  });

  it('optionNames lists the record\'s keys, frozen', () => {
    const names = optionNames<{ a?: number; b: string }>({ a: true, b: true });
    expect(names).toEqual(['a', 'b']);
    expect(Object.isFrozen(names)).toBe(true);
  });
});
