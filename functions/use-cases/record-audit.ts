import { newId } from '../shared/ids.ts';
import type { AuditActor, AuditEntry, RequestOrigin } from '../model/audit.ts';
import { auditLog } from '../store/audit.ts';

/** Who is asking and from where: what a use case that records its action needs from the request. */
export interface Caller {
  actor: AuditActor;
  origin: RequestOrigin;
}

export type AuditRecord = Omit<AuditEntry, 'id' | 'at' | 'details'> & { details?: AuditEntry['details'] };

/**
 * Appends one entry to the tenant's audit trail. Callers write it before the change it records, so a
 * crash in between leaves an entry for an attempt rather than a change with no trace.
 */
export async function recordAudit(tenantId: string, record: AuditRecord, now: Date): Promise<AuditEntry> {
  const entry: AuditEntry = { ...record, id: newId('aud', now), at: now.toISOString(), details: record.details ?? {} };
  await auditLog.create(tenantId, entry);
  return entry;
}
