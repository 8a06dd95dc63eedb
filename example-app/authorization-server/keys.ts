/** Signing keys for the local authorization servers, generated at start, never written to disk. */
import { generateKeyPair, randomUUID } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);

/** Asymmetric JWS algorithms the local servers can sign with. */
export type AsymmetricAlg = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'Ed25519';

export interface SigningKey {
  kid: string;
  alg: AsymmetricAlg;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public JWK as published: `kty`, key material, `kid`, `use: 'sig'`, `alg`. */
  publicJwk: JsonWebKey & { kid: string; use: 'sig'; alg: AsymmetricAlg };
  /** Private JWK (for oidc-provider's `jwks`), same `kid`/`use`/`alg`. */
  privateJwk: JsonWebKey & { kid: string; use: 'sig'; alg: AsymmetricAlg };
}

const EC_CURVES = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as const;

async function keyPair(alg: AsymmetricAlg): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return generate('rsa', { modulusLength: 2048 });
  if (alg === 'ES256' || alg === 'ES384' || alg === 'ES512') return generate('ec', { namedCurve: EC_CURVES[alg] });
  return generate('ed25519');
}

/** A fresh key pair for `alg`, with a random `kid` unless one is given. */
export async function generateSigningKey(alg: AsymmetricAlg, kid: string = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await keyPair(alg);
  const extra = { kid, use: 'sig' as const, alg };
  return {
    kid,
    alg,
    privateKey,
    publicKey,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), ...extra },
    privateJwk: { ...privateKey.export({ format: 'jwk' }), ...extra },
  };
}
