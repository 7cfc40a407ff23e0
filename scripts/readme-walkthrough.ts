/**
 * Runs README.md as a new user would, from a fresh copy of the repository: every ```sh block in order, each
 * in its own `bash -eu -o pipefail` (so each must run on its own, defining what it uses), in the copy's
 * root, with no Driftwatch state beforehand. A block fails the run when it exits non-zero or prints an
 * application/problem+json answer (the API refused something). Before a block, an HTML comment can say
 * how to run it:
 *
 *   <!-- walkthrough: background until "driftwatch listening" -->   runs it in the background until it prints that
 *   <!-- walkthrough: skip (needs an AWS account) -->                 does not run it, and says why
 *
 * The copy is made of the files git tracks (what a clone has; uncommitted edits to them included), so the
 * README cannot lean on anything ignored or untracked. `npm ci` runs for real with `--npm-ci` (CI does:
 * .ci/run); otherwise the copy gets this checkout's node_modules (a link; the lockfiles are the same
 * file) and `npm ci` is answered by a shell function saying so. The stack listens on a free port (PORT=0).
 *
 * Usage: npm run walkthrough [-- --npm-ci] [--keep]
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));

export interface Block {
  /** 1-based line of the opening fence in README.md. */
  line: number;
  code: string;
  mode: 'run' | 'background' | 'skip';
  /** background: the output that says it is ready; skip: why. */
  note?: string;
}

export interface BlockResult extends Block {
  output: string;
  ms: number;
}

/** The ```sh blocks of a README, each with the walkthrough comment just before it. */
export function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash)\s*$/.test(lines[i]!)) {
      if (/^```/.test(lines[i]!)) i = lines.indexOf('```', i + 1); // another language's block: not ours
      continue;
    }
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`README.md:${i + 1}: the sh block is not closed`);
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = /^<!-- walkthrough: (background until "([^"]+)"|skip \((.+)\)) -->$/.exec(lines[before]?.trim() ?? '');
    const mode = marker?.[2] ? 'background' : marker?.[3] ? 'skip' : 'run';
    blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n'), mode, note: marker?.[2] ?? marker?.[3] });
    i = end;
  }
  return blocks;
}

/** A copy of the files git tracks, as a clone would have them. */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dw-readme-'));
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    try {
      copyFileSync(join(REPO, file), join(dir, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // deleted in the working tree
    }
  }
  return dir;
}

/** The environment of a user's shell: this process's, without test runner variables or Driftwatch settings. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(VITEST|DRIFTWATCH_|npm_)/.test(name) || name === 'NODE_ENV' || name === 'TEST' || name === 'PORT') continue;
    env[name] = value;
  }
  return { ...env, PORT: '0' };
}

/** In link mode, `npm ci` is answered by this instead of reinstalling what the checkout has. */
const NPM_CI_LINKED = `npm() { if [ "\${1:-}" = ci ]; then echo "npm ci: node_modules is linked from the checkout (run with --npm-ci to install)"; else command npm "$@"; fi; }\n`;

const PROBLEM = /"type"\s*:\s*"https:\/\/driftwatch\.dev\/problems\//;

class BlockError extends Error {
  constructor(block: Block, why: string, output: string) {
    super(`README.md:${block.line}: ${why}\n--- the block ---\n${block.code}\n--- what it printed ---\n${output.slice(-6000)}`);
  }
}

function runBlock(dir: string, env: NodeJS.ProcessEnv, prelude: string, block: Block, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-eu', '-o', 'pipefail', '-c', prelude + block.code], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new BlockError(block, `still running after ${timeoutMs / 1000} s`, output));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new BlockError(block, `exited ${code}`, output));
      if (PROBLEM.test(output)) return reject(new BlockError(block, 'the API answered a problem', output));
      resolve(output);
    });
  });
}

function startBackground(dir: string, env: NodeJS.ProcessEnv, prelude: string, block: Block, timeoutMs: number): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-eu', '-o', 'pipefail', '-c', prelude + block.code], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new BlockError(block, `did not print "${block.note}" within ${timeoutMs / 1000} s`, output));
    }, timeoutMs);
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(block.note!)) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new BlockError(block, `ended (${code}) before printing "${block.note}"`, output));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to the background block's process group (npm and the stack), as Ctrl-C would; SIGKILL if it lingers. */
function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => killGroup(child), 15_000);
    child.once('close', () => {
      clearTimeout(force);
      resolve();
    });
    killGroup(child, 'SIGTERM');
  });
}

export interface WalkthroughOptions {
  /** Run `npm ci` in the copy for real (slow) instead of linking this checkout's node_modules. */
  npmCi?: boolean;
  /** Leave the copy in place (its path is printed). */
  keep?: boolean;
  log?: (line: string) => void;
}

/** Runs every block of the README of a fresh copy; resolves with what each printed, rejects naming the block that failed. */
export async function runWalkthrough(options: WalkthroughOptions = {}): Promise<BlockResult[]> {
  const log = options.log ?? (() => {});
  const dir = freshCopy();
  const env = userEnv();
  let prelude = '';
  if (!options.npmCi) {
    if (readFileSync(join(dir, 'package-lock.json'), 'utf8') !== readFileSync(join(REPO, 'package-lock.json'), 'utf8')) {
      throw new Error('package-lock.json differs from the checkout\'s: run with --npm-ci');
    }
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    prelude = NPM_CI_LINKED;
  }
  const background: ChildProcess[] = [];
  const results: BlockResult[] = [];
  try {
    for (const block of readmeBlocks(readFileSync(join(dir, 'README.md'), 'utf8'))) {
      const started = Date.now();
      if (block.mode === 'skip') {
        log(`README.md:${block.line}: skipped (${block.note})`);
        results.push({ ...block, output: '', ms: 0 });
        continue;
      }
      log(`README.md:${block.line}: ${block.mode === 'background' ? 'starting' : 'running'} ${block.code.split('\n')[0]}`);
      if (block.mode === 'background') {
        const started_ = await startBackground(dir, env, prelude, block, options.npmCi ? 600_000 : 120_000);
        background.push(started_.child);
        results.push({ ...block, output: started_.output(), ms: Date.now() - started });
      } else {
        results.push({ ...block, output: await runBlock(dir, env, prelude, block, 180_000), ms: Date.now() - started });
      }
    }
    return results;
  } finally {
    for (const child of background) await stop(child);
    if (options.keep) log(`the copy is kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== '--npm-ci' && a !== '--keep');
  if (unknown.length) {
    process.stderr.write(`readme-walkthrough: unknown option ${unknown[0]}\nusage: npm run walkthrough [-- --npm-ci] [--keep]\n`);
    process.exit(2);
  }
  const startedAt = Date.now();
  runWalkthrough({ npmCi: args.includes('--npm-ci'), keep: args.includes('--keep'), log: (line) => process.stdout.write(`${line}\n`) })
    .then((results) => {
      const ran = results.filter((r) => r.mode !== 'skip').length;
      process.stdout.write(`README walk-through done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: every block ran as written\n`);
      process.stdout.write(`walkthrough: ${ran} passed, 0 failed, ${results.length - ran} skipped\n`);
    })
    .catch((error: Error) => {
      process.stderr.write(`README walk-through failed at ${error.message}\n`);
      process.exit(1);
    });
}
