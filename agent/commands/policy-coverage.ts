import type { AgentPolicy, EnrollResponse } from '../../functions/contract/agent.schemas.ts';
import { log } from '../log.ts';
import { readState } from '../state.ts';

/**
 * Says so when nothing will be scanned on this server: a tag that matched no group lands it in
 * Unassigned, which has no policy, and every scan would then print "0 files" with exit 0 and no
 * reason. A warning only (stderr): the exit codes and the JSON on stdout stay as they are.
 */

interface Group {
  id?: string;
  name?: string;
}

const groupLabel = (group: Group | undefined): string => (group?.name ? `its group ${group.name}` : 'its group');
const fixHint = (group: Group | undefined): string =>
  `add one to the group${group?.id ? ` (PATCH /v1/server-groups/${group.id} policyIds)` : ''}, or enroll with the tag of a group that has one`;

/** The warning for these policies of this group, or null when some policy will scan. */
export function noPolicyWarning(policies: readonly Pick<AgentPolicy, 'name' | 'state'>[], group: Group | undefined): string | null {
  if (policies.length === 0) return `no policy applies to this server: ${groupLabel(group)} has none; ${fixHint(group)}`;
  if (policies.every((p) => p.state === 'off')) {
    return `nothing to scan: every policy of ${groupLabel(group).replace(/^its /, 'the ')} is off for this server (${policies.map((p) => p.name).join(', ')}); turn one on, or set the server's fimState`;
  }
  return null;
}

/** After enroll: a tag no group has, and a group without policies (older APIs say neither: no warning). */
export function warnAfterEnroll(answer: Partial<Pick<EnrollResponse, 'group' | 'tagMatched'>>, tag: string | undefined): void {
  if (tag !== undefined && answer.tagMatched === false) log.warn(`no server group has the tag "${tag}": this server joined ${answer.group?.name ?? 'Unassigned'}`);
  if (answer.group && answer.group.policyCount === 0) log.warn(noPolicyWarning([], answer.group)!);
}

/** Before a scan, with the policies it runs: the group is the one named by the last config received. */
export function warnIfNothingToScan(stateDir: string, policies: readonly AgentPolicy[]): void {
  const warning = noPolicyWarning(policies, readState(stateDir).config?.group);
  if (warning) log.warn(warning);
}
