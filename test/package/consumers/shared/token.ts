/**
 * The consumer projects' authorization server stand-in: HS256 access tokens signed with a
 * shared secret, so a guard verifies them with no server to fetch keys from.
 */
import { createHmac } from 'node:crypto';

export const issuer = 'https://auth.example.com';
export const audience = 'https://api.example.com';
export const hmacSecret = 'a consumer project secret of 32+ bytes';

export function hs256(claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'at+jwt' })}.${part({ iss: issuer, aud: audience, iat: now, exp: now + 300, ...claims })}`;
  return `${input}.${createHmac('sha256', hmacSecret).update(input).digest('base64url')}`;
}
