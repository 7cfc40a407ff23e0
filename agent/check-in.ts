import type { AgentPolicy, CheckInRequest, CheckInResponse, PendingScan } from '../functions/contract/agent.schemas.ts';
import type { AgentContext } from './context.ts';
import { log } from './log.ts';
import { detectSoftware } from './software.ts';
import { readState, updateState, type Watching } from './state.ts';
import { AGENT_VERSION } from './version.ts';

/**
 * The agent's poll: report version and health, receive config (only when it changed since the
 * version we hold) and the scans the server wants run. The config is kept in state.json so that
 * an agent that cannot reach the API can still scan and spool.
 */

export interface CheckInResult {
  policies: AgentPolicy[];
  configVersion: string;
  /** True when this answer carried a new config. */
  configChanged: boolean;
  pendingScans: PendingScan[];
  checkInIntervalSeconds: number;
}

export async function checkIn(ctx: AgentContext, opts: { starting: boolean; watching?: Watching }): Promise<CheckInResult> {
  const held = readState(ctx.stateDir);
  // Without the config itself a version is useless: ask for the config again.
  const configVersion = held.config ? held.configVersion : null;
  // The server stores the software list only when it changed, so sending it every time costs no write.
  const body: CheckInRequest = { agentVersion: AGENT_VERSION, configVersion, starting: opts.starting, software: detectSoftware() };
  if (opts.watching) body.watching = opts.watching;
  const res = await ctx.client.request<CheckInResponse>('POST', '/v1/agent/check-in', { body });
  const answer = res.body;
  const configChanged = answer.config !== null && answer.config !== undefined;
  const state = updateState(ctx.stateDir, (s) => {
    if (configChanged) {
      s.config = answer.config;
      s.configVersion = answer.configVersion;
    }
    s.checkInIntervalSeconds = answer.checkInIntervalSeconds;
  });
  if (configChanged) log.info(`config ${answer.configVersion}: ${state.config?.policies.length ?? 0} policies`);
  return {
    policies: state.config?.policies ?? [],
    configVersion: answer.configVersion,
    configChanged,
    pendingScans: answer.pendingScans ?? [],
    checkInIntervalSeconds: answer.checkInIntervalSeconds > 0 ? answer.checkInIntervalSeconds : 60,
  };
}

/** The policies from the last config received, for working while the API is unreachable. */
export const cachedPolicies = (stateDir: string): AgentPolicy[] | null => readState(stateDir).config?.policies ?? null;
