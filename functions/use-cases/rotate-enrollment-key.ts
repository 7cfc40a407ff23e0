import { rotateEnrollmentKey as rotate } from '../store/tenants.ts';
import { recordAudit, type Caller } from './record-audit.ts';

/** A new enrollment key (the old one stops at once), recorded in the audit trail with its generation. */
export async function rotateEnrollmentKey(tenantId: string, caller: Caller, now: Date): Promise<string> {
  const { key, generation } = await rotate(tenantId);
  // Recorded after the rotation: the generation it made is what the entry is about.
  await recordAudit(tenantId, { action: 'enrollment-key.rotated', actor: caller.actor, ...caller.origin, target: { type: 'enrollment-key', id: `generation-${generation}` }, details: { generation } }, now);
  return key;
}
