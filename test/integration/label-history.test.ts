import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { putEvents } from '../../functions/store/events.ts';
import { putMemberships } from '../../functions/store/event-labels.ts';
import { recordsPendingSync } from '../../functions/store/label-history.ts';
import { labelEvents } from '../../functions/use-cases/label-events.ts';
import { listLabelHistory } from '../../functions/use-cases/list-label-history.ts';
import type { Event } from '../../functions/model/event.ts';
import { deterministicId } from '../../functions/shared/ids.ts';
import { loseNextSend, messagesSentTo } from '../helpers/sqs-faults.ts';

/**
 * Label history retention (Tanium's: 30 days; at most N per tenant, oldest first; never younger than 72
 * hours) with an injected clock, on the real store; and a deleted label taken off its events.
 */
let stack: TestStack;
const DAY = 86_400_000;
const now = new Date('2026-11-30T12:00:00.000Z');
const ago = (days: number) => new Date(now.getTime() - days * DAY);

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

/** A tenant of its own (the cap counts a tenant's records) with `n` stored events. */
async function tenantWithEvents(n: number) {
  const created = await stack.api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name: `t${Math.random()}` } });
  expect(created.status).toBe(201);
  const tenantId = created.json.tenant.id as string;
  const events: Event[] = Array.from({ length: n }, (_, i) => ({
    id: deterministicId('evt', ago(40), `e${i}`),
    serverId: 'srv_x',
    hostname: 'h',
    groupId: 'grp_unassigned',
    policyId: 'pol_x',
    targetPath: '/etc',
    path: `/etc/f${i}`,
    changeType: 'modified',
    changedAttributes: ['content'],
    severity: 'normal',
    source: 'scan',
    detectedAt: ago(40).toISOString(),
    before: null,
    after: null,
    labels: [],
  }));
  await putMemberships(tenantId, events);
  await putEvents(tenantId, events);
  return { tenantId, adminKey: created.json.adminKey as string, events };
}

const by = { type: 'user' as const, id: 'key_test' };

describe('label history retention', () => {
  it('records older than 30 days vanish from reads (filtered, whatever TTL has deleted yet)', async () => {
    const { tenantId, events } = await tenantWithEvents(3);
    await labelEvents(tenantId, { eventIds: [events[0]!.id], labelId: 'lbl_important' }, by, ago(31));
    await labelEvents(tenantId, { eventIds: [events[1]!.id], labelId: 'lbl_important' }, by, ago(29));
    await labelEvents(tenantId, { eventIds: [events[2]!.id], labelId: 'lbl_important' }, by, ago(1));
    const at = async (when: Date) => (await listLabelHistory(tenantId, {}, { limit: 50 }, when)).items.map((r) => r.eventId);
    expect(await at(now)).toEqual([events[2]!.id, events[1]!.id]);
    // Read 25 days earlier, the oldest record was 6 days old: all three were there.
    expect(await at(ago(25))).toEqual([events[2]!.id, events[1]!.id, events[0]!.id]);
    expect(await at(new Date(now.getTime() + 2 * DAY))).toEqual([events[2]!.id]);
  });

  it('over the cap the oldest go first, but none younger than 72 hours', async () => {
    const { tenantId, events } = await tenantWithEvents(6);
    const days = [10, 9, 5, 2.5, 1, 0.5];
    for (const [i, d] of days.entries()) await labelEvents(tenantId, { eventIds: [events[i]!.id], labelId: 'lbl_expected' }, by, ago(d));
    const visible = async (maxRecords: number) =>
      (await listLabelHistory(tenantId, {}, { limit: 50 }, now, { maxAgeDays: 30, maxRecords, minAgeHours: 72 })).items.map((r) => events.findIndex((e) => e.id === r.eventId));
    expect(await visible(1_000_000)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(await visible(4)).toEqual([5, 4, 3, 2]);
    // A cap of 1 would keep only the newest, but the three records younger than 72 hours stay.
    expect(await visible(1)).toEqual([5, 4, 3]);
  });
});

describe('deleting a label', () => {
  it('takes it off every event in the background; the history keeps the applications and records the removals', async () => {
    const { tenantId, adminKey, events } = await tenantWithEvents(3);
    const label = await stack.api('POST', '/v1/labels', { key: adminKey, body: { name: 'Temp', color: '#00ff00', notify: true } });
    const applied = await stack.api('POST', '/v1/events/labels', { key: adminKey, body: { eventIds: events.map((e) => e.id), labelId: label.json.id, note: 'n' } });
    expect(applied.json.newlyLabeled).toBe(3);
    // The label sync's hook: applications of a notify label wait in its index; others never enter it.
    await stack.api('POST', '/v1/events/labels', { key: adminKey, body: { eventIds: [events[0]!.id], labelId: 'lbl_expected' } });
    const pending = await recordsPendingSync(tenantId, 100, new Date());
    expect(pending.map((r) => [r.labelId, r.action]).sort()).toEqual([[label.json.id, 'applied'], [label.json.id, 'applied'], [label.json.id, 'applied']]);
    await stack.api('DELETE', `/v1/events/${events[0]!.id}/labels/lbl_expected`, { key: adminKey });
    expect((await stack.api('GET', `/v1/events?labelId=${label.json.id}`, { key: adminKey })).json.items).toHaveLength(3);
    expect((await stack.api('DELETE', `/v1/labels/${label.json.id}`, { key: adminKey })).status).toBe(204);
    // Asked again before its cleanup is done (a client retrying after a 5xx): the cleanup is queued again, harmlessly.
    expect((await stack.api('DELETE', `/v1/labels/${label.json.id}`, { key: adminKey })).status).toBe(204);
    await stack.drain();
    expect((await stack.api('DELETE', `/v1/labels/${label.json.id}`, { key: adminKey })).status).toBe(404);
    for (const e of events) expect((await stack.api('GET', `/v1/events/${e.id}`, { key: adminKey })).json.labels).toEqual([]);
    expect((await stack.api('GET', `/v1/events?labelId=${label.json.id}`, { key: adminKey })).json.items).toEqual([]);
    expect((await stack.api('GET', '/v1/events?unlabeled=true', { key: adminKey })).json.items).toHaveLength(3);
    const records = (await stack.api('GET', `/v1/label-history?labelId=${label.json.id}&limit=50`, { key: adminKey })).json.items;
    expect(records.filter((r: any) => r.action === 'applied')).toHaveLength(3);
    expect(records.filter((r: any) => r.action === 'removed')).toHaveLength(3);
    expect(records.every((r: any) => r.labelName === 'Temp')).toBe(true);
    const dashboard = await stack.api('GET', '/v1/dashboard?from=2026-10-01T00:00:00Z&to=2026-11-30T00:00:00Z', { key: adminKey });
    expect(dashboard.json.byLabel).toEqual([]);
  });
});

describe('a lost cleanup message', () => {
  const labelsOf = async (key: string, eventId: string) => (await stack.api('GET', `/v1/events/${eventId}`, { key })).json.labels.map((l: any) => l.labelId);

  it('of a deleted label is sent again by the schedule sweep once the queue would have delivered it: the label leaves every event', async () => {
    const { adminKey, events } = await tenantWithEvents(2);
    const label = await stack.api('POST', '/v1/labels', { key: adminKey, body: { name: 'Lost', color: '#00ff00' } });
    await stack.api('POST', '/v1/events/labels', { key: adminKey, body: { eventIds: events.map((e) => e.id), labelId: label.json.id } });
    const failure = loseNextSend(stack.queueUrls['label-cleanup']);
    expect((await stack.api('DELETE', `/v1/labels/${label.json.id}`, { key: adminKey })).status).toBe(500);
    expect(failure.lost()).toBe(true);
    await stack.drain();
    expect(await labelsOf(adminKey, events[0]!.id)).toEqual([label.json.id]);
    // A tick within the visibility timeout leaves it (its message may still be on the way); a later one sends it.
    await stack.tick(new Date());
    expect(await labelsOf(adminKey, events[0]!.id)).toEqual([label.json.id]);
    await stack.tick(new Date(Date.now() + 5 * 60_000));
    for (const e of events) expect(await labelsOf(adminKey, e.id)).toEqual([]);
    expect((await stack.api('DELETE', `/v1/labels/${label.json.id}`, { key: adminKey })).status).toBe(404);
  });

  it('of a deleted rule is sent again by the sweep: the labels the rule applied go, and its tombstone with them', async () => {
    const { tenantId, adminKey, events } = await tenantWithEvents(2);
    const policy = await stack.api('POST', '/v1/policies', { key: adminKey, body: { name: 'p', platform: 'linux', targets: [{ path: '/etc' }] } });
    const rule = await stack.api('POST', '/v1/rules', {
      key: adminKey,
      body: { name: 'etc files', policyId: policy.json.id, labelId: 'lbl_expected', criteria: [{ field: 'path', operator: 'startsWith', value: '/etc/' }] },
    });
    expect(rule.status).toBe(201);
    // The rule labels at ingest; here its application is written as the ingest would.
    await labelEvents(tenantId, { eventIds: events.map((e) => e.id), labelId: 'lbl_expected' }, { type: 'rule', id: rule.json.id }, new Date());
    expect(await labelsOf(adminKey, events[0]!.id)).toEqual(['lbl_expected']);
    loseNextSend(stack.queueUrls['label-cleanup']);
    expect((await stack.api('DELETE', `/v1/rules/${rule.json.id}`, { key: adminKey })).status).toBe(500);
    await stack.tick(new Date(Date.now() + 5 * 60_000));
    for (const e of events) expect(await labelsOf(adminKey, e.id)).toEqual([]);
    expect((await stack.api('GET', `/v1/rules/${rule.json.id}`, { key: adminKey })).status).toBe(404);
    // Nothing more is owed: later sweeps send nothing.
    const sent = await messagesSentTo(stack.queueUrls['label-cleanup'], () => stack.tick(new Date(Date.now() + 10 * 60_000)));
    expect(sent).toBe(0);
  });

});
