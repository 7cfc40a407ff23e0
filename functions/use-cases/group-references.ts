import { ConflictError, ValidationError, type FieldError } from '../shared/problem.ts';
import type { Group } from '../model/server-group.ts';
import { getAlertProfiles } from '../store/alert-profiles.ts';
import { listGroups } from '../store/groups.ts';
import { getPolicies } from '../store/policies.ts';

/**
 * Policies and alert profiles must exist in this tenant (a 400 names each unknown id), and tags must be
 * unique, or enrollment would be ambiguous.
 */
export async function checkGroupReferences(tenantId: string, group: Pick<Group, 'id' | 'tag' | 'policyIds' | 'alertProfileIds'>): Promise<void> {
  const [policies, profiles] = await Promise.all([getPolicies(tenantId, group.policyIds), getAlertProfiles(tenantId, group.alertProfileIds)]);
  const errors = [
    ...unknownIds('policyIds', group.policyIds, policies, 'policy'),
    ...unknownIds('alertProfileIds', group.alertProfileIds, profiles, 'alert profile'),
  ];
  if (errors.length) throw new ValidationError(`Unknown ${errors.map((e) => e.message.replace(/^no /, '')).join(', ')}.`, errors);
  if (group.tag) {
    const clash = (await listGroups(tenantId)).find((g) => g.tag === group.tag && g.id !== group.id);
    if (clash) throw new ConflictError(`The tag "${group.tag}" already belongs to group ${clash.id}.`);
  }
}

function unknownIds(field: string, ids: readonly string[], found: readonly { id: string }[], what: string): FieldError[] {
  return ids.flatMap((id, index) => (found.some((f) => f.id === id) ? [] : [{ path: `${field}.${index}`, message: `no ${what} ${id}` }]));
}
