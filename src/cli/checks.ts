/**
 * What `resource-guard doctor` checks, in the order the guard itself works: discovery (every
 * candidate URL and what it answered), the issuer, the JWKS (keys, cache headers,
 * revalidation), then a token, claim by claim, and the verdict.
 *
 * This file runs them in that order and describes the configuration; the checks themselves
 * are in `issuer-checks.ts` (discovery, JWKS), `token-checks.ts` (the token, claim by claim)
 * and `verdict.ts` (a real guard's `verify()`), the report's shape in `report.ts`.
 *
 * Nothing here ever prints a token, a client secret or an API key: only a token's length,
 * its header, and its registered claims.
 */
import { normalizeOptions, type GuardConfig, type GuardOptions } from '../options/normalize.js';
import { discover, inspectJwks, type IssuerFacts } from './issuer-checks.js';
import type { Add, Check, CheckStatus, DoctorReport, DoctorSink, Section } from './report.js';
import { explainToken } from './token-checks.js';
import { decide } from './verdict.js';

export async function runDoctor(
  options: GuardOptions,
  token: string | undefined,
  requiredScopes: readonly string[],
  sink: DoctorSink,
): Promise<DoctorReport> {
  const sections: Section[] = [];
  const open = (id: Section['id'], title: string, data: Record<string, unknown> = {}): Section => {
    const section: Section = { id, title, checks: [], data };
    sections.push(section);
    sink.section(section);
    return section;
  };
  const add = (section: Section, status: CheckStatus, label: string, detail?: string[]) => {
    const check: Check = detail === undefined || detail.length === 0 ? { status, label } : { status, label, detail };
    section.checks.push(check);
    sink.check(section, check);
  };
  const report = (): DoctorReport => ({
    ok: sections.every((s) => s.checks.every((c) => c.status !== 'fail')),
    sections,
  });

  const configuration = open('configuration', 'Configuration');
  let config: GuardConfig;
  try {
    config = normalizeOptions(options);
  } catch (err) {
    add(configuration, 'fail', (err as Error).message);
    return report();
  }
  describeConfiguration(configuration, config, add);

  const facts = new Map<string, IssuerFacts>();
  for (const issuer of config.issuers) {
    const metadata = await discover(open('discovery', `Discovery: ${issuer}`, { issuer }), issuer, config, add);
    const jwksUrl = config.jwksUri ?? (typeof metadata?.jwks_uri === 'string' ? metadata.jwks_uri : undefined);
    const keys = await inspectJwks(open('jwks', jwksUrl === undefined ? 'JWKS' : `JWKS: ${jwksUrl}`, { issuer }), issuer, metadata, config, add);
    facts.set(issuer, { metadata, keys });
    if (config.jwksUri !== undefined) {
      // One key set for every issuer: fetched once.
      for (const other of config.issuers) facts.set(other, { metadata: other === issuer ? metadata : undefined, keys });
      if (config.issuers.length > 1) {
        for (const other of config.issuers.slice(1)) {
          facts.set(other, { metadata: await discover(open('discovery', `Discovery: ${other}`, { issuer: other }), other, config, add), keys });
        }
      }
      break;
    }
  }

  if (token !== undefined) {
    await explainToken(open('token', 'Token'), token, config, facts, requiredScopes, add);
    await decide(open('verdict', 'Verdict'), token, options, requiredScopes, add);
  }
  return report();
}

function describeConfiguration(section: Section, config: GuardConfig, add: Add): void {
  section.data = {
    issuers: config.issuers,
    audiences: config.audiences,
    clientIds: config.clientIds,
    algorithms: [...config.algorithms],
    cooldown: config.cooldown,
    jwksMaxAge: config.jwksMaxAge,
    clockTolerance: config.clockTolerance,
    introspection:
      config.introspection === undefined
        ? config.introspectionOff === undefined ? false : { off: config.introspectionOff }
        : { endpoint: config.introspection.endpoint ?? 'from metadata', auth: config.introspection.auth },
  };
  add(section, 'ok', 'options are valid', [
    `issuer     ${config.issuers.join(', ')}`,
    `audience   ${config.audiences.length === 0 ? '(not compared)' : config.audiences.join(', ')}`,
    ...(config.clientIds === undefined ? [] : [`clients    ${config.clientIds.join(', ')}`]),
    `algorithms ${[...config.algorithms].join(' ')}`,
    `introspection ${config.introspection === undefined ? 'off (opaque tokens are refused)' : `on (${config.introspection.auth}, ${config.introspection.encoding})`}`,
  ]);
  if (config.introspectionOff !== undefined) {
    add(section, 'warn', 'introspection was asked for but is off: it has no client authentication', [
      'give --introspection-client-id with --introspection-client-secret-file, or --introspection-bearer-token-file, or --introspection-auth none',
    ]);
  }
}
