import { newId } from '../shared/ids.ts';
import { NotFoundError } from '../shared/problem.ts';
import { enqueue } from '../queues/enqueue.ts';
import { alertsQueue } from '../queues/queues.ts';
import { createDigest } from '../store/alert-digests.ts';
import { getAlertProfile } from '../store/alert-profiles.ts';
import { nextWake } from './wake-alert-digests.ts';

/**
 * `POST /v1/alert-profiles/{id}/test`: a test mail to each recipient of the profile, so a user can check
 * delivery before an incident. It goes the way alerts go (a digest, the alerts queue, the configured
 * transport), and, like them, out once per recipient.
 */
export async function requestAlertTest(tenantId: string, profileId: string, now: Date): Promise<{ recipients: string[]; digestId: string }> {
  const profile = await getAlertProfile(tenantId, profileId);
  if (!profile) throw new NotFoundError('alert profile');
  const digestId = newId('dig', now);
  const at = now.toISOString();
  await createDigest(tenantId, { id: digestId, kind: 'test', status: 'closed', createdAt: at, requestedAt: at, profileId, wakeAt: nextWake(now) });
  await enqueue(alertsQueue, { tenantId, digestId });
  return { recipients: profile.recipients, digestId };
}
