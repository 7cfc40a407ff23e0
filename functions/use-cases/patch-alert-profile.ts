import { NotFoundError } from '../shared/problem.ts';
import type { AlertProfile } from '../model/alert-profile.ts';
import { alertProfiles, getAlertProfile } from '../store/alert-profiles.ts';
import type { AlertProfileInput } from './create-alert-profile.ts';

/** A PATCH: fields left out stay unchanged. */
export type AlertProfilePatch = { [K in keyof AlertProfileInput]?: AlertProfileInput[K] | undefined };

export async function patchAlertProfile(tenantId: string, profileId: string, patch: AlertProfilePatch, now: Date): Promise<AlertProfile> {
  const current = await getAlertProfile(tenantId, profileId);
  if (!current) throw new NotFoundError('alert profile');
  const next: AlertProfile = { ...current, updatedAt: now.toISOString() };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.recipients !== undefined) next.recipients = patch.recipients;
  if (patch.severities !== undefined) next.severities = patch.severities;
  await alertProfiles.put(tenantId, next);
  return next;
}
