/**
 * What the last request on a connection presented in `Authorization`, and what reading it
 * gave: its credentials and their hash. An API client on a keep-alive connection sends the
 * same header with every request, so the next one with that exact header skips the RFC 6750
 * syntax check and the SHA-256: both are pure functions of the header, and a byte-for-byte
 * comparison costs far less than either. Nothing is decided here; the caches still are
 * consulted with the hash, as on any request.
 *
 * Only `Bearer` credentials from a single `Authorization` header (the guard reads no other
 * location) are remembered. One entry per live connection, gone with it (a `WeakMap` keyed
 * by the socket, set when the header changes, not per request).
 */
import type { Request } from 'express';
import type { Credentials } from '../auth/extract.js';

/** One connection's last bearer header, as read. */
export interface ReadHeader {
  readonly header: string;
  readonly credentials: Credentials;
  readonly hash: string;
}

const LAST = new WeakMap<object, ReadHeader>();

/** What `req`'s `Authorization` header gave when the connection last sent exactly it. */
export function recallHeader(req: Request): ReadHeader | undefined {
  const socket = req.socket as object | undefined;
  if (socket === undefined) return undefined;
  const last = LAST.get(socket);
  return last !== undefined && last.header === req.headers.authorization ? last : undefined;
}

/** Remembers what `req`'s `Authorization` header gave, for the connection's next request. */
export function rememberHeader(req: Request, credentials: Credentials, hash: string): void {
  const socket = req.socket as object | undefined;
  const header = req.headers.authorization;
  if (socket === undefined || typeof header !== 'string') return;
  LAST.set(socket, { header, credentials, hash });
}
