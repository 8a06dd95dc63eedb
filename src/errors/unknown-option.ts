/**
 * Strict option names: every options object the package accepts is compared with the names
 * its factory knows, so a typo (`clockTolerence`, `introspection.clientID`) is a `TypeError` at
 * creation instead of an option silently left at its default. In a security library a typo
 * must never quietly turn a check off.
 *
 * The message names the unknown key and the closest known name, by edit distance
 * (Damerau–Levenshtein, case-insensitive); without a close one it lists the known names:
 * `createGuard(): unknown option "clockTolerence"; did you mean "clockTolerance"?`
 *
 * Each factory keeps its list beside its options type, built with {@link optionNames} from a
 * record the compiler checks against that type: adding an option to the type without adding
 * it to the list does not compile.
 */

/**
 * The names of `T`'s options, for {@link checkOptionNames}. The record must name every key of
 * `T` and nothing else, which TypeScript enforces; the values are only there to be written.
 *
 * @example
 * ```ts
 * export const MEMORY_STORE_OPTIONS = optionNames<MemoryStoreOptions>({ maxEntries: true, maxBytes: true });
 * ```
 */
export function optionNames<T extends object>(names: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.freeze(Object.keys(names));
}

/**
 * Throws a `TypeError` for the first own key of `options` that is not in `known`. `factory` is
 * how the message names the caller (`'createGuard()'`), `path` the nested object's place in
 * it (`'introspection.'`). Symbols are not option names and are ignored.
 */
export function checkOptionNames(options: object, known: readonly string[], factory: string, path = ''): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(unknownOptionMessage(key, known, factory, path));
  }
}

/** Longest key quoted back in a message: option objects may come from files or the environment. */
const MAX_QUOTED = 64;

function unknownOptionMessage(key: string, known: readonly string[], factory: string, path: string): string {
  const quoted = JSON.stringify(path + (key.length > MAX_QUOTED ? `${key.slice(0, MAX_QUOTED)}…` : key));
  const suggestion = closestName(key, known);
  if (suggestion !== undefined) return `${factory}: unknown option ${quoted}; did you mean ${JSON.stringify(path + suggestion)}?`;
  return `${factory}: unknown option ${quoted}; known options: ${known.map((name) => path + name).join(', ')}`;
}

/**
 * The known name nearest to `key`, when it is near enough to be what was meant: at most two
 * edits, or two fifths of the key's length for longer names (`clientSecrt`, `maxConcurency`),
 * or one name starting with the other (`dpopProof`, `aud`). Ties go to the name listed first.
 */
export function closestName(key: string, known: readonly string[]): string | undefined {
  const wanted = key.toLowerCase();
  const limit = Math.max(2, Math.floor(wanted.length * 0.4));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const lower = name.toLowerCase();
    const prefix = Math.min(lower.length, wanted.length) >= 3 && (wanted.startsWith(lower) || lower.startsWith(wanted));
    const distance = Math.min(editDistance(wanted, lower), prefix ? limit : Infinity);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbours (`recieve`) each cost one. Keys longer than a few dozen characters are no typo of
 * an option name; they are cut so a hostile key costs no more than a short one.
 */
function editDistance(a: string, b: string): number {
  const s = a.slice(0, MAX_QUOTED);
  const t = b.slice(0, MAX_QUOTED);
  // Three rows: the one before the previous (for swaps), the previous, the current.
  let before: number[] = [];
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      current.push(value);
    }
    before = previous;
    previous = current;
  }
  return previous[t.length]!;
}
