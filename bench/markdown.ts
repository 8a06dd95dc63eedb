/**
 * `bench/RESULTS.md` from one run's record.
 */
import { CACHE_FILL, LARGE_POOL_SIZE, POOL_SIZE } from './cells.js';
import { affinitySummary, markdownTable, microTable, roundsTable, type Cell, type RunRecord } from './report.js';
import type { MiddlewareId } from './server.js';

const signed = (n: number) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(0)}`;

const measured = (run: RunRecord, scenario: string, middleware: MiddlewareId): Cell | undefined =>
  run.cells.find((c) => c.scenario === scenario && c.middleware === middleware && c.result !== undefined);

/**
 * What the figures of this run say, in sentences computed from them (so they stay true when
 * the numbers move). Interpretation that needs a human goes in the report of the issue.
 */
export function findings(run: RunRecord): string[] {
  const out: string[] = [];
  const flagged = run.cells.filter((c) => c.flags.length > 0);
  if (flagged.length > 0) {
    out.push(
      `${flagged.length} of ${run.cells.filter((c) => c.result !== undefined).length} measured cells are FLAGGED ` +
        `(${[...new Set(flagged.flatMap((c) => c.flags.map((f) => f.replace(/[\d.]+ cores/, 'N cores').replace(/×\d+/g, ''))))].join('; ')}): ` +
        'read their ratios as indications only, and re-run on a quiet machine before drawing conclusions from them.',
    );
  }
  const saturated = run.cells.filter((c) => c.middleware === 'none' && c.result !== undefined && c.result.loaderCpu > 0.9);
  if (saturated.length > 0) {
    out.push(
      `The load generator used a full core in ${saturated.map((c) => c.scenario).join(', ')} (a): bare Express may be faster than measured, ` +
        'so ratios to (a) are optimistic there.',
    );
  }
  const mem = run.memory;
  if (mem !== undefined && mem.rs256.cacheEntries < mem.rs256.tokens) {
    out.push(
      `**The default token cache cannot hold ${mem.rs256.tokens.toLocaleString('en')} RS256 tokens.** After ${mem.rs256.tokens.toLocaleString('en')} distinct ` +
        `${mem.rs256.tokenLength}-character RS256 tokens only ${mem.rs256.cacheEntries.toLocaleString('en')} entries stay: the ${(mem.maxBytes / 2 ** 20).toFixed(0)} MiB byte bound ` +
        `binds before \`maxEntries\` (${mem.maxEntries.toLocaleString('en')}), although the heap grows only ${mem.rs256.heapBytesPerEntry.toFixed(0)} bytes per entry. ` +
        `A round robin over ${POOL_SIZE.toLocaleString('en')} distinct tokens then evicts every token (least recently used first) before it comes back: ` +
        'in `pool-RS256` resource-guard verifies every request in full and pays the hash, the `AuthInfo` build and the cache insertion and eviction on top.',
    );
  }
  const deltas: string[] = [];
  for (const scenario of run.scenarios) {
    const e = measured(run, scenario.id, 'resource-guard');
    const floor = measured(run, scenario.id, scenario.floor);
    if (e === undefined || floor === undefined) continue;
    const delta = e.result!.cpuPerRequest - floor.result!.cpuPerRequest;
    deltas.push(`\`${scenario.id}\` ${signed(delta)} µs (${(e.result!.cpuPerRequest / floor.result!.cpuPerRequest).toFixed(2)}×)`);
  }
  if (deltas.length > 0) {
    out.push(`Server CPU per request, resource-guard minus the floor of the same scenario ((b), or (f) for opaque tokens): ${deltas.join(', ')}.`);
  }
  for (const alg of ['RS256', 'ES256', 'EdDSA']) {
    const b = measured(run, `pool-${alg}`, 'jose');
    const c = measured(run, `pool-${alg}`, 'auth0');
    if (b !== undefined && c !== undefined && c.result!.cpuPerRequest * 1.05 < b.result!.cpuPerRequest) {
      out.push(
        `In \`pool-${alg}\` the peer (c) express-oauth2-jwt-bearer beats the jose floor (b) (${c.result!.cpuPerRequest.toFixed(0)} vs ${b.result!.cpuPerRequest.toFixed(0)} µs of server CPU per request): ` +
          "it bundles jose 4, whose Node build verifies with node:crypto's one-shot `crypto.verify(alg, data, keyObject, sig, callback)`, while jose 6 " +
          '(the floor) goes through WebCrypto `subtle.verify`, which on Node 20 adds a JavaScript layer per call (algorithm normalisation, ' +
          'WebIDL conversions, CryptoKey checks, a job object). Both run the signature check itself on the libuv pool; resource-guard uses the one-shot call too (`src/jwt/signature.ts`). ' +
          'A floor built on jose 6 is not the cheapest per-request check on this Node version.',
      );
    }
  }
  if (run.micro !== undefined) {
    const rows = run.micro;
    const parts: string[] = [];
    for (const alg of ['RS256', 'ES256', 'EdDSA']) {
      const jose = rows.find((r) => r.alg === alg && r.case.startsWith('jose'));
      const cold = rows.find((r) => r.alg === alg && r.case.includes('cold'));
      const none = rows.find((r) => r.alg === alg && r.case.includes('tokenCache: false'));
      const hot = rows.find((r) => r.alg === alg && r.case.includes('hot'));
      if (jose && cold && none && hot) {
        parts.push(
          `${alg}: jose ${jose.cpuUs.toFixed(0)} µs, guard without cache ${none.cpuUs.toFixed(0)} µs (${signed(none.cpuUs - jose.cpuUs)}), ` +
            `cold ${cold.cpuUs.toFixed(0)} µs (${signed(cold.cpuUs - jose.cpuUs)}), hot ${hot.cpuUs.toFixed(1)} µs`,
        );
      }
    }
    if (parts.length > 0) out.push(`In process, CPU per call with 16 in flight, the guard's own cost beside jose's: ${parts.join('; ')}.`);
  }
  const hot = run.micro?.find((r) => r.alg === 'RS256' && r.case.includes('hot'));
  for (const id of ['reuse-RS256', 'opaque']) {
    const e = measured(run, id, 'resource-guard');
    const a = measured(run, id, 'none') ?? measured(run, 'reuse-RS256', 'none');
    if (e === undefined || a === undefined || hot === undefined) continue;
    const delta = e.result!.cpuPerRequest - a.result!.cpuPerRequest;
    if (delta <= 0) continue;
    out.push(
      `\`${id}\`: a cached decision costs resource-guard ${hot.cpuUs.toFixed(1)} µs per \`guard.verify()\` in process (micro-benchmark, hot), yet its cell used ` +
        `${delta.toFixed(0)} µs more server CPU per request than bare Express (medians over the same rounds): the HTTP cell pays something the in-process ` +
        'benchmark does not see (issue 21, part 2; `npm run bench:profile` breaks it down).',
    );
  }
  for (const id of ['bad-signature', 'no-token']) {
    const reject = measured(run, id, 'resource-guard');
    const valid = measured(run, 'reuse-RS256', 'resource-guard');
    if (reject === undefined || valid === undefined) continue;
    const r = reject.result!;
    const v = valid.result!;
    if (r.rps >= v.rps && r.cpuPerRequest <= v.cpuPerRequest) continue;
    const profiled = run.profiles.some((p) => p.scenario === id);
    out.push(
      `\`${id}\`: resource-guard refuses at ${r.rps.toFixed(0)} req/s (${r.cpuPerRequest.toFixed(0)} µs CPU per request) against ${v.rps.toFixed(0)} req/s ` +
        `(${v.cpuPerRequest.toFixed(0)} µs) for a valid reused token${profiled ? '; the CPU profile below shows where the refusal spends it' : ''}.`,
    );
  }
  return out;
}

export function renderMarkdown(run: RunRecord, jsonPath: string): string {
  const m = run.meta as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const out: string[] = [];
  out.push('# resource-guard benchmark results', '');
  out.push(`Generated by \`${m.command}\` on ${m.date} (${m.seconds} s); raw data: [\`${jsonPath}\`](${jsonPath.replace(/^bench\//, '')}). How to run and read this: [README.md](README.md).`, '');
  out.push(
    `Machine: ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; commit ${m.commit}. ` +
      `Versions: ${Object.entries(m.versions as Record<string, string>).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
  );
  const affinity = affinitySummary(run.cells);
  out.push(
    `**CPU pinning:** ${(m.pinning?.description as string | undefined) ?? 'not recorded'}.` +
      (affinity === undefined ? '' : ` Checked in \`/proc/<pid>/task/*/status\` after each cell's first window: ${affinity}.`),
    '',
  );
  out.push('## Where we stand', '');
  out.push(
    `Every verdict is judged on the server's CPU time per answered request (every thread), as the median of per-round ratios over ${m.settings.rounds} rounds: ` +
      "round r of resource-guard's cell against round r of the reference, each round in fresh server processes. A figure is \"times as cheap\" (the reference's CPU ÷ ours): higher is better. " +
      'req/s ratios are printed beside it, not judged.',
    '',
    '| issue | target | verdict | measured |',
    '| --- | --- | --- | --- |',
  );
  for (const t of run.targets) out.push(`| ${t.issue} | ${t.text} | **${t.verdict}** | ${t.detail} |`);
  out.push('');
  const notes = findings(run);
  if (notes.length > 0) {
    out.push('## What the figures say', '');
    for (const note of notes) out.push(`- ${note}`);
    out.push('');
  }
  out.push('## HTTP', '');
  out.push(
    `${m.settings.rounds} rounds; in each, every cell runs once in a fresh server process (${(m.pinning?.description as string | undefined) ?? 'pinning not recorded'}): the scenarios in the table's order, within each bare Express, resource-guard, the floor, then the peers; every other round backwards. ` +
      `Load: autocannon in a child process of its own, ${m.settings.connections} connections, keep-alive. ` +
      `Timed scenarios: ${m.settings.warmup} s warm-up, then ${m.settings.duration} s measured, per round. ` +
      `\`pool-*\`: 2,000 other tokens of warm-up, then ${Number(m.settings.poolPerRound).toLocaleString('en')} tokens per round, so each of the ${POOL_SIZE.toLocaleString('en')} is measured once over the run. ` +
      `\`pool100k-RS256\`: each round takes a new window of the ${LARGE_POOL_SIZE.toLocaleString('en')} tokens; resource-guard warms up on ${CACHE_FILL.toLocaleString('en')} of them (more than its token cache holds, so the cache is full and every measured token evicts one), the others on the last 2,000 of those, then all measure the same ${Number(m.settings.largePerRound).toLocaleString('en')} tokens. ` +
      'Figures are medians over rounds (requests and statuses summed); ratios are medians of per-round ratios: ×(a) to bare Express with the same header (the `reuse-RS256` cell where a scenario has none), ×floor to the hand-written per-request check of the same scenario ((b) jose for JWTs, (f) introspection for opaque tokens); for latency, CPU and RSS lower is better. ' +
      "`CPU µs/req` is the server process's CPU time (every thread: main, libuv pool, GC, compiler) per answered request, read by the server itself (`process.cpuUsage()`) just before and after the window. " +
      "Notes: `cpu srv` = server cores used, `load` = load generator, `other` = the rest of the machine, and in brackets what other processes took of the server's own CPU (noise that competed with it).",
    '',
  );
  out.push(markdownTable(run.cells), '');
  out.push('### Server CPU µs per request, round by round', '', 'Each round is a fresh server process; "spread" is half the range over the median.', '');
  out.push(roundsTable(run.cells, true), '');
  if (run.micro !== undefined) {
    out.push('## In-process micro-benchmark', '');
    out.push('`guard.verify()` against `jose.jwtVerify` with a local `KeyObject`, no HTTP. µs per call after a warm-up.', '');
    out.push(microTable(run.micro, true), '');
  }
  if (run.memory !== undefined) {
    const mem = run.memory;
    out.push('## Memory', '');
    out.push(
      `Default token cache: ${mem.maxEntries.toLocaleString('en')} entries, ${(mem.maxBytes / 2 ** 20).toFixed(0)} MiB. Heap figures are after a forced GC.`,
      '',
      `- RS256 (${mem.rs256.tokenLength}-char tokens): ${mem.rs256.cacheEntries.toLocaleString('en')} of ${mem.rs256.tokens.toLocaleString('en')} distinct tokens stay cached; ` +
        `the heap grows ${mem.rs256.heapBytesPerEntry.toFixed(0)} bytes per entry (RSS ${mem.rs256.rssBytesPerEntry.toFixed(0)}, which includes memory V8 reserved and has not returned).`,
      `- HS256 (${mem.bounded.tokenLength}-char tokens, cheap to mint, same cache entries): ${mem.bounded.heapBytesPerEntry.toFixed(0)} heap bytes per entry.`,
      '',
      '| distinct tokens verified | cached entries | RSS MiB | heap MiB | s |',
      '| ---: | ---: | ---: | ---: | ---: |',
      ...mem.bounded.checkpoints.map(
        (c) => `| ${c.tokens.toLocaleString('en')} | ${c.cacheEntries.toLocaleString('en')} | ${(c.rss / 2 ** 20).toFixed(1)} | ${(c.heapUsed / 2 ** 20).toFixed(1)} | ${c.seconds.toFixed(1)} |`,
      ),
      '',
    );
  }
  if (run.profiles.length > 0) {
    out.push('## CPU profiles of the cells that miss', '');
    for (const p of run.profiles) {
      out.push(`### resource-guard, ${p.scenario} (${p.rps.toFixed(0)} req/s under \`--cpu-prof\`; measured window only)`, '');
      const s = p.summary;
      out.push(`Busy ${s.busyMs.toFixed(0)} ms, idle ${s.idleMs.toFixed(0)} ms of the main thread.`, '');
      out.push('Top self time:', '', '| % | ms | function | where |', '| ---: | ---: | --- | --- |');
      for (const f of s.topSelf) out.push(`| ${f.percent.toFixed(1)} | ${f.ms.toFixed(0)} | \`${f.name}\` | ${f.location || f.package} |`);
      out.push('', 'Time by nearest owner (resource-guard = the guard and what it calls — jose, node:crypto — not the route after it; express = Express, the router, the handler and the response):', '', '| % | ms | owner |', '| ---: | ---: | --- |');
      for (const o of s.byOwner.slice(0, 8)) out.push(`| ${o.percent.toFixed(1)} | ${o.ms.toFixed(0)} | ${o.owner} |`);
      out.push('', 'Self time by package:', '', '| % | ms | package |', '| ---: | ---: | --- |');
      for (const q of s.byPackage.slice(0, 10)) out.push(`| ${q.percent.toFixed(1)} | ${q.ms.toFixed(0)} | ${q.package} |`);
      if (s.inclusive.length > 0) {
        out.push('', 'resource-guard functions, inclusive time (a middleware frame also holds the route Express runs from inside it):', '', '| % | ms | function | where |', '| ---: | ---: | --- | --- |');
        for (const f of s.inclusive.slice(0, 10)) out.push(`| ${f.percent.toFixed(1)} | ${f.ms.toFixed(0)} | \`${f.name}\` | ${f.location} |`);
      }
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}
