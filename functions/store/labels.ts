import { DEFAULT_LABELS, type AppliedBy, type Label } from '../model/label.ts';
import { triageKeys } from './keys.ts';
import { defineEntity } from './entity.ts';
import type { Condition } from './db.ts';

/**
 * Labels of a tenant (one small partition, read whole). The five defaults exist in every tenant without
 * being written: a default is stored only once edited, and a deleted label (default or not) stays as a
 * tombstone (`deletedAt`), so a deleted default does not come back and history can still name it.
 */
export interface LabelItem extends Label {
  deletedAt?: string;
  /** Who deleted it: the cleanup records each removal as theirs. */
  deletedBy?: AppliedBy;
  /** When the cleanup had taken it off every event. */
  cleanedAt?: string;
}

export const labels = defineEntity<LabelItem>({
  name: 'label',
  key: (tenantId, labelId) => triageKeys.label(tenantId, labelId),
  idOf: (label) => label.id,
  // A tombstone owes its cleanup until cleanedAt (the schedule's sweep re-sends a lost one).
  indexes: (tenantId, label) => (label.deletedAt && !label.cleanedAt ? triageKeys.cleanupOwed(tenantId, 'label', label.id, label.deletedAt) : {}),
});

const DEFAULTS = new Map(DEFAULT_LABELS.map((label) => [label.id, label]));

/** Every stored label and tombstone, with the untouched defaults filled in. */
async function allLabelItems(tenantId: string): Promise<LabelItem[]> {
  const stored = await labels.all(triageKeys.labels(tenantId));
  const byId = new Map(stored.map((label) => [label.id, label]));
  for (const label of DEFAULT_LABELS) if (!byId.has(label.id)) byId.set(label.id, { ...label });
  return [...byId.values()];
}

/** The tenant's live labels: defaults first (in their order), then the rest by creation. */
export async function listLabels(tenantId: string): Promise<Label[]> {
  const live = (await allLabelItems(tenantId)).filter((label) => !label.deletedAt).map(served);
  const order = (label: Label) => (DEFAULTS.has(label.id) ? DEFAULT_LABELS.indexOf(DEFAULTS.get(label.id)!) : DEFAULT_LABELS.length);
  return live.sort((a, b) => order(a) - order(b) || a.id.localeCompare(b.id));
}

/** A live label, or undefined (unknown or deleted). */
export async function getLabel(tenantId: string, labelId: string): Promise<Label | undefined> {
  const item = await getLabelItem(tenantId, labelId);
  return item && !item.deletedAt ? served(item) : undefined;
}

/** A label as stored, tombstones included (a default that was never edited comes from code). */
export async function getLabelItem(tenantId: string, labelId: string): Promise<LabelItem | undefined> {
  return (await labels.get(tenantId, labelId)) ?? (DEFAULTS.has(labelId) ? { ...DEFAULTS.get(labelId)! } : undefined);
}

/** Writes a label; for a stored one, only while it is still the version read (`updatedAt`) and not deleted. */
export async function saveLabel(tenantId: string, label: LabelItem, previous: LabelItem | 'new'): Promise<boolean> {
  const condition: Condition =
    previous === 'new'
      ? { expression: 'attribute_not_exists(pk)' }
      : previous.updatedAt
        ? { expression: 'updatedAt = :prev AND attribute_not_exists(deletedAt)', values: { ':prev': previous.updatedAt } }
        : { expression: 'attribute_not_exists(pk)' }; // an untouched default: stored on its first edit
  return labels.put(tenantId, label, condition);
}

function served(item: LabelItem): Label {
  const { deletedAt: _deletedAt, deletedBy: _deletedBy, cleanedAt: _cleanedAt, ...label } = item;
  return label;
}
