/**
 * Certificate-bound access tokens (RFC 8705 §3): a token whose `cnf["x5t#S256"]` is set is
 * good only with the client certificate it names, the one of the TLS connection or, behind a
 * TLS-terminating proxy, the one it forwards in a header. Framework-free: it takes the
 * certificate's DER bytes, or the forwarded header's value.
 *
 * The thumbprint is compared as sent (base64url SHA-256 of the DER). The certificate chain is
 * not validated here: RFC 8705 §3 binds to the certificate itself, self-signed or not, and
 * checking the chain is the TLS server's (or proxy's) job.
 *
 * @see [RFC 8705 §3 - Mutual-TLS Client Certificate-Bound Access Tokens](https://www.rfc-editor.org/rfc/rfc8705#section-3)
 */
import { createHash, X509Certificate } from 'node:crypto';
import { isXfcc, lastElementCert } from './xfcc.js';

/** Longest forwarded-certificate header value looked at. */
export const MAX_CERTIFICATE_HEADER_LENGTH = 16 * 1024;

/** base64url(SHA-256(DER)): the RFC 8705 §3.1 `x5t#S256` of a certificate. */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

/**
 * Why `certificate` does not satisfy the binding `x5t`, or `undefined` when it is the one
 * `x5t` names. The caller turns the reason into a 401 `invalid_token`.
 */
export function certificateMismatch(x5t: string, certificate: Uint8Array | undefined): string | undefined {
  if (certificate === undefined || certificate.length === 0) {
    return 'certificate-bound token presented without a client certificate';
  }
  if (certificateThumbprint(certificate) !== x5t) {
    return 'client certificate does not match the token binding (cnf x5t#S256)';
  }
  return undefined;
}

/**
 * The DER bytes of a certificate a proxy forwarded, or `undefined` when the value holds none
 * that parses. Understood: RFC 9440 (`:base64:`), PEM (raw, with spaces for newlines, or
 * URL-encoded), bare base64 DER, and Envoy's `X-Forwarded-Client-Cert` (`Cert="…"` of the
 * *last* element, the one the proxy in front of the app wrote: `xfcc.ts`).
 *
 * @see [RFC 9440 §2 - HTTP Header Fields and Processing Rules](https://www.rfc-editor.org/rfc/rfc9440#section-2)
 */
export function parseForwardedCertificate(value: string): Uint8Array | undefined {
  let text = value.trim();
  if (text.length === 0 || text.length > MAX_CERTIFICATE_HEADER_LENGTH) return undefined;
  if (isXfcc(text)) {
    const cert = lastElementCert(text);
    if (cert === undefined) return undefined;
    text = cert;
  }
  if (/^:[A-Za-z0-9+/=]+:$/.test(text)) return derOf(text.slice(1, -1));
  if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return undefined;
    }
  }
  const pem = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(text);
  return derOf(pem === null ? text : pem[1]!);
}

function derOf(base64: string): Uint8Array | undefined {
  const compact = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const der = Buffer.from(compact, 'base64');
  try {
    // Only a real certificate counts; anything else is "no certificate", never a match.
    new X509Certificate(der);
  } catch {
    return undefined;
  }
  return der;
}
