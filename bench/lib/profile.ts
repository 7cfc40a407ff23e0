import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** Self time by function (and by file) of a V8 .cpuprofile, as `node --cpu-prof` or the inspector writes it. */

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileCost {
  fn: string;
  file: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Sampled time not idle (program, GC and JS). */
  busyMs: number;
  topFunctions: ProfileCost[];
  topFiles: Array<{ file: string; selfMs: number; percent: number }>;
}

function shortFile(url: string, repo: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm + 'node_modules/'.length);
  return path.startsWith('/') ? relative(repo, path) : path;
}

export function summarizeProfiles(files: string[], repo: string, top = 10): ProfileSummary {
  const byFn = new Map<string, ProfileCost>();
  const byFile = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const file of files) {
    const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    // timeDeltas[i] is the time before sample i; attribute each interval to the sample that ends it.
    for (let i = 0; i < p.samples.length; i++) {
      const ms = (p.timeDeltas[i] ?? 0) / 1000;
      totalMs += ms;
      const n = nodes.get(p.samples[i]!)!;
      const name = n.callFrame.functionName || '(anonymous)';
      if (name === '(idle)') {
        idleMs += ms;
        continue;
      }
      const f = shortFile(n.callFrame.url, repo);
      const key = `${name}\u0000${f}:${n.callFrame.lineNumber + 1}`;
      const c = byFn.get(key) ?? { fn: name, file: n.callFrame.url ? `${f}:${n.callFrame.lineNumber + 1}` : f, selfMs: 0, percent: 0 };
      c.selfMs += ms;
      byFn.set(key, c);
      byFile.set(f, (byFile.get(f) ?? 0) + ms);
    }
  }
  const busyMs = totalMs - idleMs;
  const pct = (ms: number) => Math.round((ms / (busyMs || 1)) * 1000) / 10;
  const r = (ms: number) => Math.round(ms * 10) / 10;
  return {
    file: files.map((f) => relative(repo, f)).join(', '),
    totalMs: r(totalMs),
    busyMs: r(busyMs),
    topFunctions: [...byFn.values()]
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((c) => ({ ...c, selfMs: r(c.selfMs), percent: pct(c.selfMs) })),
    topFiles: [...byFile.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([file, ms]) => ({ file, selfMs: r(ms), percent: pct(ms) })),
  };
}

export function profileText(title: string, s: ProfileSummary, n = 8): string {
  const lines = [`${title} (${s.file}): ${(s.busyMs / 1000).toFixed(2)} s busy of ${(s.totalMs / 1000).toFixed(2)} s sampled`];
  for (const c of s.topFunctions.slice(0, n)) lines.push(`  ${c.percent.toFixed(1).padStart(5)} %  ${c.selfMs.toFixed(0).padStart(6)} ms  ${c.fn}  ${c.file}`);
  lines.push('  by file:');
  for (const f of s.topFiles.slice(0, 5)) lines.push(`  ${f.percent.toFixed(1).padStart(5)} %  ${f.selfMs.toFixed(0).padStart(6)} ms  ${f.file}`);
  return lines.join('\n');
}

/** `npx tsx bench/lib/profile.ts <file.cpuprofile>...`: print a summary. */
if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  console.log(profileText('profile', summarizeProfiles(files, process.cwd(), 15), 15));
}
