import type { Event } from '../model/event.ts';
import type { Label, LabelRecord } from '../model/label.ts';
import type { Rule } from '../model/rule.ts';
import { compileCriteria, ruleCovers } from './rule-match.ts';
import { labelRecordOf } from './label-records.ts';

/**
 * Runs the tenant's rules over freshly detected events: each rule that covers an event (its policy,
 * detected while the rule was active) and whose criteria all hold puts its label on it, once per label
 * (the oldest rule wins when two rules give the same label). A rule's label is applied at the event's
 * detection time, so running this twice on the same events gives the same labels and records.
 */
export function autoLabel(events: readonly Event[], rules: readonly Rule[], labels: ReadonlyMap<string, Label>): { events: Event[]; records: LabelRecord[] } {
  const usable = rules
    .filter((rule) => labels.has(rule.labelId))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    .map((rule) => ({ rule, matches: compileCriteria(rule.criteria) }));
  const records: LabelRecord[] = [];
  const out = events.map((event) => {
    const labelsOn = [...event.labels];
    for (const { rule, matches } of usable) {
      if (!ruleCovers(rule, event) || labelsOn.some((l) => l.labelId === rule.labelId) || !matches(event)) continue;
      const label = labels.get(rule.labelId)!;
      if (label.policyId && label.policyId !== event.policyId) continue;
      const appliedBy = { type: 'rule' as const, id: rule.id };
      labelsOn.push({ labelId: label.id, name: label.name, ...(rule.note ? { note: rule.note } : {}), appliedBy, appliedAt: event.detectedAt });
      records.push(labelRecordOf({ action: 'applied', event, label, note: rule.note, by: appliedBy, at: event.detectedAt, application: event.detectedAt }));
    }
    return labelsOn.length === event.labels.length ? event : { ...event, labels: labelsOn };
  });
  return { events: out, records };
}
