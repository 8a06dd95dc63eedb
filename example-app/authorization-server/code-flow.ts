/**
 * Drives oidc-provider's devInteractions over HTTP, as a browser would (cookie jar, manual
 * redirects), to get an authorization code with PKCE and exchange it at the token endpoint.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface CodeFlowOptions {
  clientId: string;
  redirectUri: string;
  scope: string;
  resource?: string;
  /** The `sub` of the signed-in user. */
  accountId: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/** Just enough of a browser: remembers cookies by name (the paths the provider sets don't clash). */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size) headers.set('cookie', [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return res;
  }
}

async function expectRedirect(res: Response, step: string): Promise<string> {
  const location = res.headers.get('location');
  if (res.status < 300 || res.status > 399 || !location) {
    throw new Error(`code flow: ${step} answered ${res.status} without a redirect: ${(await res.text()).slice(0, 300)}`);
  }
  await res.body?.cancel();
  return location;
}

/** Runs /auth → login → consent → redirect_uri?code=… → /token and returns the token response. */
export async function authorizationCodeFlow(issuer: string, options: CodeFlowOptions): Promise<TokenResponse> {
  const jar = new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const auth = new URL('/auth', issuer);
  const params: Record<string, string> = {
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: options.redirectUri,
    scope: options.scope,
    state,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...(options.resource ? { resource: options.resource } : {}),
  };
  for (const [k, v] of Object.entries(params)) auth.searchParams.set(k, v);

  let location = await expectRedirect(await jar.fetch(auth), 'authorization request');
  // Each interaction (login, then consent) is a page with a form posting back to itself.
  for (let step = 0; step < 6 && !location.startsWith(options.redirectUri); step++) {
    const url = new URL(location, issuer);
    if (url.pathname.startsWith('/interaction/')) {
      const page = await jar.fetch(url);
      const html = await page.text();
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      if (page.status !== 200 || !prompt) throw new Error(`code flow: unexpected interaction page (${page.status})`);
      const form = new URLSearchParams({ prompt });
      if (prompt === 'login') {
        form.set('login', options.accountId);
        form.set('password', 'any');
      }
      location = await expectRedirect(await jar.fetch(url, { method: 'POST', body: form }), `${prompt} submit`);
    } else {
      location = await expectRedirect(await jar.fetch(url), `GET ${url.pathname}`);
    }
  }

  const callback = new URL(location);
  if (!location.startsWith(options.redirectUri)) throw new Error(`code flow: never reached the redirect_uri (at ${location})`);
  if (callback.searchParams.get('state') !== state) throw new Error('code flow: state mismatch');
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`code flow: ${callback.searchParams.get('error')}: ${callback.searchParams.get('error_description')}`);

  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: options.redirectUri,
    client_id: options.clientId,
    code_verifier: verifier,
  });
  const res = await fetch(new URL('/token', issuer), { method: 'POST', body });
  const json = (await res.json()) as TokenResponse & { error?: string; error_description?: string };
  if (!res.ok) throw new Error(`code flow: token endpoint ${res.status} ${json.error}: ${json.error_description}`);
  return json;
}
