/**
 * Type-level tests for sender-constrained tokens, checked by `npm run typecheck`: the DPoP and
 * mTLS options, `authenticate({ dpop })`, `req.auth.scheme` and `req.auth.confirmation`.
 * Lines marked `@ts-expect-error` must fail to compile.
 */
import express from 'express';
import { createGuard, type AuthInfo, type DpopMode, type GuardOptions, type VerifyRequest } from '../../src/index.js';

const guard = createGuard({ issuer: 'https://auth.example.com', audience: 'https://api.example.com', dpop: 'allowed' });
const app = express();

app.get('/payments', guard.authenticate({ dpop: 'required' }), (req, res) => {
  const scheme: 'Bearer' | 'DPoP' | undefined = req.auth?.scheme;
  const jkt: string | undefined = req.auth?.confirmation.jkt;
  const x5t: string | undefined = req.auth?.confirmation.x5t;
  res.json({ scheme, jkt, x5t });
});

export const full: GuardOptions = {
  issuer: 'https://auth.example.com',
  audience: 'https://api.example.com',
  dpop: 'required',
  dpopAlgorithms: ['ES256', 'EdDSA', 'Ed25519'],
  dpopProofWindow: 30,
  dpopNonce: { secret: 'a shared secret of at least 32 bytes!', lifetime: 120 },
  publicBaseUrl: 'https://api.example.com',
  clientCertificateHeader: 'client-cert',
};

export const modes: DpopMode[] = ['allowed', 'required', 'disabled'];

export const request: VerifyRequest = { scheme: 'DPoP', method: 'GET', url: 'https://api.example.com/x', dpop: 'eyJ...' };
export const verified: Promise<AuthInfo> = guard.verify('token', { request });

// @ts-expect-error DPoP modes are a closed set
guard.authenticate({ dpop: 'sometimes' });

// @ts-expect-error proof algorithms are asymmetric
export const hmacProofs: GuardOptions = { issuer: 'https://a.example.com', audience: 'x', dpopAlgorithms: ['HS256'] };

// @ts-expect-error the window is a number of seconds
export const stringWindow: GuardOptions = { issuer: 'https://a.example.com', audience: 'x', dpopProofWindow: '60s' };

// @ts-expect-error scheme is Bearer or DPoP
export const badScheme: VerifyRequest = { scheme: 'MAC', method: 'GET', url: 'https://api.example.com/' };
