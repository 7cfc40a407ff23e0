/**
 * `npm run bench`: the performance figures of DESIGN.md ("Performance targets"), each beside its anchor
 * (AIDE from Debian's package, sha256sum) measured in the same run on the same trees, with machine info.
 * Prints a table and writes bench/results/latest.json. Not part of `npm test`.
 *
 * A benchmark is a file bench/benchmarks/<NN>-<name>.ts exporting `benchmark: Benchmark` (see
 * bench/lib/types.ts); files run in name order. `npm run bench -- --help` lists the options.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BenchContext, parseOptions, REPO } from './lib/context.ts';
import { machineInfo } from './lib/machine.ts';
import { profileText, summarizeProfiles, type ProfileSummary } from './lib/profile.ts';
import { costTable, table } from './lib/report.ts';
import { SelfProfiler } from './lib/self-profile.ts';
import type { Benchmark, Row } from './lib/types.ts';

const opts = parseOptions();
const ctx = new BenchContext(opts);
const machine = machineInfo(opts.workDir);
ctx.log(`${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.os}, work dir on ${machine.filesystem}`);

if (opts.profile) {
  ctx.selfProfiler = new SelfProfiler(ctx.profileDir);
  await ctx.selfProfiler.start('bench-script');
}

const dir = join(REPO, 'bench/benchmarks');
const files = readdirSync(dir)
  .filter((f) => /^\d+-.+\.ts$/.test(f))
  .sort();
const benchmarks: Benchmark[] = [];
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { benchmark?: Benchmark; default?: Benchmark };
  const b = mod.benchmark ?? mod.default;
  if (!b || typeof b.run !== 'function') throw new Error(`bench/benchmarks/${f} exports no \`benchmark\` ({name, description, run})`);
  benchmarks.push(b);
}
const selected = opts.only ? benchmarks.filter((b) => opts.only!.includes(b.name)) : benchmarks;
if (opts.only && selected.length !== opts.only.length) {
  const unknown = opts.only.filter((n) => !benchmarks.some((b) => b.name === n));
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

interface Result {
  name: string;
  description: string;
  seconds: number;
  rows: Row[];
  error?: string;
}
// AIDE (and GNU time) first: an apt-get install belongs before the first measurement, not inside one.
if (selected.length > 0) await ctx.tools();

const results: Result[] = [];
let failed = false;
try {
  for (const b of selected) {
    ctx.log(`== ${b.name}: ${b.description}`);
    const t0 = performance.now();
    try {
      const rows = await b.run(ctx);
      results.push({ name: b.name, description: b.description, seconds: (performance.now() - t0) / 1000, rows });
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      ctx.log(`!! ${b.name} failed: ${message}`);
      results.push({ name: b.name, description: b.description, seconds: (performance.now() - t0) / 1000, rows: [], error: message.split('\n')[0] });
    }
  }
} finally {
  await ctx.close();
}

const profiles: Record<string, ProfileSummary> = {};
if (ctx.selfProfiler) {
  await ctx.selfProfiler.close();
  for (const [segment, segmentFiles] of Object.entries(ctx.selfProfiler.files)) profiles[segment] = summarizeProfiles(segmentFiles, REPO);
}
for (const [segment, file] of (ctx.shared.get('agent-profiles') as Array<[string, string]> | undefined) ?? []) profiles[segment] = summarizeProfiles([file], REPO);

const rows = results.flatMap((r) => r.rows);
const totalS = ctx.elapsedS();
const tools = await ctx.tools().catch(() => ({}));
const agentBin = await ctx.agentBinKind();
const out = {
  generatedAt: new Date().toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  machine: { ...machine, loadAverageAtEnd: (await import('node:os')).loadavg().map((l) => Math.round(l * 100) / 100) },
  options: { ...opts, workDir: 'bench/work' },
  tools,
  agentBinary: agentBin,
  totalSeconds: Math.round(totalS * 10) / 10,
  benchmarks: results.map((r) => ({ ...r, seconds: Math.round(r.seconds * 10) / 10 })),
  scanCosts: ctx.costs,
  targets: rows.filter((r) => r.target).map((r) => ({ id: r.id, label: r.label, target: r.target!.text, met: r.target!.met })),
  profiles,
};
mkdirSync(join(REPO, 'bench/results'), { recursive: true });
writeFileSync(join(REPO, 'bench/results/latest.json'), `${JSON.stringify(out, null, 2)}\n`);

const lines: string[] = [];
lines.push('');
lines.push(`Driftwatch benchmarks: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, Node ${machine.node}, ${machine.os}`);
lines.push(`work dir on ${machine.filesystem}; cpu flags: ${machine.cpuFlags.join(' ') || 'n/a'}; load average at start ${machine.loadAverageAtStart.join(' ')}, at end ${out.machine.loadAverageAtEnd.join(' ')}`);
lines.push(`agent: ${agentBin ?? 'n/a'}`);
for (const [name, tool] of Object.entries(tools)) lines.push(`${name}: ${tool.available ? `${tool.version ?? tool.path}${tool.installed ? ` (installed by this run in ${tool.installed.seconds.toFixed(0)} s)` : ''}` : `MISSING: ${tool.reason}`}`);
lines.push('cpu / peak RSS = user+sys CPU seconds and peak resident set of the process (/usr/bin/time); timed figures are medians of interleaved rounds.');
lines.push('Agent runs: "until delivered" = process start until the agent logs the scan delivered (the API accepted the upload, the agent saved');
lines.push('its state); "end to end" = until `driftwatch-agent scan` exits (it also polls for the server\'s counts); "walk+hash" = scanPolicy');
lines.push('alone in a fresh process, on its own clock (what aide does, minus any upload).');
lines.push('');
lines.push(table(rows));
if (ctx.costs.length) {
  lines.push('');
  lines.push('Cost of every agent scan (upload = request bodies of the scan as the agent meters them; DynamoDB capacity as dynalite reports it, table only; +N = estimated GSI write units on top):');
  lines.push(costTable(ctx.costs));
}
const notes = rows.filter((r) => r.notes);
if (notes.length) {
  lines.push('');
  lines.push('Notes:');
  for (const r of notes) lines.push(`- ${r.label}: ${r.notes}`);
}
const missed = rows.filter((r) => r.target && !r.target.met);
lines.push('');
lines.push(
  missed.length === 0
    ? `All ${rows.filter((r) => r.target).length} targets met.`
    : `Targets NOT met (${missed.length}): ${missed.map((r) => `${r.label} (${r.target!.text})`).join('; ')}`,
);
for (const r of results.filter((x) => x.error)) lines.push(`Benchmark ${r.name} FAILED: ${r.error}`);
for (const [name, s] of Object.entries(profiles)) {
  lines.push('');
  lines.push(profileText(`CPU profile: ${name}`, s));
}
lines.push('');
lines.push(`Benchmarks: ${results.map((r) => `${r.name} ${r.seconds.toFixed(0)} s`).join(', ')}`);
lines.push(`Total bench wall time: ${totalS.toFixed(1)} s (${(totalS / 60).toFixed(1)} min). Written to bench/results/latest.json.`);
console.log(lines.join('\n'));
process.exit(failed ? 1 : 0);
