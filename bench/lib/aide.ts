import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, runShell } from './proc.ts';

/**
 * AIDE, the anchor: Debian's package, installed by the bench when it runs as root and aide is missing.
 * Each tree gets its own aide.conf checking the attributes the agent records
 * (p+i+n+u+g+s+m+c+sha256), with its databases in bench/work.
 */

export interface Tool {
  available: boolean;
  path?: string;
  version?: string;
  /** Why it is missing, and how to get it. */
  reason?: string;
  /** What the bench did to get it (an apt-get install). */
  installed?: { seconds: number };
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':').concat(['/usr/bin', '/usr/sbin', '/sbin'])) {
    const p = join(dir, cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Finds the Debian packages' programs, installing `packages` with apt-get when running as root.
 * Returns what each one came to (missing ones say how to get them).
 */
export async function ensureDebianTools(wanted: Record<string, string>, log: (msg: string) => void): Promise<Record<string, Tool>> {
  const missing = Object.entries(wanted).filter(([cmd]) => !which(cmd));
  let installed: Tool['installed'];
  let failure: string | undefined;
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
    if (!isRoot() || !which('apt-get')) {
      failure = `not installed; as root run: apt-get update && apt-get install -y ${pkgs.join(' ')}`;
    } else {
      log(`installing ${pkgs.join(', ')} (apt-get update && apt-get install -y ${pkgs.join(' ')})`);
      const t0 = performance.now();
      try {
        const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
        await run('apt-get', ['update'], { env, captureStdout: false });
        await run('apt-get', ['install', '-y', ...pkgs], { env, captureStdout: false });
        installed = { seconds: (performance.now() - t0) / 1000 };
      } catch (error) {
        failure = `apt-get install failed: ${(error as Error).message.split('\n')[0]}`;
      }
    }
  }
  const out: Record<string, Tool> = {};
  for (const [cmd, pkg] of Object.entries(wanted)) {
    const path = which(cmd);
    if (!path) {
      out[cmd] = { available: false, reason: failure ?? `not installed (Debian package ${pkg})` };
      continue;
    }
    const wasMissing = missing.some(([c]) => c === cmd);
    out[cmd] = { available: true, path, version: versionOf(cmd, path), ...(wasMissing && installed ? { installed } : {}) };
  }
  return out;
}

function versionOf(cmd: string, path: string): string | undefined {
  try {
    if (cmd === 'aide') return execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
    if (cmd === 'sha256sum') return execFileSync(path, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return String(e.stdout || e.stderr || '').split('\n')[0]?.trim() || undefined;
  }
  return undefined;
}

export interface AideSetup {
  conf: string;
  db: string;
  dbNew: string;
  dir: string;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Writes aide.conf for `tree` under `workDir/aide/<name>`. */
export function aideSetup(workDir: string, name: string, treeDir: string): AideSetup {
  const dir = join(workDir, 'aide', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const db = join(dir, 'aide.db.gz');
  const dbNew = join(dir, 'aide.db.new.gz');
  const conf = join(dir, 'aide.conf');
  writeFileSync(
    conf,
    [
      '# Written by bench/lib/aide.ts: the attributes the driftwatch agent records, on one tree.',
      `database_in=file:${db}`,
      `database_out=file:${dbNew}`,
      'gzip_dbout=yes',
      `report_url=file:${join(dir, 'report.txt')}`,
      'BenchRule = p+i+n+u+g+s+m+c+sha256',
      `${escapeRegex(treeDir)} BenchRule`,
      '',
    ].join('\n'),
  );
  return { conf, db, dbNew, dir };
}

/** `aide --init`, leaving the new database where --check reads it. */
export async function aideInit(aide: string, s: AideSetup) {
  rmSync(s.dbNew, { force: true });
  const r = await run(aide, ['--init', `--config=${s.conf}`], { check: false, captureStdout: false });
  if (r.code !== 0) throw new Error(`aide --init exited with ${r.code}: ${r.stderr.slice(-1500)}`);
  await runShell(`mv -f '${s.dbNew}' '${s.db}'`);
  return r;
}

/** `aide --check`; exit 0 means no differences (anything else on an unchanged tree is an error). */
export async function aideCheck(aide: string, s: AideSetup) {
  const r = await run(aide, ['--check', `--config=${s.conf}`], { check: false, captureStdout: false });
  if (r.code !== 0) throw new Error(`aide --check exited with ${r.code} on an unchanged tree: ${r.stderr.slice(-1500)}`);
  return r;
}
