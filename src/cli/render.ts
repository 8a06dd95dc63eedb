/**
 * How doctor's report reads: on a terminal, coloured marks as each check completes; piped or
 * with `NO_COLOR`, the same lines with plain `[ok]`/`[FAIL]` tags, so logs and scripts can
 * grep them; with `--json`, one JSON document at the end. Titles, labels and details are
 * escaped here (`escape.ts`), before the styling adds the report's own sequences.
 */
import { escapeControls } from './escape.js';
import type { Check, CheckStatus, DoctorReport, DoctorSink, Section } from './report.js';

export interface Output {
  write(text: string): void;
}

interface Style {
  mark(status: CheckStatus): string;
  title(text: string): string;
  dim(text: string): string;
}

function styleFor(color: boolean): Style {
  const sgr = (open: number, close: number) => (text: string) => (color ? `\x1b[${open}m${text}\x1b[${close}m` : text);
  const green = sgr(32, 39);
  const red = sgr(31, 39);
  const yellow = sgr(33, 39);
  const dim = sgr(2, 22);
  const marks: Record<CheckStatus, string> = color
    ? { ok: green('✔'), fail: red('✘'), warn: yellow('!'), info: dim('·') }
    : { ok: '[ok]  ', fail: '[FAIL]', warn: '[warn]', info: '[info]' };
  return { mark: (status) => marks[status], title: sgr(1, 22), dim };
}

/** Streams sections and checks as they come. */
export function terminalSink(out: Output, color: boolean): DoctorSink & { summary(report: DoctorReport): void } {
  const style = styleFor(color);
  const pad = color ? '  ' : '       ';
  return {
    section(section: Section) {
      out.write(`\n${style.title(escapeControls(section.title))}\n`);
    },
    check(_section: Section, check: Check) {
      out.write(`  ${style.mark(check.status)} ${escapeControls(check.label)}\n`);
      for (const line of check.detail ?? []) out.write(`  ${pad}${style.dim(escapeControls(line))}\n`);
    },
    summary(report: DoctorReport) {
      const failures = report.sections.flatMap((s) => s.checks).filter((c) => c.status === 'fail').length;
      const warnings = report.sections.flatMap((s) => s.checks).filter((c) => c.status === 'warn').length;
      const tail = warnings > 0 ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : '';
      out.write('\n');
      if (color) {
        out.write(report.ok ? `${style.mark('ok')} ${style.title('all checks passed')}${tail}\n` : `${style.mark('fail')} ${style.title(`${failures} problem${failures === 1 ? '' : 's'} found`)}${tail}\n`);
      } else {
        out.write(report.ok ? `RESULT: ok${tail}\n` : `RESULT: FAIL (${failures} problem${failures === 1 ? '' : 's'}${tail})\n`);
      }
    },
  };
}

/** Collects nothing while running: the report is printed once, as JSON. */
export const silentSink: DoctorSink = { section: () => undefined, check: () => undefined };
