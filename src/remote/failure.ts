/**
 * What a client may be told about a failed call to the authorization server: what went wrong
 * (timed out, unreachable, answered 500), never where. The URLs of the metadata, the JWKS and
 * the introspection endpoint are internal: they stay in the error's message and `cause`, in
 * `ready()`, `health()` and the events, for operators, and out of every `error_description`,
 * whatever `errorDetail` says.
 */
import { OAuthError } from '../errors/oauth-error.js';
import { HttpFailure, type HttpFailureKind } from './http.js';
import { UpstreamFailure } from './loader.js';

const PHRASES: Readonly<Record<HttpFailureKind, string>> = {
  timeout: 'timed out',
  network: 'unreachable',
  too_large: 'response too large',
  redirect: 'redirect refused',
  insecure: 'non-https URL refused',
};

/** A short, URL-free phrase for a failed outbound call, fit for a client-facing description. */
export function failurePhrase(err: unknown): string {
  if (err instanceof HttpFailure) return PHRASES[err.kind];
  if (err instanceof UpstreamFailure) return err.phrase;
  // The guard's own errors are worded for clients already.
  if (err instanceof OAuthError) return err.description;
  return 'unreachable';
}
