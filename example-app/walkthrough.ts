/**
 * What `npm start` prints: the URLs, and a copy-paste curl walkthrough (get a token, call the
 * API, see a 401 and a 403). Embedded mode shows the embedded server's dev client credentials,
 * which exist only in this process; external mode never prints a secret, only placeholders.
 */
import type { Paint } from './colors.js';
import type { RunningExample, WebhookKeySource } from './server.js';

/** Reads `access_token` from a token response on stdin, with nothing but Node installed. */
const PICK_TOKEN = `node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token'`;

export function renderWalkthrough(example: RunningExample, paint: Paint): string {
  return (example.mode === 'embedded' ? embedded(example, paint) : external(example, paint)).join('\n');
}

function embedded(example: RunningExample, paint: Paint): string[] {
  const as = example.authorizationServer!;
  const api = example.apiUrl;
  const { id, secret } = as.clients.api;
  const token = (variable: string, scope: string, resource?: string) => [
    `  ${variable}=$(curl -s -u ${id}:${secret} -d grant_type=client_credentials \\`,
    `    --data-urlencode 'scope=${scope}'${resource ? ` -d resource=${resource}` : ''} \\`,
    `    ${as.endpoints.token} | ${PICK_TOKEN})`,
  ];
  return [
    '',
    paint.bold('resource-guard example') + paint.dim('  (embedded authorization server: oidc-provider)'),
    '',
    row('API', api),
    row('Metadata (RFC 9728)', example.metadataUrl),
    row('Authorization server', as.issuer),
    row('Token endpoint', as.endpoints.token),
    row('Confidential client', `${id} / ${secret}  (client_credentials)`),
    row('Public client', `${as.clients.spa.id}  (authorization_code + PKCE, redirect ${as.clients.spa.redirectUri})`),
    row('Opaque resource', `${as.opaqueResource}  (opaque tokens, checked by introspection)`),
    row('Telnyx webhook', `POST ${api}/webhooks/telnyx  ${webhookNote(example.webhooks.telnyx, 'TELNYX_PUBLIC_KEY')}`),
    row('Standard webhook', `POST ${api}/webhooks/standard  ${webhookNote(example.webhooks.standard, 'STANDARD_WEBHOOK_SECRET')}`),
    row('Partner webhook', `POST ${api}/webhooks/partner  (bearer token with webhooks:deliver)`),
    '',
    paint.bold('Try it') + paint.dim(' (copy-paste into a shell)'),
    '',
    comment(paint, '1. get an access token (a JWT) with client_credentials'),
    ...token('TOKEN', 'messages:read messages:write'),
    '',
    comment(paint, '2. call the API with it → 200'),
    `  curl -i -H "Authorization: Bearer $TOKEN" ${api}/api/messages`,
    `  curl -i -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"text":"hello"}' ${api}/api/messages`,
    '',
    comment(paint, '3. no token → 401 with a WWW-Authenticate challenge naming the metadata URL'),
    `  curl -i ${api}/api/messages`,
    '',
    comment(paint, '4. a read-only token may not post → 403 insufficient_scope'),
    ...token('READ_ONLY', 'messages:read'),
    `  curl -i -H "Authorization: Bearer $READ_ONLY" -H 'Content-Type: application/json' -d '{"text":"hi"}' ${api}/api/messages`,
    '',
    comment(paint, '5. an opaque token (for the second resource) is decided by introspection → 200'),
    ...token('OPAQUE', 'messages:read', as.opaqueResource),
    `  curl -i -H "Authorization: Bearer $OPAQUE" ${api}/api/messages`,
    '',
    `Or run every step, webhooks included: ${paint.cyan('npm run demo')}   Stop with Ctrl+C.`,
    '',
  ];
}

function external(example: RunningExample, paint: Paint): string[] {
  const api = example.apiUrl;
  const { issuer, audience, introspection } = example.guard;
  const list = (value: string | readonly string[] | undefined) => (value === undefined ? '(any)' : typeof value === 'string' ? value : value.join(', '));
  const opaque =
    introspection === undefined || introspection === false
      ? 'refused (set INTROSPECTION_* to introspect them)'
      : `introspection at ${introspection.endpoint ?? "the server's introspection_endpoint"}`;
  return [
    '',
    paint.bold('resource-guard example') + paint.dim('  (external authorization server)'),
    '',
    row('API', api),
    row('Metadata (RFC 9728)', example.metadataUrl),
    row('Issuer', list(issuer)),
    row('Audience', list(audience)),
    row('Opaque tokens', opaque),
    row('Telnyx webhook', example.webhooks.telnyx === 'off' ? 'off (set TELNYX_PUBLIC_KEY)' : `POST ${api}/webhooks/telnyx`),
    row('Standard webhook', example.webhooks.standard === 'off' ? 'off (set STANDARD_WEBHOOK_SECRET)' : `POST ${api}/webhooks/standard`),
    row('Partner webhook', `POST ${api}/webhooks/partner  (bearer token with webhooks:deliver)`),
    '',
    paint.bold('Try it'),
    '',
    comment(paint, `1. get an access token from your authorization server: aud ${list(audience)}, scope messages:read`),
    `  TOKEN='<paste the access token>'`,
    '',
    comment(paint, '2. call the API with it → 200 (403 if the token lacks messages:read)'),
    `  curl -i -H "Authorization: Bearer $TOKEN" ${api}/api/messages`,
    '',
    comment(paint, '3. no token → 401 with a WWW-Authenticate challenge'),
    `  curl -i ${api}/api/messages`,
    '',
    comment(paint, '4. posting needs messages:write → 403 insufficient_scope without it'),
    `  curl -i -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"text":"hi"}' ${api}/api/messages`,
    '',
    'Stop with Ctrl+C.',
    '',
  ];
}

function webhookNote(source: WebhookKeySource, variable: string): string {
  if (source === 'configured') return `(${variable})`;
  if (source === 'dev') return `(dev ${variable === 'TELNYX_PUBLIC_KEY' ? 'key' : 'secret'} made at start; set ${variable} for real deliveries)`;
  return `(off: set ${variable})`;
}

/** `  Label                  value`: labels padded so the values line up (and tests can parse them). */
function row(label: string, value: string): string {
  return `  ${label.padEnd(22)} ${value}`;
}

function comment(paint: Paint, text: string): string {
  return paint.dim(`  # ${text}`);
}
