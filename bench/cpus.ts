/**
 * CPU pinning: the server under test on one CPU, the load generator on another, every thread
 * of each (`taskset -c <cpu> node …`, so the libuv pool, V8's GC and compiler threads start
 * pinned too). Unpinned, the two trade cores and the same cell moved by ±30 % between server
 * processes (issue 21); pinned, the server's CPU time per request is its own work.
 *
 * Pinning needs Linux, `taskset` (util-linux) and two CPUs this process may use
 * (`os.availableParallelism()` and the affinity in `/proc/self/status`). Anything less runs
 * unpinned and says why. Other processes can still run on either CPU: the harness measures
 * how much they took (`otherOnServerCpu`) and flags the cell.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export type Pinning =
  | { pinned: true; serverCpu: number; loaderCpu: number; description: string }
  | { pinned: false; serverCpu?: undefined; loaderCpu?: undefined; description: string };

/** `0-1,4` → [0, 1, 4]. */
export function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.trim().split(',')) {
    if (part === '') continue;
    const [from, to = from] = part.split('-').map(Number);
    if (!Number.isInteger(from) || !Number.isInteger(to)) continue;
    for (let cpu = from!; cpu <= to!; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs a process (or one of its threads) may run on, from `/proc`; undefined off Linux. */
export function allowedCpus(statusFile = '/proc/self/status'): number[] | undefined {
  try {
    const line = readFileSync(statusFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Cpus_allowed_list:'));
    return line === undefined ? undefined : parseCpuList(line.slice(line.indexOf(':') + 1));
  } catch {
    return undefined;
  }
}

/** `taskset` is installed and may pin to `cpu` here (a container can forbid changing affinity). */
function canPin(cpu: number): boolean {
  const probe = spawnSync('taskset', ['-c', String(cpu), 'true'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/** Where the server and the load generator will run; `disabled` is `--no-pin`. */
export function planPinning(disabled = false): Pinning {
  if (disabled) return { pinned: false, description: 'not pinned (--no-pin): server and load generator share every CPU' };
  const allowed = allowedCpus();
  const parallelism = availableParallelism();
  if (allowed === undefined) return { pinned: false, description: 'not pinned: no /proc/self/status (not Linux)' };
  if (parallelism < 2 || allowed.length < 2) {
    return { pinned: false, description: `not pinned: this process may use ${allowed.length} CPU (${parallelism} available), pinning needs 2` };
  }
  const [serverCpu, loaderCpu] = allowed as [number, number];
  if (!canPin(serverCpu) || !canPin(loaderCpu)) {
    return { pinned: false, description: 'not pinned: `taskset` (util-linux) is not installed or may not set CPU affinity here' };
  }
  return {
    pinned: true,
    serverCpu,
    loaderCpu,
    description: `pinned: each server process on CPU ${serverCpu}, the load generator on CPU ${loaderCpu}, every thread (taskset -c)`,
  };
}

/** The command that starts `node <execArgv> <script>`, on `cpu` when one is given. */
export function nodeCommand(cpu: number | undefined, execArgv: string[], script: string): { command: string; args: string[] } {
  const node = [...execArgv, script];
  return cpu === undefined ? { command: process.execPath, args: node } : { command: 'taskset', args: ['-c', String(cpu), process.execPath, ...node] };
}

/**
 * The CPUs each thread of `pid` may use, e.g. `{ threads: 11, cpus: '0' }`: what the pinning
 * actually did (threads created after the check inherit their creator's set).
 */
export function threadAffinity(pid: number): { threads: number; cpus: string } | undefined {
  try {
    const sets = new Set<string>();
    const tasks = readdirSync(`/proc/${pid}/task`);
    for (const task of tasks) {
      const cpus = allowedCpus(`/proc/${pid}/task/${task}/status`);
      if (cpus !== undefined) sets.add(cpus.join(','));
    }
    return { threads: tasks.length, cpus: [...sets].join(' | ') };
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies per CPU (and `all`), from `/proc/stat`; undefined off Linux. */
export function cpuTimes(): Map<string, { busy: number; total: number }> | undefined {
  try {
    const times = new Map<string, { busy: number; total: number }>();
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      if (!line.startsWith('cpu')) continue;
      const [name, ...fields] = line.trim().split(/\s+/);
      const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields.map(Number);
      const busy = user + nice + system + irq + softirq + steal;
      times.set(name === 'cpu' ? 'all' : name!.slice(3), { busy, total: busy + idle + iowait });
    }
    return times;
  } catch {
    return undefined;
  }
}

/** Cores `which` ('all' or a CPU number) was busy between two {@link cpuTimes} readings, over `seconds`. */
export function busyCores(
  before: ReturnType<typeof cpuTimes>,
  after: ReturnType<typeof cpuTimes>,
  which: string,
  cpuCount: number,
): number | undefined {
  const a = before?.get(which);
  const b = after?.get(which);
  if (a === undefined || b === undefined) return undefined;
  // A share of the jiffies that passed, times the CPUs counted in that line.
  return ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * (which === 'all' ? cpuCount : 1);
}

/** Clock ticks per second of `/proc/<pid>/task/<tid>/stat` (USER_HZ: 100 on every common Linux build). */
const USER_HZ = 100;

/**
 * CPU µs (user + system) each thread of `pid` has used, by thread id, from `/proc` (10 ms
 * resolution): the main thread's id is the pid; Node 20 leaves its other threads (libuv
 * pool, V8's GC and compiler helpers) unnamed, so they can only be told apart from it.
 */
export function threadCpu(pid: number): Map<number, number> | undefined {
  try {
    const times = new Map<number, number>();
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces) start at field 3: utime is 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      times.set(Number(task), ((Number(fields[11]) + Number(fields[12])) * 1e6) / USER_HZ);
    }
    return times;
  } catch {
    return undefined;
  }
}
