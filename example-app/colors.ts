/**
 * ANSI colours for the example's console output, only where they help: on a terminal, unless
 * `NO_COLOR` is set (https://no-color.org) or the terminal is `dumb`. Piped output stays plain
 * so logs and tests read the same text a user sees.
 */
export interface Paint {
  readonly enabled: boolean;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

export function createPaint(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>> = process.env): Paint {
  const enabled = stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
  const sgr = (open: number, close: number) => (text: string) => (enabled ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  return {
    enabled,
    green: sgr(32, 39),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    bold: sgr(1, 22),
    dim: sgr(2, 22),
  };
}
