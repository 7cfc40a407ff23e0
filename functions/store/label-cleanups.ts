import { queryPage } from './db.ts';
import { triageKeys } from './keys.ts';
import { labels } from './labels.ts';
import { rules } from './rules.ts';

export type CleanupKind = 'label' | 'rule';

/** A deleted label or rule whose labels are still being taken off events. */
export interface OwedCleanup {
  kind: CleanupKind;
  id: string;
}

/**
 * Cleanups owed in a tenant that last made progress before `progressBefore` (ISO): one Query of the sparse
 * CLEANUP partition of gsi2, empty in the usual case.
 */
export async function listCleanupsOwed(tenantId: string, progressBefore: string, limit: number): Promise<OwedCleanup[]> {
  const page = await queryPage<{ gsi2sk: string }>(triageKeys.cleanupsOwed(tenantId, progressBefore), { limit });
  return page.items.map((item) => {
    const [, kind, id] = item.gsi2sk.split('#');
    return { kind: kind as CleanupKind, id: id! };
  });
}

/** Records that the cleanup moved (or was sent) at `at`, while it is still owed; nothing once it is done. */
export async function markCleanupProgress(tenantId: string, { kind, id }: OwedCleanup, at: Date): Promise<void> {
  const entity = kind === 'label' ? labels : rules;
  await entity.update(tenantId, id, { set: triageKeys.cleanupOwed(tenantId, kind, id, at.toISOString()) }, { expression: 'attribute_exists(gsi2pk)' });
}
