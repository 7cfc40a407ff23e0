import type { Event } from '../model/event.ts';
import { autoLabel } from '../domain/auto-label.ts';
import { dayOf } from '../domain/dashboard.ts';
import { listLabels } from '../store/labels.ts';
import { listRuleItems } from '../store/rules.ts';
import { putMemberships } from '../store/event-labels.ts';
import { getEvents } from '../store/events.ts';
import { putLabelRecords } from '../store/label-history.ts';
import { countChange, type CounterDeltas } from '../store/dashboard-counters.ts';

/**
 * The triage part of an ingest, run on the new events of one scan and policy before they are written:
 * the tenant's rules label them, the dashboard counts them, and their label records and by-label items
 * are written. Every step repeats safely, so a redelivered ingest labels nothing twice: labels depend only
 * on the events and the rules (by detection time), the count is keyed by (scan, policy) and made once, and
 * when it was already made (an earlier attempt got this far) the records are written only where missing,
 * so a record the label sync already delivered is not queued again.
 * Answers the events with their labels, for the caller to write.
 */
export async function triageNewEvents(tenantId: string, ctx: { scanId: string; serverId: string; hostname: string; policyId: string }, events: readonly Event[], now: Date): Promise<Event[]> {
  if (events.length === 0) return [];
  const [rules, labels] = await Promise.all([listRuleItems(tenantId), listLabels(tenantId)]);
  const byId = new Map(labels.map((l) => [l.id, l]));
  const labeled = autoLabel(events, rules.filter((r) => r.policyId === ctx.policyId && !r.deletedAt), byId);
  const firstCount = await countChange(tenantId, {
    day: dayOf(events[0]!.detectedAt),
    serverId: ctx.serverId,
    hostname: ctx.hostname,
    dedupeKey: `ingest/${ctx.scanId}/${ctx.policyId}`,
    deltas: deltasOf(labeled.events),
  }, now);
  await putLabelRecords(tenantId, labeled.records, { onlyNew: !firstCount, pendingSync: (r) => byId.get(r.labelId)?.notify ?? false });
  // An earlier attempt may have written some of these events, and users may have labeled them since:
  // their stored labels stand (the first write of an event decides its rule labels; later changes are users').
  const out = firstCount ? labeled.events : await keepStoredLabels(tenantId, labeled.events);
  await putMemberships(tenantId, out);
  return out;
}

async function keepStoredLabels(tenantId: string, events: Event[]): Promise<Event[]> {
  const stored = new Map((await getEvents(tenantId, events.map((e) => e.id))).map((e) => [e.id, e.labels]));
  return events.map((event) => (stored.has(event.id) ? { ...event, labels: stored.get(event.id)! } : event));
}

/** What a batch of new events adds to the dashboard. */
function deltasOf(events: readonly Event[]): CounterDeltas {
  const deltas = { total: 0, added: 0, modified: 0, removed: 0, renamed: 0, critical: 0, normal: 0, labels: {} as Record<string, number> };
  for (const event of events) {
    deltas.total++;
    deltas[event.changeType]++;
    deltas[event.severity]++;
    for (const label of event.labels) deltas.labels[label.labelId] = (deltas.labels[label.labelId] ?? 0) + 1;
  }
  return deltas;
}
