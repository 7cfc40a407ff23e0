import { newId } from '../shared/ids.ts';
import type { AlertProfile } from '../model/alert-profile.ts';
import { alertProfiles } from '../store/alert-profiles.ts';

/** What a user gives to create an alert profile (the API's request, defaults applied). */
export type AlertProfileInput = Pick<AlertProfile, 'name' | 'recipients' | 'severities'>;

export async function createAlertProfile(tenantId: string, input: AlertProfileInput, now: Date): Promise<AlertProfile> {
  const profile: AlertProfile = { id: newId('apr', now), ...input, createdAt: now.toISOString(), updatedAt: now.toISOString() };
  await alertProfiles.create(tenantId, profile);
  return profile;
}
