/**
 * DPoP clients for the tests: real key pairs (jose `generateKeyPair`), proofs signed with
 * jose `SignJWT` exactly as RFC 9449 §4.2 lays them out, and ways to break each part.
 */
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type supertest from 'supertest';
import { expect } from 'vitest';
import { parseChallenges, type Challenge } from '../support/challenge.js';

export type ProofAlg = 'ES256' | 'EdDSA' | 'Ed25519' | 'PS256' | 'RS256' | 'ES384';

/** A client's DPoP key. */
export interface DpopKey {
  alg: ProofAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
  privateJwk: JWK;
  /** RFC 7638 thumbprint: the token's `cnf.jkt`. */
  jkt: string;
}

export async function dpopKey(alg: ProofAlg = 'ES256'): Promise<DpopKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, privateJwk: await exportJWK(privateKey), jkt: await calculateJwkThumbprint(publicJwk) };
}

export interface ProofOptions {
  htm: string;
  htu: string;
  /** The access token; its hash becomes `ath`. Left out for token requests. */
  token?: string;
  /** Seconds since the epoch. Default: now. */
  iat?: number;
  jti?: string;
  nonce?: string;
  /** Header members to add or override (`undefined` removes one). */
  header?: Record<string, unknown>;
  /** Claims to add or override (`undefined` removes one). */
  claims?: Record<string, unknown>;
}

export const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

/** A DPoP proof JWT signed with `key`. */
export async function proof(key: DpopKey, options: ProofOptions): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm,
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
  };
  if (options.token !== undefined) claims.ath = ath(options.token);
  if (options.nonce !== undefined) claims.nonce = options.nonce;
  Object.assign(claims, options.claims);
  const header: Record<string, unknown> = { alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk, ...options.header };
  return new SignJWT(dropUndefined(claims)).setProtectedHeader(dropUndefined(header) as { alg: string }).sign(key.privateKey);
}

/** An unsigned proof (`alg: none`), or one with any header, signed by nothing real. */
export function unsignedProof(header: Record<string, unknown>, claims: Record<string, unknown>, signature = ''): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part(header)}.${part(claims)}.${signature}`;
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

/** The challenges of a response, in order. */
export function challengesOf(res: supertest.Response | { headers: Record<string, unknown> }): Challenge[] {
  const header = res.headers['www-authenticate'];
  return typeof header === 'string' ? parseChallenges(header) : [];
}

/**
 * Asserts a 401 whose `DPoP` challenge carries `error` (and `algs`), optionally with a
 * description, and that a `Bearer` challenge (without error) precedes it when the route
 * also takes bearer tokens.
 */
export function expectDpopFailure(
  res: supertest.Response,
  error: string,
  description?: RegExp,
  { bearerToo = true }: { bearerToo?: boolean } = {},
): Challenge {
  expect({ status: res.status, text: res.status === 401 ? '' : res.text }).toEqual({ status: 401, text: '' });
  const challenges = challengesOf(res);
  expect(challenges.map((c) => c.scheme)).toEqual(bearerToo ? ['Bearer', 'DPoP'] : ['DPoP']);
  if (bearerToo) expect(challenges[0]!.params.error).toBeUndefined();
  const dpop = challenges.at(-1)!;
  expect(dpop.params.error).toBe(error);
  expect(dpop.params.algs).toMatch(/\bES256\b/);
  expect(dpop.params.resource_metadata).toMatch(/\/\.well-known\/oauth-protected-resource/);
  if (description !== undefined) expect(dpop.params.error_description).toMatch(description);
  return dpop;
}
