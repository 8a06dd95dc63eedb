/**
 * The framework-free parts of authorization beyond scopes, as tables: audience checks and
 * resource-URL comparison, the resource registry behind `guard.metadata()`, claim rules,
 * policies and authentication levels (with the exact RFC 9470 challenge).
 */
import { describe, expect, it } from 'vitest';
import { checkAudience, exactAudience, normalizeResourceUrl, resourceUrlAudience } from '../../../src/auth/audience.js';
import { toAuthInfo, type AuthInfo } from '../../../src/auth/info.js';
import { OAuthError } from '../../../src/errors/oauth-error.js';
import { ResourceRegistry } from '../../../src/express/resources.js';
import { compileAuthLevel, compileClaimRules, compilePolicy } from '../../../src/auth/rules.js';
import { parseChallenge } from '../../support/challenge.js';

const auth = (claims: Record<string, unknown>, tokenType: AuthInfo['tokenType'] = 'jwt') =>
  toAuthInfo('t', tokenType, 'https://as.example.com', claims);
const context = { realm: 'api', resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource' };
const header = (err: OAuthError | undefined) => err?.withContext(context).headers['WWW-Authenticate'];

describe('normalizeResourceUrl', () => {
  it.each([
    ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com/mcp/', 'https://mcp.example.com/mcp'],
    ['HTTPS://MCP.Example.com:443/mcp', 'https://mcp.example.com/mcp'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['https://mcp.example.com/MCP', 'https://mcp.example.com/MCP'],
    ['https://mcp.example.com/mcp?x=1', undefined],
    ['https://mcp.example.com/mcp#f', undefined],
    ['https://user@mcp.example.com/mcp', undefined],
    ['urn:example:api', undefined],
    ['not a url', undefined],
    // Never resolved before comparing (issue 17, finding 11).
    ['https://mcp.example.com/orgs/evil/../victim/mcp', undefined],
    ['https://mcp.example.com/orgs/evil/%2E%2e/victim/mcp', undefined],
    ['https://mcp.example.com/orgs/victim/./mcp', undefined],
    ['https://mcp.example.com/orgs\\victim\\mcp', undefined],
    ['https://mcp.example.com/orgs/vic\ttim/mcp', undefined],
    [' https://mcp.example.com/mcp', undefined],
  ])('%s → %s', (input, expected) => {
    expect(normalizeResourceUrl(input)).toBe(expected);
  });
});

describe('checkAudience', () => {
  it('exact audiences compare strings as they are', () => {
    const check = exactAudience(['https://api.example.com', 'urn:api']);
    expect(() => checkAudience(auth({ aud: ['x', 'urn:api'] }), check)).not.toThrow();
    expect(() => checkAudience(auth({ aud: 'https://api.example.com/' }), check)).toThrow('audience mismatch');
  });

  it('a resource URL compares as a URL', () => {
    const check = resourceUrlAudience('https://mcp.example.com/mcp');
    expect(() => checkAudience(auth({ aud: 'https://mcp.example.com/mcp/' }), check)).not.toThrow();
    expect(() => checkAudience(auth({ aud: ['urn:x', 'https://MCP.example.com:443/mcp'] }), check)).not.toThrow();
    expect(() => checkAudience(auth({ aud: 'https://mcp.example.com/mcp2' }), check)).toThrow('audience mismatch');
    expect(() => checkAudience(auth({ aud: 'https://mcp.example.com' }), check)).toThrow('audience mismatch');
  });

  it('no accepted audience refuses every token', () => {
    expect(() => checkAudience(auth({ aud: 'x' }), exactAudience([]))).toThrow('audience mismatch');
  });

  it('an introspection answer without aud passes (requireAudience refuses it earlier)', () => {
    expect(() => checkAudience(auth({}, 'opaque'), exactAudience(['https://api.example.com']))).not.toThrow();
  });
});

describe('ResourceRegistry', () => {
  const registry = new ResourceRegistry('https://api.example.com');
  registry.addResource('https://api.example.com/billing');
  registry.addResource('https://reports.example.com');
  registry.addResource('urn:example:no-metadata');
  registry.addRequestPath('/mcp');

  it.each([
    ['/.well-known/oauth-protected-resource', 'https://api.example.com', 'https://api.example.com'],
    ['/.well-known/oauth-protected-resource', 'https://reports.example.com', 'https://reports.example.com'],
    ['/.well-known/oauth-protected-resource', 'https://elsewhere.example.com', 'https://api.example.com'],
    ['/.well-known/oauth-protected-resource/billing', 'https://api.example.com', 'https://api.example.com/billing'],
    ['/.well-known/oauth-protected-resource/mcp', 'https://mcp.example.com', 'https://mcp.example.com/mcp'],
    ['/.well-known/oauth-protected-resource/other', 'https://api.example.com', undefined],
    ['/billing', 'https://api.example.com', undefined],
  ])('%s on %s → %s', (path, origin, expected) => {
    expect(registry.resourceAt(path, origin)).toBe(expected);
  });

  it('learned paths are served too', () => {
    registry.addRequestPath('/tenants/acme/mcp', true);
    expect(registry.resourceAt('/.well-known/oauth-protected-resource/tenants/acme/mcp', 'https://x.example')).toBe(
      'https://x.example/tenants/acme/mcp',
    );
  });
});

describe('compileClaimRules', () => {
  const check = compileClaimRules({ tenant: 'acme', roles: ['admin', 'owner'], age: (v: unknown) => typeof v === 'number' && v >= 18 });
  it.each([
    [{ tenant: 'acme', roles: 'admin', age: 30 }, undefined],
    [{ tenant: ['x', 'acme'], roles: ['viewer', 'owner'], age: 18 }, undefined],
    [{ tenant: 'globex', roles: 'admin', age: 30 }, 'tenant'],
    [{ roles: 'admin', age: 30 }, 'tenant'],
    [{ tenant: 'acme', roles: ['viewer'], age: 30 }, 'roles'],
    [{ tenant: 'acme', roles: 'admin', age: 17 }, 'age'],
    [{ tenant: 'acme', roles: 'admin' }, 'age'],
  ])('%j → %s', (claims, failing) => {
    const err = check(auth(claims));
    if (failing === undefined) return expect(err).toBeUndefined();
    expect(header(err)).toBe(
      `Bearer error="insufficient_scope", error_description="token claim '${failing}' does not meet this route's requirement", realm="api", resource_metadata="${context.resourceMetadata}"`,
    );
    expect(err?.status).toBe(403);
  });

  it('inherited properties are not claims', () => {
    expect(compileClaimRules({ constructor: (v: unknown) => v !== undefined })(auth({}))).toBeInstanceOf(OAuthError);
  });
});

describe('compilePolicy', () => {
  it('maps true / false / promises onto undefined / 403', async () => {
    const { check, scopes } = compilePolicy((a: AuthInfo, admin: boolean) => admin && a.subject === 'u', { scope: 'admin docs:write' });
    expect(scopes).toEqual(['admin', 'docs:write']);
    expect(check(auth({ sub: 'u' }), true)).toBeUndefined();
    const err = check(auth({ sub: 'u' }), false) as OAuthError;
    expect(parseChallenge(header(err)).params).toMatchObject({ error: 'insufficient_scope', scope: 'admin docs:write' });
    const later = compilePolicy(async () => false).check(auth({}), undefined);
    expect(await later).toBeInstanceOf(OAuthError);
  });
});

describe('compileAuthLevel', () => {
  // Read the clock when each check runs: a loaded machine may start a test long after collection.
  const clock = { get now() { return Math.floor(Date.now() / 1000); } };
  const level = compileAuthLevel({ acr: ['phr', 'phrh'], maxAge: 300 }, 5);

  it('passes a matching, recent login', () => {
    expect(level(auth({ acr: 'phrh', auth_time: clock.now - 100 }))).toBeUndefined();
    expect(level(auth({ acr: 'phr', auth_time: clock.now - 302 }))).toBeUndefined();
  });

  it('renders RFC 9470 §3 challenges', () => {
    expect(header(level(auth({ acr: 'pwd', auth_time: clock.now })))).toBe(
      `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="phr phrh", max_age=300, realm="api", resource_metadata="${context.resourceMetadata}"`,
    );
    expect(header(level(auth({ acr: 'phr', auth_time: clock.now - 400 })))).toBe(
      `Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", acr_values="phr phrh", max_age=300, realm="api", resource_metadata="${context.resourceMetadata}"`,
    );
    expect(level(auth({ acr: 'phr' }))?.status).toBe(401);
  });

  it('max_age=0 is rendered, and only what was required is listed', () => {
    expect(header(compileAuthLevel({ maxAge: 0 }, 0)(auth({ auth_time: clock.now - 10 })))).toBe(
      `Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age=0, realm="api", resource_metadata="${context.resourceMetadata}"`,
    );
  });
});
