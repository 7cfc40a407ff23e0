import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The agent CLI from the repo's sources, exactly as `npx driftwatch-agent` runs it. */
export const AGENT_BIN = fileURLToPath(new URL('../../agent/bin/driftwatch-agent.mjs', import.meta.url));

export interface AgentRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last stdout line parsed as JSON, when it is JSON. */
  json: any;
}

/**
 * Runs the agent as a child process, asynchronously: the local stack lives in the test's own process,
 * so a synchronous spawn would block the very API the agent talks to.
 */
export interface AgentOptions {
  stateDir: string;
  env?: Record<string, string>;
  bin?: string;
  /** Run the agent as this user and group (the tests run as root, which reads every file). */
  uid?: number;
  gid?: number;
}

export function startAgent(args: string[], opts: AgentOptions): { child: ChildProcess; done: Promise<AgentRun>; stderr: () => string } {
  const child = spawn(process.execPath, [opts.bin ?? AGENT_BIN, ...args, '--state-dir', opts.stateDir], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<AgentRun>((resolve) => {
    child.on('close', (code) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout.trim().split('\n').pop() ?? '');
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
  return { child, done, stderr: () => stderr };
}

export function runAgent(args: string[], opts: AgentOptions): Promise<AgentRun> {
  return startAgent(args, opts).done;
}
