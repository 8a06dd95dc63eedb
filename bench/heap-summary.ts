/**
 * Summarises a sampling heap profile (V8's `HeapProfiler.startSampling`, with the objects GC
 * already freed counted: what was allocated, not what stayed) into bytes by function, by
 * package and by nearest owner, like profile-summary.ts does for CPU time. The sizes are
 * V8's estimates from samples (one per 16 KiB allocated on average, see server.ts), scaled
 * to the whole allocation.
 */
import { OWNERS, packageOf, shortLocation, type CallFrame } from './profile-summary.js';

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  id: number;
  children: HeapNode[];
}

/** What `HeapProfiler.stopSampling` answers (its `profile`). */
export interface HeapProfile {
  head: HeapNode;
}

export interface Allocation {
  name: string;
  location: string;
  package: string;
  bytes: number;
}

export interface HeapSummary {
  totalBytes: number;
  byFunction: Allocation[];
  byPackage: Array<{ package: string; bytes: number }>;
  /** Each allocation charged to the nearest resource-guard, Express or bench frame on its stack. */
  byOwner: Array<{ owner: string; bytes: number }>;
}

const sorted = <T extends { bytes: number }>(items: Iterable<T>) => [...items].sort((a, b) => b.bytes - a.bytes);

export function summarizeHeap(profile: HeapProfile, top = 20): HeapSummary {
  const functions = new Map<string, Allocation>();
  const packages = new Map<string, number>();
  const owners = new Map<string, number>();
  let totalBytes = 0;
  const walk = (node: HeapNode, owner: string | undefined) => {
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    const own = OWNERS.has(pkg) ? (pkg === 'router' ? 'express' : pkg) : undefined;
    // The nearest owner is the innermost one: a frame's own package wins over its callers'.
    const nearest = own ?? owner;
    if (node.selfSize > 0) {
      totalBytes += node.selfSize;
      const name = node.callFrame.functionName || '(anonymous)';
      const location = shortLocation(node.callFrame);
      const key = `${name}\u0000${location}`;
      const entry = functions.get(key) ?? { name, location, package: pkg, bytes: 0 };
      entry.bytes += node.selfSize;
      functions.set(key, entry);
      packages.set(pkg, (packages.get(pkg) ?? 0) + node.selfSize);
      const charged = nearest ?? pkg;
      owners.set(charged, (owners.get(charged) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, nearest);
  };
  walk(profile.head, undefined);
  return {
    totalBytes,
    byFunction: sorted(functions.values()).slice(0, top),
    byPackage: sorted([...packages].map(([name, bytes]) => ({ package: name, bytes }))),
    byOwner: sorted([...owners].map(([owner, bytes]) => ({ owner, bytes }))),
  };
}
