/**
 * Type-level tests of the options contract, checked by `npm run typecheck`: whom a guard's
 * tokens must be for (`audience`, `clientIds`, or both), and the option-name lists the strict
 * check is driven by, which must name every option of their type and nothing else.
 */
import { createGuard, type GuardOptions } from '../../src/index.js';
import { optionNames } from '../../src/errors/unknown-option.js';

export const byAudience: GuardOptions = { issuer: 'https://a.example.com', audience: 'https://api.example.com' };
export const byClient: GuardOptions = { issuer: 'https://a.example.com', clientIds: ['app'] };
export const byBoth: GuardOptions = { issuer: 'https://a.example.com', audience: 'account', clientIds: 'app' };
export const cognito = createGuard({ issuer: 'https://a.example.com', clientIds: '1example23456789' });

// @ts-expect-error neither audience nor clientIds: a guard must say whom tokens are for
export const neither: GuardOptions = { issuer: 'https://a.example.com', resource: 'https://api.example.com' };

// @ts-expect-error clientIds are strings
export const numericClient: GuardOptions = { issuer: 'https://a.example.com', clientIds: [42] };

interface Sample {
  a?: number;
  b: string;
}
export const complete = optionNames<Sample>({ a: true, b: true });
// @ts-expect-error a list that forgets an option does not compile
export const forgetful = optionNames<Sample>({ a: true });
// @ts-expect-error nor one that names an option the type does not have
export const inventive = optionNames<Sample>({ a: true, b: true, c: true });
