/**
 * `memoryStore`: one budget (entries and bytes) for cached answers and replay marks, where a
 * replay mark is never dropped before its TTL (issue 17, finding 6) and cached answers give
 * way to marks, least recently used first.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryStore, StoreFullError } from '../../../src/store/memory.js';

afterEach(() => {
  vi.useRealTimers();
});

const MINUTE = 60_000;

describe('replay marks are never evicted', () => {
  it('default bounds: 10,000 marks, then StoreFullError; the first mark is still a replay', async () => {
    const store = memoryStore();
    expect(await store.setIfAbsent('captured', 'v', 5 * MINUTE)).toBe(true);
    for (let i = 1; i < 10_000; i++) expect(await store.setIfAbsent(`mark-${i}`, 'v', 5 * MINUTE)).toBe(true);
    const full = await store.setIfAbsent('one-more', 'v', 5 * MINUTE).catch((err: unknown) => err);
    expect(full).toBeInstanceOf(StoreFullError);
    expect(full).toMatchObject({ code: 'ERR_STORE_FULL', bounds: { maxEntries: 10_000, maxBytes: 8 * 1024 * 1024 } });
    expect((full as StoreFullError).retryAfter).toBeGreaterThanOrEqual(1);
    expect(await store.setIfAbsent('captured', 'v', 5 * MINUTE)).toBe(false);
    expect(store.size).toBe(10_000);
  });

  it('the byte bound holds the same way', async () => {
    const store = memoryStore({ maxEntries: 1_000, maxBytes: 1_000 });
    const value = 'x'.repeat(96); // (4 + 96) × 2 = 200 bytes with a 4-character key
    for (let i = 0; i < 5; i++) expect(await store.setIfAbsent(`k-0${i}`, value, MINUTE)).toBe(true);
    await expect(store.setIfAbsent('k-05', value, MINUTE)).rejects.toBeInstanceOf(StoreFullError);
    expect(store.bytes).toBe(1_000);
  });

  it('cached answers give way to marks, least recently used first; never the other way round', async () => {
    const store = memoryStore({ maxEntries: 3 });
    await store.set('cache-a', '1', MINUTE);
    await store.set('cache-b', '2', MINUTE);
    expect(await store.get('cache-a')).toBe('1'); // cache-b is now the least recently used
    expect(await store.setIfAbsent('mark-1', 'm', MINUTE)).toBe(true);
    expect(await store.setIfAbsent('mark-2', 'm', MINUTE)).toBe(true);
    expect([await store.get('cache-a'), await store.get('cache-b')]).toEqual(['1', undefined]);
    expect(await store.setIfAbsent('mark-3', 'm', MINUTE)).toBe(true);
    expect(await store.get('cache-a')).toBeUndefined();
    // Full of marks: a cached answer is not stored, and no mark is lost for it.
    await store.set('cache-c', '3', MINUTE);
    expect(await store.get('cache-c')).toBeUndefined();
    for (const mark of ['mark-1', 'mark-2', 'mark-3']) expect(await store.get(mark)).toBe('m');
    await expect(store.setIfAbsent('mark-4', 'm', MINUTE)).rejects.toBeInstanceOf(StoreFullError);
  });

  it('expired marks free their room, and Retry-After names when the earliest expires', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const store = memoryStore({ maxEntries: 2 });
    await store.setIfAbsent('early', 'm', 10_000);
    await store.setIfAbsent('late', 'm', 50_000);
    const full = (await store.setIfAbsent('new', 'm', MINUTE).catch((err: unknown) => err)) as StoreFullError;
    expect(full.retryAfter).toBe(10);
    vi.advanceTimersByTime(10_000);
    expect(await store.get('early')).toBeUndefined();
    expect(await store.setIfAbsent('new', 'm', MINUTE)).toBe(true);
    expect(await store.get('late')).toBe('m');
    // The same key again once expired is a first sighting.
    vi.advanceTimersByTime(MINUTE);
    expect(await store.setIfAbsent('late', 'm', MINUTE)).toBe(true);
  });

  it('delete releases a mark and its room; set replaces a mark with a cached value', async () => {
    const store = memoryStore({ maxEntries: 1 });
    expect(await store.setIfAbsent('k', 'a', MINUTE)).toBe(true);
    await store.delete('k');
    expect([store.size, store.bytes]).toEqual([0, 0]);
    expect(await store.setIfAbsent('k', 'b', MINUTE)).toBe(true);
    await store.set('k', 'c', MINUTE);
    expect(await store.get('k')).toBe('c');
    expect(await store.setIfAbsent('k', 'd', MINUTE)).toBe(false);
  });
});

describe('options', () => {
  it.each([0, -1, 1.5, Number.NaN, '10'])('maxEntries %j is a TypeError', (maxEntries) => {
    expect(() => memoryStore({ maxEntries: maxEntries as number })).toThrow(TypeError);
  });
});
