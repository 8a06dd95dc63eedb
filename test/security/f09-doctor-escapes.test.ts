/**
 * Finding 9: `resource-guard doctor` printed token fields raw. A token's `kid`, `iss` or
 * `typ` (and a fetched metadata document's `issuer`) could carry terminal escape sequences
 * that clear the screen or print a fake "all checks passed", even with `--no-color`; and
 * `--json` only escapes C0 controls, so a C1 CSI (U+009B) went out raw there.
 *
 * Now every byte the CLI prints from a token or a document has its C0 and C1 controls, DEL
 * and bidirectional overrides escaped (`\x1b`, `\x9b`, `\u202e`): in plain, coloured and JSON
 * output alike. The CLI runs as a child process, as a user runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorChild as doctor, tokenFile } from '../support/doctor.js';
import { startFaultServer, type FaultServer } from '../support/fault-server.js';

const audience = 'https://api.example.com';

/** Clear the screen, home the cursor, print a green "all checks passed", then hide what follows. */
const FAKE = '\x1b[2J\x1b[H\x1b[32m✔ all checks passed\x1b[8m';
/** The same through C1 controls (CSI, OSC) and a bidi override, which JSON.stringify leaves raw. */
const FAKE_C1 = '\x9b2J\x9d0;pwned\x07\u202edessap\x7f';


/** No control character a terminal acts on, nor a bidi override; tab and newline are the CLI's own layout. */
function expectInert(text: string): void {
  const found = [...text].filter((c) => /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(c) && c !== '\x1b');
  expect(found.map((c) => c.codePointAt(0)!.toString(16))).toEqual([]);
}

let as: FaultServer;
beforeAll(async () => {
  as = await startFaultServer();
});
afterAll(() => as?.close());

describe('doctor escapes what tokens and documents say', () => {
  const hostile = () =>
    tokenFile(
      as.mintJwt({
        kid: `${FAKE}\n${FAKE_C1}`,
        header: { typ: `at+jwt${FAKE}` },
        claims: { iss: `${as.issuer}${FAKE_C1}`, aud: `${audience}\n✔ aud ok ${FAKE}`, scope: `read ${FAKE}` },
      }),
    );

  it('the attack, plain output (--no-color): no escape sequence reaches the terminal, each shows escaped', async () => {
    const run = await doctor(['--issuer', as.issuer, '--audience', audience, '--token-file', hostile(), '--no-color']);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('\x1b');
    expectInert(run.stdout);
    expect(run.stdout).toContain('\\x1b[2J\\x1b[H\\x1b[32m✔ all checks passed\\x1b[8m');
    expect(run.stdout).toContain('\\x9b2J\\x9d0;pwned\\x07\\u202edessap\\x7f');
    // The forged newline stays inside its line: no line of the report starts with the fake verdict.
    expect(run.stdout.split('\n').some((line) => /^\s*✔ (all checks passed|aud ok)/.test(line))).toBe(false);
    expect(run.stdout).toMatch(/RESULT: FAIL/);
  });

  it('coloured output: only the CLI\'s own SGR sequences (ESC [ n m) remain', async () => {
    // Colour needs a terminal; a child's stdout is a pipe, so this one drives main() with isTTY set.
    const { main } = await import('../../src/cli/main.js');
    let stdout = '';
    const code = await main(['doctor', '--issuer', as.issuer, '--audience', audience, '--token-file', hostile()], {
      stdout: { write: (t: string) => void (stdout += t), isTTY: true },
      stderr: { write: () => undefined },
      env: {},
      readStdin: () => '',
    });
    expect(code).toBe(1);
    const ownSgr = /\x1b\[\d+m/g;
    expect(stdout.match(ownSgr)?.length).toBeGreaterThan(0);
    const rest = stdout.replace(ownSgr, '');
    expect(rest).not.toContain('\x1b');
    expectInert(rest);
    expect(rest).toContain('\\x1b[2J');
  });

  it('--json: C1 controls, DEL and bidi overrides are \\u-escaped too; the document still parses back to the same text', async () => {
    const run = await doctor(['--issuer', as.issuer, '--audience', audience, '--token-file', hostile(), '--json']);
    expect(run.code).toBe(1);
    expectInert(run.stdout);
    expect(run.stdout).not.toContain('\x1b');
    const report = JSON.parse(run.stdout) as { sections: Array<{ id: string; data: { header?: { kid?: string } } }> };
    expect(report.sections.find((s) => s.id === 'token')!.data.header!.kid).toBe(`${FAKE}\n${FAKE_C1}`);
  });

  it('a fetched document: a metadata issuer with escape sequences is shown escaped', async () => {
    const other = await startFaultServer();
    try {
      other.setMetadata({ issuer: `${other.issuer}${FAKE}` });
      const run = await doctor(['--issuer', other.issuer, '--audience', audience, '--no-color']);
      expect(run.code).toBe(1);
      expect(run.stdout).not.toContain('\x1b');
      expectInert(run.stdout);
      expect(run.stdout).toContain('\\x1b[2J');
    } finally {
      await other.close();
    }
  });

  it('arguments echoed in usage errors are escaped as well', async () => {
    const run = await doctor(['--issuer', as.issuer, '--audience', audience, `--bogus${FAKE}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain('\x1b');
    expectInert(run.stderr);
  });
});
