import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { aideCheck, aideInit, aideSetup, type AideSetup } from './aide.ts';
import type { BenchContext, TreeName } from './context.ts';
import { run, type RunResult } from './proc.ts';
import type { Figure, Proc } from './types.ts';

/**
 * Single measurements (one process each) and `interleave`, which repeats several of them in turn
 * (A B C, A B C, ...) so that a change in machine load hits the agent and its anchor alike, then takes
 * the median of each.
 */

export async function aideSetupFor(ctx: BenchContext, name: TreeName): Promise<AideSetup> {
  let s = ctx.shared.get(`aide-setup:${name}`) as AideSetup | undefined;
  if (!s) {
    s = aideSetup(ctx.workDir, name, ctx.tree(name).dir);
    ctx.shared.set(`aide-setup:${name}`, s);
  }
  return s;
}

export async function aideInitOnce(ctx: BenchContext, name: TreeName): Promise<RunResult> {
  const aide = await ctx.aide();
  return aideInit(aide.path!, await aideSetupFor(ctx, name));
}

export async function aideCheckOnce(ctx: BenchContext, name: TreeName): Promise<RunResult> {
  const aide = await ctx.aide();
  const setup = await aideSetupFor(ctx, name);
  if (!existsSync(setup.db)) await aideInit(aide.path!, setup);
  return aideCheck(aide.path!, setup);
}

export interface WalkHashRun {
  proc: Proc;
  /** The child's own clock around scanPolicy (no process start). */
  scanS: number;
  cpuS: number;
  treeMs?: number;
  filesScanned: number;
  filesHashed: number;
  bytesHashed: number;
}

/**
 * scanPolicy over a tree in a fresh process (bench/lib/walk-hash.ts, bundled): `baseline` with a new
 * cache dir, `rescan` against the cache the last baseline left.
 */
export async function walkHashOnce(ctx: BenchContext, name: TreeName, mode: 'baseline' | 'rescan', opts: { profile?: string } = {}): Promise<WalkHashRun> {
  const tree = ctx.tree(name);
  const script = await ctx.script('walk-hash');
  const cacheDir = join(ctx.workDir, 'walk-hash', name);
  if (mode === 'rescan' && !ctx.shared.has(`walk-hash-cache:${name}`)) await walkHashOnce(ctx, name, 'baseline');
  if (mode === 'baseline') {
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
  }
  const nodeArgs = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', ctx.profileDir, '--cpu-prof-name', `${opts.profile}.cpuprofile`] : [];
  const r = await run(process.execPath, [...nodeArgs, script, tree.dir, '--cache', cacheDir, '--tree']);
  if (mode === 'baseline') ctx.shared.set(`walk-hash-cache:${name}`, cacheDir);
  const p = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return {
    proc: r.proc,
    scanS: p.scanMs / 1000,
    cpuS: p.cpuMs / 1000,
    treeMs: p.treeMs,
    filesScanned: p.filesScanned,
    filesHashed: p.filesHashed,
    bytesHashed: p.bytesHashed,
  };
}

export interface Measured<T> {
  /** The run with the median figure. */
  median: T;
  value: number;
  values: number[];
}

type Step<T> = { once: (i: number) => Promise<T>; figure: (r: T) => number };

/** Runs every step once per round, `rounds` times, and answers the median run of each. */
export async function interleave<S extends Record<string, Step<any>>>(
  rounds: number,
  steps: S,
): Promise<{ [K in keyof S]: Measured<S[K] extends Step<infer T> ? T : never> }> {
  const runs: Record<string, any[]> = Object.fromEntries(Object.keys(steps).map((k) => [k, []]));
  for (let i = 0; i < rounds; i++) {
    for (const [k, step] of Object.entries(steps)) runs[k]!.push(await step.once(i));
  }
  const out: Record<string, Measured<any>> = {};
  for (const [k, step] of Object.entries(steps)) {
    const list = runs[k]!;
    const sorted = [...list].sort((a, b) => step.figure(a) - step.figure(b));
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    out[k] = { median, value: step.figure(median), values: list.map((r) => Math.round(step.figure(r) * 1000) / 1000) };
  }
  return out as never;
}

export const procFigure = (label: string, r: { proc: Proc }): Figure => ({ label, value: r.proc.wallS, unit: 's', proc: r.proc });
