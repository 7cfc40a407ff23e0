import { deterministicId } from '../shared/ids.ts';
import type { AppliedBy, LabelRecord } from '../model/label.ts';
import type { LabelAction } from '../model/enums.ts';
import type { Event } from '../model/event.ts';

/**
 * A label history record. Its id is time-ordered by `at` and derived from what it records (the event,
 * the label, the action and the application it concerns, identified by that application's appliedAt),
 * so recording the same thing twice writes the same record.
 */
export function labelRecordOf(input: {
  action: LabelAction;
  event: Pick<Event, 'id' | 'path' | 'hostname' | 'changeType' | 'detectedAt' | 'policyId' | 'serverId'>;
  label: { id: string; name: string };
  note: string | null | undefined;
  by: AppliedBy;
  /** When this action happened. */
  at: string;
  /** appliedAt of the application this record is about. */
  application: string;
}): LabelRecord {
  const { action, event, label, by, at, application } = input;
  return {
    id: deterministicId('lhr', new Date(at), `${event.id}\n${label.id}\n${action}\n${application}\n${action === 'note-changed' ? at : ''}`),
    action,
    eventId: event.id,
    labelId: label.id,
    labelName: label.name,
    note: input.note ?? null,
    appliedBy: by,
    appliedAt: at,
    policyId: event.policyId,
    serverId: event.serverId,
    event: { path: event.path, hostname: event.hostname, changeType: event.changeType, detectedAt: event.detectedAt },
  };
}

/** The dashboard dedupe key of one label change (the same change counted twice counts once). */
export const labelCountKey = (action: 'applied' | 'removed', eventId: string, labelId: string, application: string) =>
  `${action}/${eventId}/${labelId}/${application}`;
