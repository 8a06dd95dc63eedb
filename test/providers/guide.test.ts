/**
 * docs/providers.md prints, per provider, the `createGuard` configuration the provider tests
 * exercise: each block marked `<!-- config: <name> -->` must be exactly `configs[name]` with
 * the providers' public origins, and every tested configuration must be in the guide. The
 * block's options object is evaluated as it is printed (its `process.env.X` standing for a
 * secret), so a guide edit that is not also a test edit fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createGuard } from '../../src/index.js';
import { configs, publicConfig, type ProviderConfig } from './configs.js';

const guide = readFileSync(new URL('../../docs/providers.md', import.meta.url), 'utf8');

/** Every secret read from the environment stands for itself. */
const env = new Proxy({} as Record<string, string>, { get: (_target, name) => (typeof name === 'string' ? `<${name}>` : undefined) });

/** `{ name: options object as printed }` for every marked block. */
function printedConfigs(): Map<string, unknown> {
  const printed = new Map<string, unknown>();
  for (const match of guide.matchAll(/<!-- config: (\w+) -->\n```ts\n([\s\S]*?)```/g)) {
    const [, name, block] = match as unknown as [string, string, string];
    const start = block.indexOf('createGuard({');
    const end = block.lastIndexOf('})');
    expect(start, `${name}: no createGuard({ … }) in its block`).toBeGreaterThan(-1);
    const literal = block.slice(start + 'createGuard('.length, end + 1);
    const options: unknown = new Function('process', `return (${literal});`)({ env });
    expect(printed.has(name), `${name} is printed twice`).toBe(false);
    printed.set(name, options);
  }
  return printed;
}

describe('docs/providers.md', () => {
  const printed = printedConfigs();

  it('prints every tested configuration, and only those', () => {
    expect([...printed.keys()].sort()).toEqual(Object.keys(configs).sort());
  });

  it.each(Object.keys(configs) as ProviderConfig[])('%s: the printed configuration is the tested one', (name) => {
    expect(printed.get(name)).toEqual(publicConfig(name, env));
  });

  it.each(Object.keys(configs) as ProviderConfig[])('%s: the printed configuration creates a guard', (name) => {
    expect(() => createGuard(printed.get(name) as Parameters<typeof createGuard>[0])).not.toThrow();
  });
});
