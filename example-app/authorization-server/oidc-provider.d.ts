// The part of oidc-provider 9's API this repository uses (the package ships no types).
// Names follow https://github.com/panva/node-oidc-provider/blob/v9.x/docs/README.md.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { JsonWebKey, KeyObject } from 'node:crypto';

  export interface AdapterPayload {
    [key: string]: unknown;
    uid?: string;
    userCode?: string;
    grantId?: string;
    consumed?: unknown;
  }

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export type AdapterFactory = (model: string) => Adapter;

  export interface ClientMetadata {
    client_id: string;
    client_secret?: string;
    grant_types?: string[];
    response_types?: string[];
    redirect_uris?: string[];
    token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'none' | (string & {});
    application_type?: 'web' | 'native';
    scope?: string;
    [key: string]: unknown;
  }

  /** What `features.resourceIndicators.getResourceServerInfo` returns. */
  export interface ResourceServer {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg?: string; kid?: string; key?: KeyObject | Uint8Array } };
  }

  /** The provider's view of a client in configuration callbacks. */
  export interface Client {
    clientId: string;
    clientAuthMethod: string;
    redirectUris?: string[];
    [key: string]: unknown;
  }

  /** A token in configuration callbacks (introspection/revocation policies, ttl functions). */
  export interface BaseToken {
    clientId?: string;
    kind: string;
    resourceServer?: ResourceServer;
    [key: string]: unknown;
  }

  export interface KoaContextWithOIDC {
    oidc: { client?: Client; [key: string]: unknown };
    body?: unknown;
    status?: number;
    type?: string;
    [key: string]: unknown;
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Record<string, unknown> | Promise<Record<string, unknown>>;
  }

  type Ttl = number | ((ctx: KoaContextWithOIDC, token: BaseToken, client: Client) => number);

  export interface Configuration {
    adapter?: AdapterFactory;
    clients?: ClientMetadata[];
    jwks?: { keys: JsonWebKey[] };
    scopes?: string[];
    claims?: Record<string, string[] | null>;
    cookies?: { keys?: string[]; [key: string]: unknown };
    findAccount?: (ctx: KoaContextWithOIDC, sub: string) => Account | undefined | Promise<Account | undefined>;
    clientBasedCORS?: (ctx: KoaContextWithOIDC, origin: string, client: Client) => boolean;
    renderError?: (ctx: KoaContextWithOIDC, out: Record<string, string>, error: Error) => void | Promise<void>;
    ttl?: Record<string, Ttl>;
    features?: {
      clientCredentials?: { enabled: boolean };
      devInteractions?: { enabled: boolean };
      introspection?: { enabled: boolean; allowedPolicy?: (ctx: KoaContextWithOIDC, client: Client, token: BaseToken) => boolean | Promise<boolean> };
      revocation?: { enabled: boolean; allowedPolicy?: (ctx: KoaContextWithOIDC, client: Client, token: BaseToken) => boolean | Promise<boolean> };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (ctx: KoaContextWithOIDC, client: Client, oneOf?: string[]) => string | string[] | undefined | Promise<string | string[] | undefined>;
        getResourceServerInfo?: (ctx: KoaContextWithOIDC, resourceIndicator: string, client: Client) => ResourceServer | Promise<ResourceServer>;
        useGrantedResource?: (ctx: KoaContextWithOIDC, model: unknown) => boolean | Promise<boolean>;
      };
      [feature: string]: { enabled: boolean; [key: string]: unknown } | undefined;
    };
    [key: string]: unknown;
  }

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
    off(event: string, listener: (...args: unknown[]) => void): this;
  }

  export const errors: {
    InvalidTarget: new (description?: string) => Error;
    InvalidRequest: new (description?: string) => Error;
    [name: string]: new (description?: string) => Error;
  };

  export default Provider;
}
