/**
 * Running `resource-guard doctor` in tests: as a child process (what a user runs, colours and
 * exit code included) or in process through `main()` (faster, for cases that need no child),
 * and token files, as the docs recommend over `--token`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

/** What one run printed, and its exit code. */
export interface DoctorRun {
  code: number;
  stdout: string;
  stderr: string;
}

const ENTRY = 'src/cli/doctor.ts';

/** Runs the CLI as a child process (async: the servers the test started live in this process). */
export function doctorChild(args: string[], env: Record<string, string> = {}): Promise<DoctorRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', ENTRY, 'doctor', ...args],
      { env: { ...process.env, NO_COLOR: '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the CLI in this process (`args` after `doctor`). */
export async function doctorInProcess(args: string[]): Promise<DoctorRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['doctor', ...args], {
    stdout: { write: (t: string) => void (stdout += t) },
    stderr: { write: (t: string) => void (stderr += t) },
    env: {},
    readStdin: () => '',
  });
  return { code, stdout, stderr };
}

let dir: string | undefined;

/** Writes `token` to a fresh file and returns its path. */
export function tokenFile(token: string, name = `t${Math.random().toString(36).slice(2)}`): string {
  dir ??= mkdtempSync(join(tmpdir(), 'rg-doctor-'));
  const file = join(dir, name);
  writeFileSync(file, token);
  return file;
}
