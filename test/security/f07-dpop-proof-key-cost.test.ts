/**
 * Finding 7: a DPoP proof key is chosen by the client, and an RSA key with a huge public
 * exponent (or a huge modulus) costs milliseconds of CPU per verification; since a refused
 * request does not spend its `jti`, one such proof could be replayed cheaply to burn CPU.
 * Now the key is refused before anything is verified: RSA only with `e` = 65537 and a
 * 2048–4096-bit modulus, EC and OKP keys only on the curve their algorithm names.
 *
 * No test measures time: a refusal that names the key (not "signature invalid") for a proof
 * whose signature is garbage shows that the signature was never checked.
 */
import { constants, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { ath, dpopKey, proof, type DpopKey } from '../dpop/support.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';
import { flavours } from '../support/guard-app.js';
import { challengesOf, listen, outcome, type Listening } from './support.js';

const audience = 'https://api.example.com';
let fault: FaultServer;
beforeAll(async () => {
  fault = await startFaultServer({ audience });
});
afterAll(() => fault?.close());

/** A client key the test signs with itself (node:crypto), with its public JWK. */
interface ClientKey {
  alg: string;
  privateKey: KeyObject;
  publicJwk: JWK;
}

const generated = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();
/** An RSA key for `alg`; one per size and exponent for the whole file (4096 bits takes a second). */
function rsaKey(modulusLength: number, publicExponent: number, alg = 'PS256'): ClientKey {
  const id = `${modulusLength}/${publicExponent}`;
  if (!generated.has(id)) generated.set(id, generateKeyPairSync('rsa', { modulusLength, publicExponent }));
  const { privateKey, publicKey } = generated.get(id)!;
  return { alg, privateKey, publicJwk: publicKey.export({ format: 'jwk' }) as JWK };
}

const b64u = (bytes: Buffer) => bytes.toString('base64url');
/** An odd number of `bits` bits with the top bit set. */
const bigOdd = (bits: number) => {
  const bytes = randomBytes(bits / 8);
  bytes[0]! |= 0x80;
  bytes[bytes.length - 1]! |= 1;
  return bytes;
};

describe.each(flavours)('$name', (flavour) => {
  let api: Listening;
  beforeAll(async () => {
    const guard = createGuard({ issuer: fault.issuer, audience });
    const app = flavour.create();
    app.get('/api/data', guard.authenticate(), (req, res) => {
      res.json({ scheme: req.auth?.scheme });
    });
    api = await listen(app);
  });
  afterAll(() => api?.close());

  /** A proof signed by `key`, for a token bound to it; `signature` replaces the real one. */
  async function send(key: ClientKey, signature?: string) {
    const token = fault.mintJwt({ claims: { cnf: { jkt: await calculateJwkThumbprint(key.publicJwk) } } });
    const claims = { htm: 'GET', htu: `${api.origin}/api/data`, iat: Math.floor(Date.now() / 1000), jti: b64u(randomBytes(12)), ath: ath(token) };
    const header = { alg: key.alg, typ: 'dpop+jwt', jwk: key.publicJwk };
    const json = (value: unknown) => b64u(Buffer.from(JSON.stringify(value)));
    const input = `${json(header)}.${json(claims)}`;
    const dpop = `${input}.${signature ?? rsaSign(key, input)}`;
    const res = await fetch(`${api.origin}/api/data`, { headers: { authorization: `DPoP ${token}`, dpop } });
    const reply = { status: res.status, headers: Object.fromEntries(res.headers) };
    return { outcome: outcome(reply), description: challengesOf(reply).find((c) => c.params.error)?.params.error_description };
  }

  it.each([
    ['a public exponent of 3', () => rsaKey(2048, 3), /exponent/],
    ['a public exponent of 2^31 - 1', () => rsaKey(2048, 0x7fffffff), /exponent/],
    ['a 1024-bit modulus', () => rsaKey(1024, 65537), /2048.4096/],
    ['a 1024-bit modulus with RS256', () => rsaKey(1024, 65537, 'RS256'), /2048.4096/],
  ])('a valid proof by an RSA key with %s is refused (it was accepted)', async (_name, make, reason) => {
    const { outcome: result, description } = await send(make());
    expect(result).toEqual([401, 'invalid_dpop_proof']);
    expect(description).toMatch(reason);
  });

  it('the attack: a 3072-bit exponent is refused before its (garbage) signature is ever checked', async () => {
    const signer = rsaKey(2048, 65537);
    const key: ClientKey = { ...signer, publicJwk: { kty: 'RSA', n: b64u(bigOdd(3072)), e: b64u(bigOdd(3072)) } };
    for (let i = 0; i < 3; i++) {
      const { outcome: result, description } = await send(key, b64u(randomBytes(384)));
      expect(result).toEqual([401, 'invalid_dpop_proof']);
      expect(description).toMatch(/exponent/);
    }
  });

  it('so is a modulus past 4096 bits, and one with an extra leading zero octet counts its real size', async () => {
    const signer = rsaKey(2048, 65537);
    const huge: ClientKey = { ...signer, publicJwk: { kty: 'RSA', n: b64u(bigOdd(8192)), e: 'AQAB' } };
    const result = await send(huge, b64u(randomBytes(1024)));
    expect(result.outcome).toEqual([401, 'invalid_dpop_proof']);
    expect(result.description).toMatch(/2048.4096/);
    // e = 65537 spelt with a leading zero octet is not the usual exponent either.
    const padded: ClientKey = { ...signer, publicJwk: { ...signer.publicJwk, e: 'AAEAAQ' } };
    expect((await send(padded)).description).toMatch(/exponent/);
  });

  it.each([
    ['ES256 with a P-384 key', () => ({ alg: 'ES256', ...ecKey('P-384') })],
    ['ES256 with a secp256k1 key', () => ({ alg: 'ES256', ...ecKey('secp256k1') })],
    ['ES384 with a P-256 key', () => ({ alg: 'ES384', ...ecKey('P-256') })],
    ['EdDSA with an Ed448 key', () => ({ alg: 'EdDSA', ...okpKey('ed448') })],
    ['ES256 with an RSA key', () => ({ ...rsaKey(2048, 65537), alg: 'ES256' })],
  ])('%s is refused before verifying', async (_name, make) => {
    const key = make();
    const { outcome: result, description } = await send(key, b64u(randomBytes(64)));
    expect(result).toEqual([401, 'invalid_dpop_proof']);
    expect(description).not.toMatch(/signature/);
  });

  it.each([
    ['RSA 2048, e = 65537 (PS256)', () => rsaKey(2048, 65537)],
    ['RSA 4096, e = 65537 (RS256)', () => rsaKey(4096, 65537, 'RS256')],
  ])('the keys clients use still pass: %s', async (_name, make) => {
    expect((await send(make())).outcome).toEqual([200, undefined]);
  });

  it.each(['ES256', 'ES384', 'EdDSA', 'Ed25519'] as const)('the keys clients use still pass: %s', async (alg) => {
    const key: DpopKey = await dpopKey(alg);
    const token = fault.mintJwt({ claims: { cnf: { jkt: key.jkt } } });
    const dpop = await proof(key, { htm: 'GET', htu: `${api.origin}/api/data`, token });
    expect((await fetch(`${api.origin}/api/data`, { headers: { authorization: `DPoP ${token}`, dpop } })).status).toBe(200);
  });
});

/**
 * RS256/PS256 with node:crypto directly: jose refuses to sign with keys under 2048 bits,
 * which is what these tests need.
 */
function rsaSign(key: ClientKey, input: string): string {
  const padding = key.alg.startsWith('PS')
    ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : { padding: constants.RSA_PKCS1_PADDING };
  return b64u(sign('sha256', Buffer.from(input), { key: key.privateKey, ...padding }));
}

function ecKey(namedCurve: string): { privateKey: KeyObject; publicJwk: JWK } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
  return { privateKey, publicJwk: publicKey.export({ format: 'jwk' }) as JWK };
}

function okpKey(type: 'ed448'): { privateKey: KeyObject; publicJwk: JWK } {
  const { privateKey, publicKey } = generateKeyPairSync(type);
  return { privateKey, publicJwk: publicKey.export({ format: 'jwk' }) as JWK };
}
