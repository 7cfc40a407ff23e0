import { ConflictError, NotFoundError } from '../shared/problem.ts';
import { alertProfiles, getAlertProfile } from '../store/alert-profiles.ts';
import { listGroups } from '../store/groups.ts';

/** Deletes an alert profile no server group uses (409 names the groups that do). */
export async function deleteAlertProfile(tenantId: string, profileId: string): Promise<void> {
  if (!(await getAlertProfile(tenantId, profileId))) throw new NotFoundError('alert profile');
  const users = (await listGroups(tenantId)).filter((g) => g.alertProfileIds.includes(profileId));
  if (users.length) {
    const where = users.map((g) => `"${g.name}" (${g.id})`).join(', ');
    throw new ConflictError(`The alert profile is used by server group(s) ${where}; remove it from their alertProfileIds first.`);
  }
  if (!(await alertProfiles.remove(tenantId, profileId))) throw new NotFoundError('alert profile');
}
