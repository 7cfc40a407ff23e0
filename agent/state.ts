import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AgentPolicy } from '../functions/contract/agent.schemas.ts';
import { writeFileAtomic } from './atomic-file.ts';

/**
 * The agent's state dir: who it is (credential.json), what it was told (state.json), its hash cache,
 * the trees the server accepted (trees/) and its spool. Everything here is a convenience for the agent;
 * the server stays the authority on baselines, so a tampered state dir can at worst make the agent
 * re-upload.
 */

export const DEFAULT_STATE_DIR = '/var/lib/driftwatch';

export type Watching = 'active' | 'unavailable' | 'off';

export interface Credential {
  apiUrl: string;
  serverId: string;
  tenantId: string;
  credential: string;
}

export interface LastScan {
  scanId: string;
  at: string;
  filesScanned: number;
  bytesUploaded: number;
}

export interface AgentState {
  /** The config version the agent holds, sent on check-in; null before the first config. */
  configVersion: string | null;
  /** `group`: the server's group, named by the API since issue 18 (absent from older APIs' configs). */
  config: { policies: AgentPolicy[]; group?: { id: string; name: string } } | null;
  checkInIntervalSeconds: number | null;
  lastScan: LastScan | null;
  /** Set by a running `run` process; `status` trusts it only while that pid lives. */
  watching: { value: Watching; pid: number } | null;
}

export const emptyState = (): AgentState => ({
  configVersion: null,
  config: null,
  checkInIntervalSeconds: null,
  lastScan: null,
  watching: null,
});

/** --state-dir, else $DRIFTWATCH_STATE_DIR, else /var/lib/driftwatch (CONTRACT §3). */
export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? (env.DRIFTWATCH_STATE_DIR || DEFAULT_STATE_DIR));
}

export const paths = (stateDir: string) => ({
  credential: join(stateDir, 'credential.json'),
  state: join(stateDir, 'state.json'),
  cache: join(stateDir, 'cache'),
  spool: join(stateDir, 'spool'),
  /** Entries of the last tree the server accepted, per policy (tree-memory.ts). */
  trees: join(stateDir, 'trees'),
});

/** Creates the state dir (0700) if needed and tightens its mode when we own it. */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(stateDir, 0o700);
  } catch {
    // Not ours (e.g. a read-only status run by another user): leave it.
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export class NotEnrolledError extends Error {
  constructor(stateDir: string) {
    super(`not enrolled: no credential in ${stateDir} (run: driftwatch-agent enroll --api URL --key KEY)`);
    this.name = 'NotEnrolledError';
  }
}

/** The stored credential, or a NotEnrolledError that the CLI turns into exit 2. */
export function readCredential(stateDir: string): Credential {
  let raw: unknown;
  try {
    raw = readJson(paths(stateDir).credential);
  } catch (error) {
    throw new Error(`cannot read ${paths(stateDir).credential}: ${(error as Error).message}`);
  }
  if (raw === undefined) throw new NotEnrolledError(stateDir);
  const c = raw as Partial<Credential>;
  if (typeof c.apiUrl !== 'string' || typeof c.serverId !== 'string' || typeof c.credential !== 'string') {
    throw new Error(`${paths(stateDir).credential} is not a driftwatch credential`);
  }
  return { apiUrl: c.apiUrl, serverId: c.serverId, tenantId: String(c.tenantId ?? ''), credential: c.credential };
}

export function writeCredential(stateDir: string, credential: Credential): void {
  ensureStateDir(stateDir);
  writeFileAtomic(paths(stateDir).credential, `${JSON.stringify(credential, null, 2)}\n`, 0o600);
}

/** state.json as text, or undefined when missing or unreadable. */
function readStateText(stateDir: string): string | undefined {
  try {
    return readFileSync(paths(stateDir).state, 'utf8');
  } catch {
    return undefined;
  }
}

function parseState(text: string | undefined): AgentState {
  if (text === undefined) return emptyState();
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return emptyState();
  }
  if (!raw || typeof raw !== 'object') return emptyState();
  return { ...emptyState(), ...(raw as Partial<AgentState>) };
}

/** state.json, or an empty state when missing or unreadable (it only holds what the API can resend). */
export function readState(stateDir: string): AgentState {
  return parseState(readStateText(stateDir));
}

/**
 * Read-modify-write of state.json. Reads right before writing so that two agent processes sharing
 * a state dir (the service and an admin's `scan`) lose at most each other's last field update.
 * A change that changes nothing (a check-in answering what the agent holds) writes nothing.
 */
export function updateState(stateDir: string, change: (state: AgentState) => void): AgentState {
  const before = readStateText(stateDir);
  const state = parseState(before);
  change(state);
  const text = `${JSON.stringify(state)}\n`;
  if (text === before) return state;
  ensureStateDir(stateDir);
  writeFileAtomic(paths(stateDir).state, text, 0o600);
  return state;
}
