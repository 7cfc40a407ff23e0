import type { AuditEntry } from '../model/audit.ts';
import type { AuditAction } from '../model/enums.ts';
import { keys } from './keys.ts';
import { defineEntity } from './entity.ts';
import type { Page, PageRequest } from './db.ts';
import { listNewestFirst, timeBound } from './newest-first.ts';

/**
 * A tenant's audit trail: appended, never changed. Written across the tenant's SHARDS partitions like
 * events (a fleet enrolling at the rate limit writes one entry per enrollment), and indexed by the object
 * it concerns, so the trail of one server or key is one Query.
 */
export const auditLog = defineEntity<AuditEntry>({
  name: 'audit entry',
  key: (tenantId, id) => keys.audit(tenantId, id),
  idOf: (entry) => entry.id,
  indexes: (tenantId, entry) => keys.auditIndexes(tenantId, entry),
});

export interface AuditFilter {
  action?: AuditAction | undefined;
  /** Only entries about this object (a server id, an API key id). */
  targetId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** Newest first; a time window is a sort key range (audit ids start with their time). */
export async function listAudit(tenantId: string, filter: AuditFilter, page: PageRequest): Promise<Page<AuditEntry>> {
  const source = filter.targetId ? keys.auditOfObject(tenantId, filter.targetId) : { index: undefined, pks: keys.auditShards(tenantId) };
  const action = filter.action ? { expression: '#action = :action', names: { '#action': 'action' }, values: { ':action': filter.action } } : undefined;
  const out = await listNewestFirst(
    `audit:${tenantId}:${JSON.stringify(filter)}`,
    {
      pks: source.pks,
      index: source.index,
      prefix: 'AUDIT#aud_',
      from: filter.from ? timeBound('AUDIT#aud_', filter.from, false) : undefined,
      to: filter.to ? timeBound('AUDIT#aud_', filter.to, true) : undefined,
      filter: action,
    },
    page,
  );
  return { items: out.items.map(auditLog.fromItem), nextCursor: out.nextCursor };
}
