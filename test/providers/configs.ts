/**
 * The `createGuard` configurations of docs/providers.md, one function per provider, taking
 * where the provider lives (`origins`) and the environment its secrets come from. The
 * provider tests call them with the local stand-ins' origins; `guide.test.ts` calls them with
 * the public origins and checks each equals the configuration printed in the guide, so what
 * the guide says is what is tested.
 */
import type { GuardOptions } from '../../src/index.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Identifiers the guide uses in its examples (the providers' own documentation style). */
export const IDS = {
  cognito: { region: 'eu-west-1', pool: 'eu-west-1_AbCdEf123', client: '1example23456789', otherClient: '2example98765432' },
  keycloak: { realm: 'acme', clients: ['orders-web', 'orders-cli'], apiClient: 'orders-api', audience: 'orders-api' },
  entra: {
    tenant: 'aaaabbbb-0000-cccc-1111-dddd2222eeee',
    api: '11112222-bbbb-3333-cccc-4444dddd5555',
    client: '00001111-aaaa-2222-bbbb-3333cccc4444',
  },
  auth0: { api: 'https://api.example.com', client: 'k5u3o2fiAA8XweXEEX604KCwCjzjtMU6' },
  okta: { server: 'default', audience: 'api://default', client: '0oa1example0client7' },
  hydra: { client: 'orders-cli' },
  spring: { audience: 'https://api.example.com', client: 'messaging-client', apiClient: 'orders-api' },
  oidcProvider: { audience: 'https://api.example.com' },
  telnyx: { audience: 'https://api.example.com' },
} as const;

/** The public origins the guide names; the tests put 127.0.0.1 servers in their place. */
export const PUBLIC = {
  telnyx: 'https://api.telnyx.com',
  auth0: 'https://example-tenant.us.auth0.com',
  okta: 'https://example.okta.com',
  keycloak: 'https://sso.example.com',
  entraLogin: 'https://login.microsoftonline.com',
  entraSts: 'https://sts.windows.net',
  cognito: 'https://cognito-idp.eu-west-1.amazonaws.com',
  hydra: 'https://hydra.example.com',
  hydraAdmin: 'https://hydra-admin.internal.example.com',
  spring: 'https://auth.example.com',
  oidcProvider: 'https://auth.example.com',
} as const;

export const configs = {
  telnyx: (origin: string, env: Env): GuardOptions => ({
    issuer: `${origin}/v2`,
    audience: IDS.telnyx.audience,
    introspection: { auth: 'bearer', bearerToken: env.TELNYX_API_KEY, encoding: 'json' },
  }),

  auth0: (origin: string): GuardOptions => ({
    issuer: `${origin}/`,
    audience: IDS.auth0.api,
    scopeClaims: ['scope', 'permissions'],
  }),

  oktaCustom: (origin: string): GuardOptions => ({
    issuer: `${origin}/oauth2/${IDS.okta.server}`,
    audience: IDS.okta.audience,
  }),

  oktaOrg: (origin: string, env: Env): GuardOptions => ({
    issuer: origin,
    audience: origin,
    introspection: { clientId: IDS.okta.client, clientSecret: env.OKTA_CLIENT_SECRET },
  }),

  keycloak: (origin: string, env: Env): GuardOptions => ({
    issuer: `${origin}/realms/${IDS.keycloak.realm}`,
    clientIds: [...IDS.keycloak.clients],
    introspection: { clientId: IDS.keycloak.apiClient, clientSecret: env.KEYCLOAK_CLIENT_SECRET },
  }),

  keycloakAudienceMapper: (origin: string): GuardOptions => ({
    issuer: `${origin}/realms/${IDS.keycloak.realm}`,
    audience: IDS.keycloak.audience,
  }),

  entraV2: (login: string): GuardOptions => ({
    issuer: `${login}/${IDS.entra.tenant}/v2.0`,
    audience: IDS.entra.api,
    scopeClaims: ['scp', 'roles'],
  }),

  entraV1AndV2: (login: string, sts: string): GuardOptions => ({
    issuer: [`${login}/${IDS.entra.tenant}/v2.0`, `${sts}/${IDS.entra.tenant}/`],
    jwksUri: `${login}/${IDS.entra.tenant}/discovery/v2.0/keys`,
    audience: [IDS.entra.api, `api://${IDS.entra.api}`],
    scopeClaims: ['scp', 'roles'],
  }),

  cognito: (origin: string): GuardOptions => ({
    issuer: `${origin}/${IDS.cognito.pool}`,
    clientIds: [IDS.cognito.client],
  }),

  hydraJwt: (origin: string): GuardOptions => ({
    issuer: `${origin}/`,
    clientIds: [IDS.hydra.client],
  }),

  hydraOpaque: (origin: string, admin: string): GuardOptions => ({
    issuer: `${origin}/`,
    clientIds: [IDS.hydra.client],
    introspection: { endpoint: `${admin}/admin/oauth2/introspect`, auth: 'none' },
  }),

  spring: (origin: string): GuardOptions => ({
    issuer: origin,
    audience: IDS.spring.audience,
  }),

  springReference: (origin: string, env: Env): GuardOptions => ({
    issuer: origin,
    clientIds: [IDS.spring.client],
    introspection: { clientId: IDS.spring.apiClient, clientSecret: env.SPRING_CLIENT_SECRET },
  }),

  oidcProvider: (origin: string, env: Env): GuardOptions => ({
    issuer: origin,
    audience: IDS.oidcProvider.audience,
    introspection: { clientId: 'resource-server', clientSecret: env.INTROSPECTION_CLIENT_SECRET },
  }),
};

export type ProviderConfig = keyof typeof configs;

/** How `guide.test.ts` calls each configuration with the public origins. */
export function publicConfig(name: ProviderConfig, env: Env): GuardOptions {
  switch (name) {
    case 'telnyx':
      return configs.telnyx(PUBLIC.telnyx, env);
    case 'auth0':
      return configs.auth0(PUBLIC.auth0);
    case 'oktaCustom':
      return configs.oktaCustom(PUBLIC.okta);
    case 'oktaOrg':
      return configs.oktaOrg(PUBLIC.okta, env);
    case 'keycloak':
      return configs.keycloak(PUBLIC.keycloak, env);
    case 'keycloakAudienceMapper':
      return configs.keycloakAudienceMapper(PUBLIC.keycloak);
    case 'entraV2':
      return configs.entraV2(PUBLIC.entraLogin);
    case 'entraV1AndV2':
      return configs.entraV1AndV2(PUBLIC.entraLogin, PUBLIC.entraSts);
    case 'cognito':
      return configs.cognito(PUBLIC.cognito);
    case 'hydraJwt':
      return configs.hydraJwt(PUBLIC.hydra);
    case 'hydraOpaque':
      return configs.hydraOpaque(PUBLIC.hydra, PUBLIC.hydraAdmin);
    case 'spring':
      return configs.spring(PUBLIC.spring);
    case 'springReference':
      return configs.springReference(PUBLIC.spring, env);
    case 'oidcProvider':
      return configs.oidcProvider(PUBLIC.oidcProvider, env);
  }
}
