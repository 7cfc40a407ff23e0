import { logger } from '../shared/logger.ts';
import type { AppliedBy } from '../model/label.ts';
import { getEvents } from '../store/events.ts';
import { deleteLabeledEvent, labeledEventsToClean, putLabeledEvent } from '../store/event-labels.ts';
import { getLabelItem, labels } from '../store/labels.ts';
import { rules } from '../store/rules.ts';
import { markCleanupProgress } from '../store/label-cleanups.ts';
import { enqueue } from '../queues/enqueue.ts';
import { labelCleanupQueue } from '../queues/queues.ts';
import { removeLabelFromEvent } from './event-label-steps.ts';

export interface CleanupMessage {
  tenantId: string;
  kind: 'label' | 'rule';
  id: string;
}

/** Events handled per message; what is left goes on in the next message. */
export const CLEANUP_BATCH = 400;

/**
 * After a label or a rule is deleted: takes that label (or each label the rule applied, and only where the
 * rule's own application is still there) off the events, recording each removal at the deletion time, so a
 * redelivered message writes the same records. Every item it looks at is removed or re-pointed, so each
 * run makes progress and the last one finds nothing; a deleted rule's tombstone then goes too.
 */
export async function cleanUpLabels(message: CleanupMessage, now = new Date()): Promise<void> {
  const { tenantId, kind, id } = message;
  const subject = kind === 'label' ? await labelSubject(tenantId, id) : await ruleSubject(tenantId, id);
  if (!subject) return;
  const items = await labeledEventsToClean(tenantId, kind === 'label' ? { labelId: id } : { ruleId: id }, CLEANUP_BATCH);
  const events = new Map((await getEvents(tenantId, [...new Set(items.map((i) => i.eventId))])).map((e) => [e.id, e]));
  let removed = 0;
  for (const item of items) {
    const event = events.get(item.eventId);
    const entry = event?.labels.find((l) => l.labelId === item.labelId);
    const ours = entry && (kind === 'label' || (entry.appliedBy.type === 'rule' && entry.appliedBy.id === id));
    if (event && ours) {
      const label = (await getLabelItem(tenantId, item.labelId)) ?? { id: item.labelId, name: entry.name };
      if (await removeLabelFromEvent(tenantId, event, { id: label.id, name: label.name }, subject.by, subject.at, now)) removed++;
      await deleteLabeledEvent(tenantId, item.labelId, item.eventId);
    } else if (event && entry) {
      // Someone else's application of the same label: keep it findable by label, no longer under this rule.
      await putLabeledEvent(tenantId, event, item.labelId, entry.appliedBy.type === 'rule' ? entry.appliedBy.id : undefined);
    } else {
      await deleteLabeledEvent(tenantId, item.labelId, item.eventId);
    }
  }
  logger.info('labels cleaned up', { tenantId, kind, id, looked: items.length, removed });
  if (items.length > 0) {
    // Progress first, so the schedule's sweep leaves a long cleanup alone while it moves.
    await markCleanupProgress(tenantId, { kind, id }, now);
    await enqueue(labelCleanupQueue, message);
  } else if (kind === 'rule') await rules.remove(tenantId, id, { expression: 'attribute_exists(deletedAt)' });
  else await labels.update(tenantId, id, { set: { cleanedAt: now.toISOString() }, remove: ['gsi2pk', 'gsi2sk'] }, { expression: 'attribute_exists(deletedAt)' });
}

async function labelSubject(tenantId: string, labelId: string): Promise<{ by: AppliedBy; at: string } | undefined> {
  const label = await getLabelItem(tenantId, labelId);
  if (!label?.deletedAt || label.cleanedAt) return undefined;
  return { by: label.deletedBy ?? { type: 'user', id: 'unknown' }, at: label.deletedAt };
}

async function ruleSubject(tenantId: string, ruleId: string): Promise<{ by: AppliedBy; at: string } | undefined> {
  const rule = await rules.get(tenantId, ruleId);
  if (!rule?.deletedAt) return undefined;
  return { by: { type: 'rule', id: ruleId }, at: rule.deletedAt };
}
