/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most self
 * time, self time per package, and inclusive time of resource-guard's own functions.
 *
 *   node --import tsx bench/profile-summary.ts <file.cpuprofile> [--top 15] [--since <µs>]
 *
 * `since` drops samples taken before that profile timestamp (the warm-up).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  location: string;
  package: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Sampled time that was not idle, in ms. */
  busyMs: number;
  idleMs: number;
  topSelf: FunctionTime[];
  byPackage: Array<{ package: string; ms: number; percent: number }>;
  /** Inclusive (self + callees) time of resource-guard functions. Middleware frames include the rest of the route, which Express calls from inside them. */
  inclusive: FunctionTime[];
  /**
   * Each sample charged to the nearest caller that is resource-guard, Express (express,
   * router) or the bench app, walking up from the running function: "resource-guard"
   * then means the guard and what it calls (jose, node:crypto) but not the route after it.
   * Samples with none of them on the stack keep their own package (HTTP parsing, GC, I/O).
   */
  byOwner: Array<{ owner: string; ms: number; percent: number }>;
}

export const OWNERS = new Set(['resource-guard', 'express', 'router', 'bench']);

/** Which package (or runtime part) a script URL belongs to. */
export function packageOf(url: string, name: string): string {
  if (url === '') {
    if (name === '(garbage collector)') return '(gc)';
    if (name === '(program)' || name === '(idle)' || name === '(root)') return name;
    return '(native)';
  }
  if (url.startsWith('node:internal/')) return `node:internal/${url.slice(14).split('/')[0]!.replace(/\.js$/, '')}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + 14).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.includes('/dist/')) return 'resource-guard';
  if (url.includes('/bench/')) return 'bench';
  return 'other';
}

/** `dist/verify/verifier.js:42`, `express/lib/router/index.js:10`: where a frame's code lives, short. */
export function shortLocation(frame: CallFrame): string {
  if (frame.url === '') return '';
  let path = frame.url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules !== -1) path = path.slice(modules + 14);
  else if (path.includes('/dist/')) path = `dist/${path.split('/dist/')[1]}`;
  else if (path.includes('/bench/')) path = `bench/${path.split('/bench/')[1]}`;
  return `${path}:${frame.lineNumber + 1}`;
}

export function summarizeProfile(profile: CpuProfile, { top = 15, since }: { top?: number; since?: number } = {}): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const keyOf = (node: ProfileNode) => `${node.callFrame.functionName || '(anonymous)'}\u0000${shortLocation(node.callFrame)}`;
  const self = new Map<string, { frame: CallFrame; us: number }>();
  const inclusive = new Map<string, { frame: CallFrame; us: number }>();
  const owners = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    // A sample's cost is the gap to the next sample (V8's own convention in DevTools).
    const delta = profile.timeDeltas[i + 1] ?? 0;
    if (since !== undefined && time < since) continue;
    const node = byId.get(profile.samples[i]!)!;
    if (node.callFrame.functionName === '(idle)') {
      idle += delta;
      continue;
    }
    busy += delta;
    const key = keyOf(node);
    const entry = self.get(key) ?? { frame: node.callFrame, us: 0 };
    entry.us += delta;
    self.set(key, entry);
    let owner: string | undefined;
    for (let id: number | undefined = node.id; id !== undefined && owner === undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      const name = packageOf(frame.url, frame.functionName);
      if (OWNERS.has(name)) owner = name === 'router' ? 'express' : name;
    }
    if (owner === undefined) {
      // No owner on the stack: a WebCrypto job finishing (jose's verify) is still the guard's work.
      for (let id: number | undefined = node.id; id !== undefined && owner === undefined; id = parent.get(id)) {
        const frame = byId.get(id)!.callFrame;
        const name = packageOf(frame.url, frame.functionName);
        if (name === 'jose' || name === 'node:internal/crypto') owner = `${name} (async completion)`;
      }
    }
    owner ??= packageOf(node.callFrame.url, node.callFrame.functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + delta);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const ancestor = byId.get(id)!;
      const ancestorKey = keyOf(ancestor);
      if (seen.has(ancestorKey)) continue;
      seen.add(ancestorKey);
      const agg = inclusive.get(ancestorKey) ?? { frame: ancestor.callFrame, us: 0 };
      agg.us += delta;
      inclusive.set(ancestorKey, agg);
    }
  }
  const toTime = ({ frame, us }: { frame: CallFrame; us: number }): FunctionTime => ({
    name: frame.functionName || '(anonymous)',
    location: shortLocation(frame),
    package: packageOf(frame.url, frame.functionName),
    ms: us / 1000,
    percent: busy === 0 ? 0 : (100 * us) / busy,
  });
  const packages = new Map<string, number>();
  for (const entry of self.values()) {
    const name = packageOf(entry.frame.url, entry.frame.functionName);
    packages.set(name, (packages.get(name) ?? 0) + entry.us);
  }
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    topSelf: [...self.values()].sort((a, b) => b.us - a.us).slice(0, top).map(toTime),
    byPackage: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ package: name, ms: us / 1000, percent: busy === 0 ? 0 : (100 * us) / busy })),
    byOwner: [...owners.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([owner, us]) => ({ owner, ms: us / 1000, percent: busy === 0 ? 0 : (100 * us) / busy })),
    inclusive: [...inclusive.values()]
      .filter(({ frame }) => packageOf(frame.url, frame.functionName) === 'resource-guard')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map(toTime),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const lines: string[] = [];
  lines.push(`busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms`);
  lines.push('', 'Top self time:', '| % | ms | function | where |', '| ---: | ---: | --- | --- |');
  for (const f of summary.topSelf) lines.push(`| ${f.percent.toFixed(1)} | ${f.ms.toFixed(0)} | \`${f.name}\` | ${f.location || f.package} |`);
  lines.push('', 'Time by nearest owner (resource-guard = the guard and what it calls, not the route after it):', '| % | ms | owner |', '| ---: | ---: | --- |');
  for (const o of summary.byOwner.slice(0, 8)) lines.push(`| ${o.percent.toFixed(1)} | ${o.ms.toFixed(0)} | ${o.owner} |`);
  lines.push('', 'Self time by package:', '| % | ms | package |', '| ---: | ---: | --- |');
  for (const p of summary.byPackage.slice(0, 12)) lines.push(`| ${p.percent.toFixed(1)} | ${p.ms.toFixed(0)} | ${p.package} |`);
  if (summary.inclusive.length > 0) {
    lines.push('', 'resource-guard functions, inclusive time (self + callees):', '| % | ms | function | where |', '| ---: | ---: | --- | --- |');
    for (const f of summary.inclusive) lines.push(`| ${f.percent.toFixed(1)} | ${f.ms.toFixed(0)} | \`${f.name}\` | ${f.location} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (file === undefined) {
    console.error('usage: node --import tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--since µs]');
    process.exit(2);
  }
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : Number(args[i + 1]);
  };
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(formatSummary(summarizeProfile(profile, { top: option('--top') ?? 15, since: option('--since') })));
}
