/**
 * The shape of doctor's report: sections of checks, each check a verdict on one thing. The
 * checks fill it in through an {@link Add}; `render.ts` prints it.
 */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info';

/** One line of the report: a verdict on one thing, with optional detail lines. */
export interface Check {
  status: CheckStatus;
  label: string;
  detail?: string[];
}

export interface Section {
  id: 'configuration' | 'discovery' | 'jwks' | 'token' | 'verdict';
  title: string;
  checks: Check[];
  /** Machine-readable facts, for `--json`. */
  data: Record<string, unknown>;
}

export interface DoctorReport {
  ok: boolean;
  sections: Section[];
}

/** Receives each section when it starts and each check as soon as it is known. */
export interface DoctorSink {
  section(section: Section): void;
  check(section: Section, check: Check): void;
}

/** Records one check in a section (and hands it to the sink). */
export type Add = (section: Section, status: CheckStatus, label: string, detail?: string[]) => void;
