/**
 * The bench authorization server's signing keys, kept in `bench/.build/as-keys.json`
 * (git-ignored) from one run to the next, so token pools minted once can be kept on disk too
 * (`tokens.ts`): minting the 100,000-token RS256 pool takes 15–30 s of both cores. The keys
 * sign nothing but bench tokens for 127.0.0.1; delete the file (or `bench/.build/`) for new
 * ones, and every cached pool goes with them (pools are filed under the key set's id).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JWK } from 'jose';

export type BenchAlg = 'RS256' | 'ES256' | 'EdDSA';
export const ALGS: readonly BenchAlg[] = ['RS256', 'ES256', 'EdDSA'];

const KIDS: Record<BenchAlg, string> = { RS256: 'rs-1', ES256: 'es-1', EdDSA: 'ed-1' };

export interface SigningKey {
  alg: BenchAlg;
  kid: string;
  privateKey: KeyObject;
  /** The public key as published in the JWKS. */
  jwk: JWK;
}

export interface KeySet {
  keys: Map<BenchAlg, SigningKey>;
  /** Short hash of the public keys: names the directory of the token pools they signed. */
  id: string;
}

export const BUILD_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '.build');
const KEY_FILE = join(BUILD_DIR, 'as-keys.json');

function generate(alg: BenchAlg): KeyObject {
  if (alg === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return generateKeyPairSync('ed25519').privateKey;
}

function readKeyFile(): Partial<Record<BenchAlg, JsonWebKey>> {
  try {
    return JSON.parse(readFileSync(KEY_FILE, 'utf8')) as Partial<Record<BenchAlg, JsonWebKey>>;
  } catch {
    return {};
  }
}

/** The saved keys, with any missing algorithm generated and saved. */
export function loadKeySet(): KeySet {
  const saved = readKeyFile();
  let changed = false;
  const keys = new Map<BenchAlg, SigningKey>();
  for (const alg of ALGS) {
    let privateKey: KeyObject;
    const jwk = saved[alg];
    if (jwk === undefined) {
      privateKey = generate(alg);
      saved[alg] = privateKey.export({ format: 'jwk' });
      changed = true;
    } else {
      privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    }
    const publicJwk = { ...(createPublicKey(privateKey).export({ format: 'jwk' }) as JWK), kid: KIDS[alg], alg, use: 'sig' };
    keys.set(alg, { alg, kid: KIDS[alg], privateKey, jwk: publicJwk });
  }
  if (changed) {
    mkdirSync(BUILD_DIR, { recursive: true });
    writeFileSync(KEY_FILE, JSON.stringify(saved), { mode: 0o600 });
  }
  const id = createHash('sha256')
    .update(JSON.stringify([...keys.values()].map((k) => k.jwk)))
    .digest('hex')
    .slice(0, 12);
  return { keys, id };
}
