/**
 * Command-line options of the bench scripts: `--name value` pairs and bare `--flags`. A
 * number that is not one (or is out of range) stops the script with a message naming the
 * option, instead of a run that measures nothing.
 */
export interface NumberRule {
  /** Whole numbers only. */
  integer?: boolean;
  /** The smallest value allowed (default 1). */
  min?: number;
  /** Above 0, not just at least `min` (durations). */
  positive?: boolean;
}

export function argsOf(argv: string[]) {
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  return {
    flag: (name: string) => argv.includes(name),
    option,
    /** `--name <n>`, or `fallback` when the option is absent. */
    number(name: string, fallback: number, { integer = false, min = 1, positive = false }: NumberRule = {}): number {
      const raw = option(name);
      if (raw === undefined) return fallback;
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value) || value < min || (positive && value <= 0) || (integer && !Number.isInteger(value))) {
        const bound = positive ? 'above 0' : `of at least ${min}`;
        throw new TypeError(`${name} must be ${integer ? 'a whole number' : 'a number'} ${bound} (got ${JSON.stringify(raw)})`);
      }
      return value;
    },
  };
}
