/**
 * Refusals that cannot change are remembered (a replayed forgery skips the signature check);
 * time-dependent ones are not.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeOptions } from '../../../src/options/normalize.js';
import { TokenVerifier } from '../../../src/verify/verifier.js';
import { startTelnyxServer, type TelnyxServer } from '../../support/telnyx-server.js';

let as: TelnyxServer;
beforeAll(async () => {
  as = await startTelnyxServer();
});
afterAll(() => as.close());

const verifierFor = () => new TokenVerifier(normalizeOptions({ issuer: as.apiBase, audience: 'https://api.example.com' }), {});
const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => (e as { status: number; description: string }));

describe('refusal cache', () => {
  it('a forged signature is refused again from memory, with the same answer', async () => {
    const v = verifierFor();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = as.mintJwt({ key: privateKey, kid: as.keys.current('RS256').kid });
    const first = await refusal(v.verify(forged));
    expect(v.refusals?.size).toBe(1);
    const again = await refusal(v.verify(forged));
    expect({ status: again?.status, description: again?.description }).toEqual({ status: 401, description: first?.description });
    expect(first?.description).toBe('invalid signature');
  });

  it('time-dependent refusals (exp, nbf) and undecided tokens are not remembered', async () => {
    const v = verifierFor();
    await refusal(v.verify(as.mintJwt({ expiresIn: -60 })));
    await refusal(v.verify(as.mintJwt({ claims: { nbf: Math.floor(Date.now() / 1000) + 600 } })));
    await refusal(v.verify(as.mintJwt({ kid: 'unknown' })));
    expect(v.refusals?.size).toBe(0);
  });

  it('a valid token is never in it', async () => {
    const v = verifierFor();
    await v.verify(as.mintJwt());
    expect(v.refusals?.size).toBe(0);
  });
});
