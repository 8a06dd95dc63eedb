/**
 * What the bench's authorization server, its tokens and every server under test agree on.
 * Kept apart from `as.ts` so the server child (`server.ts`) loads nothing else of the bench.
 */

/** The `iss` of every bench token and the `issuer` of the metadata: a name, never fetched (see as.ts). */
export const ISSUER = 'https://as.bench.example';
export const AUDIENCE = 'https://api.bench.example';
export const SCOPE = 'messages:read messages:write';
export const REQUIRED_SCOPE = 'messages:read';
export const CLIENT_ID = 'bench-rs';
export const CLIENT_SECRET = 'bench-rs-secret';
