import { readCredential, readState, type Watching } from '../state.ts';
import { spoolCount } from '../spool.ts';

/** True while process `pid` exists (EPERM: it exists but belongs to someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `status`: what this agent is and did, from the state dir alone (works with no network). */
export function statusCommand(stateDir: string): number {
  const credential = readCredential(stateDir);
  const state = readState(stateDir);
  // `watching` is written by a running `run`; once that process is gone nothing is watched.
  const watching: Watching = state.watching && alive(state.watching.pid) ? state.watching.value : 'off';
  const status = {
    serverId: credential.serverId,
    tenantId: credential.tenantId,
    api: credential.apiUrl,
    lastScan: state.lastScan,
    spooled: spoolCount(stateDir),
    watching,
    configVersion: state.configVersion,
    policies: state.config?.policies.map((p) => ({ id: p.id, name: p.name, state: p.state })) ?? [],
  };
  process.stdout.write(`${JSON.stringify(status)}\n`);
  return 0;
}
