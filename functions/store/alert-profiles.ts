import type { AlertProfile } from '../model/alert-profile.ts';
import { alertKeys } from './keys.ts';
import { defineEntity } from './entity.ts';
import type { Page, PageRequest } from './db.ts';

export const alertProfiles = defineEntity<AlertProfile>({
  name: 'alert profile',
  key: (tenantId, profileId) => alertKeys.alertProfile(tenantId, profileId),
  idOf: (profile) => profile.id,
});

export const getAlertProfile = (tenantId: string, profileId: string) => alertProfiles.get(tenantId, profileId);

export function listAlertProfiles(tenantId: string, page: PageRequest): Promise<Page<AlertProfile>> {
  return alertProfiles.page(alertKeys.alertProfiles(tenantId), page);
}

/** Several profiles by id (a group has a few), in the order asked; missing ids are absent. */
export const getAlertProfiles = (tenantId: string, profileIds: readonly string[]): Promise<AlertProfile[]> => alertProfiles.getMany(tenantId, profileIds);
