import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm start` as a user runs it, as a child process in its own process group; `killAllStarted()` in
 * afterAll cleans up whatever is left.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const groups = new Set<ChildProcess>();

/** The environment a user's shell would have: this test runner's own variables left out. */
export function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'NODE_ENV' || name.startsWith('VITEST') || name === 'TEST') continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

export interface Started {
  child: ChildProcess;
  apiUrl: string;
  stdout: () => string;
  stderr: () => string;
  startupMs: number;
}

/** npm start ended before it was listening (a busy port, a bad setting). */
export class NpmExitedError extends Error {
  constructor(
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`npm start exited (${code ?? signal}) before listening\nstdout: ${stdout}\nstderr: ${stderr}`);
    this.name = 'NpmExitedError';
  }
}

/** `npm start` on `dataDir`; resolves once it prints its listening line (rejects if it exits first). */
export function startNpm(dataDir: string, port = 0, env: Record<string, string> = {}): Promise<Started> {
  const startedAt = Date.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: REPO,
    env: userEnv({ PORT: String(port), DRIFTWATCH_DATA_DIR: dataDir, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so afterAll can clean up whatever npm left behind.
    detached: true,
  });
  groups.add(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => rejectStart(new Error(`no listening line within 30 s\nstdout: ${out}\nstderr: ${err}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^driftwatch listening on (http:\/\/127\.0\.0\.1:(\d+))$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveStart({ child, apiUrl: match[1], stdout: () => out, stderr: () => err, startupMs: Date.now() - startedAt });
      }
    });
    // 'close', not 'exit': by then all of its output has been read.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      rejectStart(new NpmExitedError(code, signal, out, err));
    });
  });
}

/** SIGTERM to the npm process only (not its group), as a process manager would send it. */
export function terminate(child: ChildProcess): Promise<number | null> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null) return resolveExit(child.exitCode);
    child.once('exit', (code) => resolveExit(code));
    child.kill('SIGTERM');
  });
}

/** SIGKILL to npm and everything it started (no chance to clean up), then waits until npm is gone. */
export function crash(child: ChildProcess): Promise<void> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
    child.once('exit', () => resolveExit());
    killGroup(child);
  });
}

export function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function killAllStarted(): void {
  for (const child of groups) killGroup(child);
  groups.clear();
}
