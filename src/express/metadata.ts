/**
 * This API's own OAuth 2.0 Protected Resource Metadata (RFC 9728), and the URL where it
 * lives, which every challenge names in `resource_metadata`.
 *
 * @see [RFC 9728 §2 - Protected Resource Metadata](https://www.rfc-editor.org/rfc/rfc9728#section-2)
 */
import type { GuardConfig } from '../options/normalize.js';

/** The RFC 9728 §2 document, with the registry's field names. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  resource_name?: string;
  resource_documentation?: string;
  /** RFC 9728 §2: proof algorithms accepted (RFC 9449); absent with `dpop: 'disabled'`. */
  dpop_signing_alg_values_supported?: string[];
  /** RFC 9728 §2: whether only DPoP-bound tokens are accepted (`dpop: 'required'`). */
  dpop_bound_access_tokens_required?: boolean;
  /** RFC 9728 §2: certificate-bound tokens (RFC 8705) are checked; set with `clientCertificateHeader`. */
  tls_client_certificate_bound_access_tokens?: boolean;
}

export const WELL_KNOWN_SEGMENT = '/.well-known/oauth-protected-resource';

/**
 * RFC 9728 §3.1: the well-known segment goes between the host and the resource's path,
 * and a terminating slash is dropped (`https://api.example.com/v1` →
 * `https://api.example.com/.well-known/oauth-protected-resource/v1`). `undefined` when the
 * resource is not an http(s) URL (a URN audience): such an API has no metadata URL.
 */
export function metadataUrlOf(resource: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const path = url.pathname.replace(/\/+$/, '');
  return new URL(`${url.origin}${WELL_KNOWN_SEGMENT}${path}`);
}

/**
 * The document for `config`, listing `scopes` (declared on routes and in options), for
 * `resource` (the guard's, a route's audience or a `'request-url'` resource).
 */
export function buildMetadata(
  config: GuardConfig,
  scopes: Iterable<string>,
  resource: string,
): ProtectedResourceMetadata {
  const document: ProtectedResourceMetadata = {
    resource,
    authorization_servers: [...config.issuers],
    bearer_methods_supported: [...config.tokenLocations],
  };
  const scopeList = [...new Set([...config.scopesSupported, ...scopes])];
  if (scopeList.length > 0) document.scopes_supported = scopeList;
  if (config.resourceName !== undefined) document.resource_name = config.resourceName;
  if (config.resourceDocumentation !== undefined) document.resource_documentation = config.resourceDocumentation;
  if (config.sender.dpop !== 'disabled') {
    document.dpop_signing_alg_values_supported = [...config.sender.dpopAlgorithms];
    document.dpop_bound_access_tokens_required = config.sender.dpop === 'required';
  }
  if (config.sender.clientCertificateHeader !== undefined) document.tls_client_certificate_bound_access_tokens = true;
  return document;
}
