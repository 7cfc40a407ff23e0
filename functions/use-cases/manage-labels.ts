import { newId } from '../shared/ids.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/problem.ts';
import type { Label } from '../model/label.ts';
import type { AppliedBy } from '../model/label.ts';
import { getLabelItem, listLabels, saveLabel, type LabelItem } from '../store/labels.ts';
import { getPolicy } from '../store/policies.ts';
import { listRules } from '../store/rules.ts';
import { enqueue } from '../queues/enqueue.ts';
import { labelCleanupQueue } from '../queues/queues.ts';

/** Create, edit and delete labels. Names are unique (without case) among the labels one event can carry. */
export interface LabelInput {
  name: string;
  color: string;
  description?: string | undefined;
  notify: boolean;
  policyId?: string | undefined;
}

async function checkNameFree(tenantId: string, name: string, policyId: string | undefined, exceptId?: string): Promise<void> {
  const clash = (await listLabels(tenantId)).find(
    (l) => l.id !== exceptId && l.name.toLowerCase() === name.toLowerCase() && (!l.policyId || !policyId || l.policyId === policyId),
  );
  if (clash) throw new ConflictError(`A label named "${clash.name}" already exists (${clash.id}).`);
}

export async function createLabel(tenantId: string, input: LabelInput, now: Date): Promise<Label> {
  if (input.policyId && !(await getPolicy(tenantId, input.policyId))) {
    throw new ValidationError('Unknown policy.', [{ path: 'policyId', message: `no policy ${input.policyId}` }]);
  }
  await checkNameFree(tenantId, input.name, input.policyId);
  const label: Label = {
    id: newId('lbl', now),
    name: input.name,
    color: input.color,
    ...(input.description ? { description: input.description } : {}),
    notify: input.notify,
    ...(input.policyId ? { policyId: input.policyId } : {}),
    builtIn: false,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  await saveLabel(tenantId, label, 'new');
  return label;
}

export type LabelPatch = Partial<Omit<LabelInput, 'policyId' | 'description'>> & { description?: string | null | undefined };

/** Edits a label (defaults too). Events show the current name; history keeps the name each record was made with. */
export async function patchLabel(tenantId: string, labelId: string, patch: LabelPatch, now: Date): Promise<Label> {
  const current = await getLabelItem(tenantId, labelId);
  if (!current || current.deletedAt) throw new NotFoundError('label');
  if (patch.name !== undefined && patch.name.toLowerCase() !== current.name.toLowerCase()) await checkNameFree(tenantId, patch.name, current.policyId, labelId);
  const next: LabelItem = { ...current, updatedAt: now.toISOString() };
  for (const field of ['name', 'color', 'notify'] as const) if (patch[field] !== undefined) (next as unknown as Record<string, unknown>)[field] = patch[field];
  if (patch.description === null) delete next.description;
  else if (patch.description !== undefined) next.description = patch.description;
  if (!(await saveLabel(tenantId, next, current))) throw new ConflictError('The label changed while you edited it; read it again.');
  const { deletedAt: _d, deletedBy: _b, ...label } = next;
  return label;
}

/**
 * Deletes a label: it disappears at once, and the label-cleanup worker then takes it off every event
 * (recording each removal); the history keeps every record. A label that an active rule applies is a 409.
 */
export async function deleteLabel(tenantId: string, labelId: string, by: AppliedBy, now: Date): Promise<void> {
  const current = await getLabelItem(tenantId, labelId);
  if (current?.deletedAt && !current.cleanedAt) {
    // Deleted, but its cleanup may never have been queued (a crash between the two): asking again queues it.
    await enqueue(labelCleanupQueue, { tenantId, kind: 'label', id: labelId });
    return;
  }
  if (!current || current.deletedAt) throw new NotFoundError('label');
  const users = (await listRules(tenantId)).filter((r) => r.active && r.labelId === labelId);
  if (users.length) throw new ConflictError(`Active rules apply this label: ${users.map((r) => r.id).join(', ')}. Deactivate or delete them first.`);
  const tombstone: LabelItem = { ...current, deletedAt: now.toISOString(), updatedAt: now.toISOString(), deletedBy: by };
  if (!(await saveLabel(tenantId, tombstone, current))) throw new ConflictError('The label changed while you deleted it; try again.');
  await enqueue(labelCleanupQueue, { tenantId, kind: 'label', id: labelId });
}

/** The live labels, or those usable on one policy's events. */
export async function labelsFor(tenantId: string, policyId?: string): Promise<Label[]> {
  const all = await listLabels(tenantId);
  return policyId ? all.filter((l) => !l.policyId || l.policyId === policyId) : all;
}
