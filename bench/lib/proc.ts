import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Proc } from './types.ts';

/**
 * Runs child processes asynchronously (the local stack lives in the bench process: a synchronous spawn
 * would stall the very API an agent talks to) under GNU time for user/sys CPU and peak RSS.
 */

export const GNU_TIME = '/usr/bin/time';
export const hasGnuTime = (): boolean => existsSync(GNU_TIME);

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called for each stderr line with the milliseconds since spawn. */
  onStderrLine?: (line: string, atMs: number) => void;
  /** Throw when the exit code is not 0 (default true). */
  check?: boolean;
  /** Keep stdout in memory (default true); false sends it to /dev/null. */
  captureStdout?: boolean;
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  proc: Proc;
}

let seq = 0;

/** Spawns `cmd args` (through /usr/bin/time when present) and waits for it without blocking the loop. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timed = hasGnuTime();
  const timeFile = join(tmpdir(), `dw-bench-time-${process.pid}-${seq++}.txt`);
  const argv = timed ? ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args] : args;
  const started = performance.now();
  const child = spawn(timed ? GNU_TIME : cmd, argv, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', opts.captureStdout === false ? 'ignore' : 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr += text;
    if (!opts.onStderrLine) return;
    const at = performance.now() - started;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) opts.onStderrLine(line, at);
  });
  let timer: NodeJS.Timeout | undefined;
  if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallS = (performance.now() - started) / 1000;
      let proc: Proc = { wallS, userS: null, sysS: null, cpuS: null, maxRssMiB: null };
      if (timed) {
        try {
          const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
          const [, user, sys, rss] = lines[lines.length - 1]!.split(' ').map(Number);
          proc = { wallS, userS: user!, sysS: sys!, cpuS: round(user! + sys!, 2), maxRssMiB: round(rss! / 1024, 1) };
        } catch {
          /* time could not report (killed): wall only */
        }
        rmSync(timeFile, { force: true });
      }
      const result = { code, stdout, stderr, proc };
      if ((opts.check ?? true) && code !== 0) {
        reject(Object.assign(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${stderr.slice(-2000)}`), { result }));
      } else resolve(result);
    });
  });
}

/** A shell command line, through `sh -c` (pipelines: find | xargs sha256sum); time covers the whole pipeline. */
export function runShell(line: string, opts: RunOptions = {}): Promise<RunResult> {
  return run('/bin/sh', ['-c', line], opts);
}

/** Runs `once` n times and answers the run with the median wall time plus every wall time. */
export async function median<T extends { proc: Proc }>(n: number, once: (i: number) => Promise<T>): Promise<T & { walls: number[] }> {
  const runs: T[] = [];
  for (let i = 0; i < n; i++) runs.push(await once(i));
  const sorted = [...runs].sort((a, b) => a.proc.wallS - b.proc.wallS);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, walls: runs.map((r) => round(r.proc.wallS, 3)) };
}

export function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Shell-quotes one argument. */
export const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
