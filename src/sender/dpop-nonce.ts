/**
 * Server-provided DPoP nonces (RFC 9449 §9), without state: a nonce is a time step and an
 * HMAC of it, so every instance holding the same key issues and accepts the same nonces, and
 * nothing is stored per client.
 *
 * A nonce is current for `lifetime` seconds; the one before it is still accepted, so a client
 * that just learnt a nonce is not refused at the turn of a step. Nonces limit how long a proof
 * made in advance (by malware with the key but not the TLS session) stays usable; the `jti`
 * replay set remains the defence against replays within that time.
 *
 * @see [RFC 9449 §9 - Resource Server-Provided Nonce](https://www.rfc-editor.org/rfc/rfc9449#section-9)
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

const STEP_BYTES = 8;
const MAC_BYTES = 16;

/** What a presented nonce is worth. */
export type NonceState = 'current' | 'previous' | 'invalid';

export class DpopNonces {
  readonly #key: KeyObject;
  readonly #lifetimeMs: number;

  constructor(key: KeyObject, lifetime: number) {
    this.#key = key;
    this.#lifetimeMs = lifetime * 1000;
  }

  /** The nonce clients should use now. */
  current(now = Date.now()): string {
    return this.#issue(this.#step(now));
  }

  /** Checks a nonce a proof carries. */
  check(nonce: unknown, now = Date.now()): NonceState {
    if (typeof nonce !== 'string' || nonce.length > 64) return 'invalid';
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== STEP_BYTES + MAC_BYTES || bytes.toString('base64url') !== nonce) return 'invalid';
    const step = bytes.readBigUInt64BE(0);
    const expected = this.#mac(step);
    if (!timingSafeEqual(expected, bytes.subarray(STEP_BYTES))) return 'invalid';
    const current = this.#step(now);
    if (step === current) return 'current';
    if (step === current - 1n) return 'previous';
    return 'invalid';
  }

  #step(now: number): bigint {
    return BigInt(Math.floor(now / this.#lifetimeMs));
  }

  #issue(step: bigint): string {
    const bytes = Buffer.alloc(STEP_BYTES + MAC_BYTES);
    bytes.writeBigUInt64BE(step, 0);
    this.#mac(step).copy(bytes, STEP_BYTES);
    return bytes.toString('base64url');
  }

  #mac(step: bigint): Buffer {
    const data = Buffer.alloc(STEP_BYTES);
    data.writeBigUInt64BE(step, 0);
    return createHmac('sha256', this.#key).update('resource-guard dpop nonce\n').update(data).digest().subarray(0, MAC_BYTES);
  }
}
