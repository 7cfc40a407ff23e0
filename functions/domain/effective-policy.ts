import type { Policy } from '../contract/policy.schemas.ts';
import type { AgentPolicy } from '../contract/agent.schemas.ts';

export type FimState = 'inherit' | 'off' | 'on' | 'real-time';

/**
 * What an agent runs: its group's policies with the server's `fimState` override applied
 * (`inherit` keeps each policy's own state; anything else replaces it for every policy).
 */
export function effectivePolicies(policies: readonly Policy[], fimState: FimState): AgentPolicy[] {
  return policies.map((p) => ({
    id: p.id,
    name: p.name,
    state: fimState === 'inherit' ? p.state : fimState,
    hashAlgorithm: p.hashAlgorithm,
    cpuUsage: p.cpuUsage,
    fullRehashEvery: p.fullRehashEvery,
    targets: p.targets,
  }));
}
