/**
 * `npm run demo`: the walkthrough as a script. Tokens → 200, no token → 401 with
 * `WWW-Authenticate`, wrong scope → 403, opaque token via introspection → 200, signed
 * webhooks → 200, tampered → 401; one line per step, exit 1 when any status is not the
 * expected one.
 *
 * It runs against the example at `API_URL` (default http://127.0.0.1:3000) when that is the
 * example in embedded mode; otherwise it starts one itself, in this process, on ephemeral
 * ports, and stops it at the end. `runDemo()` is what the tests call.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createPaint, type Paint } from './colors.js';
import { DEMO_STEPS, type DemoContext } from './demo-steps.js';
import { DEV_KIT_PATH, type DevKit } from './dev-kit.js';

export interface DemoStepResult {
  name: string;
  expected: number;
  /** Absent when the step failed before getting an answer, or was skipped. */
  status?: number | undefined;
  ok: boolean;
  /** Why the step did not run; a skipped step is not a failure. */
  skipped?: string | undefined;
  note?: string | undefined;
  /** What was wrong besides (or instead of) the status. */
  problem?: string | undefined;
}

export interface DemoResult {
  ok: boolean;
  steps: DemoStepResult[];
}

export interface DemoOptions {
  /** The example API, e.g. `http://127.0.0.1:3000`. */
  apiUrl: string;
  /** Called as each step finishes, for live output. */
  onStep?: (step: DemoStepResult) => void;
}

/** The example is not there, or not in embedded mode (the demo needs its dev kit). */
export class DemoSetupError extends Error {
  override readonly name = 'DemoSetupError';
}

/** Fetches the example's dev kit; `undefined` when the API does not serve one. */
export async function fetchDevKit(apiUrl: string): Promise<DevKit | undefined> {
  try {
    const res = await fetch(`${apiUrl}${DEV_KIT_PATH}`, { signal: AbortSignal.timeout(3_000) });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    return (await res.json()) as DevKit;
  } catch {
    return undefined;
  }
}

/** Runs every step in order against the example at `apiUrl`. Never throws for a failed step. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const apiUrl = options.apiUrl.replace(/\/+$/, '');
  const kit = await fetchDevKit(apiUrl);
  if (kit === undefined) {
    throw new DemoSetupError(`${apiUrl} is not the example in embedded mode (no ${DEV_KIT_PATH}); start it with npm start and no ISSUER`);
  }
  const ctx: DemoContext = { apiUrl, kit, carried: {} };
  const steps: DemoStepResult[] = [];
  for (const step of DEMO_STEPS) {
    const base = { name: step.name, expected: step.expected };
    const skipped = step.skip?.(ctx);
    let result: DemoStepResult;
    if (skipped !== undefined) {
      result = { ...base, ok: true, skipped };
    } else {
      try {
        const outcome = await step.run(ctx);
        const problem = outcome.problem;
        result = { ...base, status: outcome.status, ok: outcome.status === step.expected && problem === undefined, note: outcome.note, problem };
      } catch (err) {
        result = { ...base, ok: false, problem: err instanceof Error ? err.message : String(err) };
      }
    }
    steps.push(result);
    options.onStep?.(result);
  }
  return { ok: steps.every((s) => s.ok), steps };
}

/** `✔ client_credentials token → GET /api/messages → 200`, and a dim note under it. */
export function formatStep(step: DemoStepResult, paint: Paint): string {
  if (step.skipped !== undefined) return `${paint.yellow('–')} ${step.name} ${paint.dim(`(skipped: ${step.skipped})`)}`;
  const status = step.status === undefined ? 'no answer' : String(step.status);
  if (step.ok) {
    const line = `${paint.green('✔')} ${step.name} → ${paint.bold(status)}`;
    return step.note ? `${line}\n    ${paint.dim(step.note)}` : line;
  }
  const expected = step.status === step.expected ? '' : ` (expected ${step.expected})`;
  const line = `${paint.red('✘')} ${step.name} → ${paint.bold(status)}${expected}`;
  return step.problem ? `${line}\n    ${paint.red(step.problem)}` : line;
}

async function main(): Promise<number> {
  const paint = createPaint(process.stdout);
  let apiUrl = (process.env.API_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  let close: (() => Promise<void>) | undefined;

  if ((await fetchDevKit(apiUrl)) === undefined) {
    console.log(paint.dim(`No example in embedded mode at ${apiUrl}: starting one on ephemeral ports for this run.`));
    // `npm run demo` does not build, and the example imports the package from dist/.
    if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
      console.error(`${paint.red('✘')} resource-guard is not built yet: run npm run build (npm start does it too)`);
      return 1;
    }
    // Loaded only here: running against an example that is already up needs none of it.
    const { startExample } = await import('./server.js');
    const example = await startExample({
      port: 0,
      authorizationServer: { mode: 'embedded', port: 0 },
      telnyxPublicKey: undefined,
      standardWebhookSecret: undefined,
    });
    apiUrl = example.apiUrl;
    close = () => example.close();
  }

  console.log(`${paint.bold('resource-guard demo')} against ${apiUrl}\n`);
  const started = performance.now();
  try {
    const result = await runDemo({ apiUrl, onStep: (step) => console.log(formatStep(step, paint)) });
    const failed = result.steps.filter((s) => !s.ok).length;
    const skipped = result.steps.filter((s) => s.skipped !== undefined).length;
    const ran = result.steps.length - skipped;
    const extra = paint.dim(`(${skipped > 0 ? `${skipped} skipped, ` : ''}${((performance.now() - started) / 1000).toFixed(1)} s)`);
    console.log(
      failed === 0
        ? `\n${paint.green(`All ${ran} steps behaved as expected`)} ${extra}`
        : `\n${paint.red(`${failed} of ${ran} steps did not behave as expected`)} ${extra}`,
    );
    return result.ok ? 0 : 1;
  } catch (err) {
    if (!(err instanceof DemoSetupError)) throw err;
    console.error(`${paint.red('✘')} ${err.message}`);
    return 1;
  } finally {
    await close?.();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
