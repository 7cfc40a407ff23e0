import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb, getSqs } from '../../functions/shared/clients.ts';
import { groups, groupScansEntry } from '../../functions/store/groups.ts';
import { dueStateOf, moveDueState } from '../../functions/store/due-state.ts';
import { keys } from '../../functions/store/keys.ts';
import { scans } from '../../functions/store/scans.ts';
import { getServerWithInbox } from '../../functions/store/servers.ts';
import { groupScanId } from '../../functions/use-cases/dispatch-scans.ts';
import { scheduleTick } from '../../functions/use-cases/schedule-tick.ts';
import { seedServers } from '../helpers/fleet.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Issue 15 acceptance, scheduled scans: time is driven by ticks (`stack.tick(date)` is `POST /_local/tick`:
 * the schedule handler at that instant, then the queues drained). The API's own clock is real, so each
 * group is created now and ticked a day or more later.
 */
let stack: TestStack;
let admin: string;
let tenantId: string;
let policyId: string;

const DAY = 86_400_000;
/** The first `HH:MM` UTC after now: the first slot of a daily group created now. */
function nextDaily(hhmm: string): Date {
  const d = dailyAt(hhmm, 0);
  return d.getTime() > Date.now() ? d : new Date(d.getTime() + DAY);
}
/** `HH:MM` UTC at least `days` days after now (a slot a group created now has not passed yet). */
function dailyAt(hhmm: string, days: number): Date {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const d = new Date(Date.now() + days * DAY);
  d.setUTCHours(h, m, 0, 0);
  return d;
}

async function createGroup(name: string, scanSchedule: object) {
  const res = await stack.api('POST', '/v1/server-groups', { key: admin, body: { name, tag: name, policyIds: [policyId], scanSchedule } });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

async function enroll(hostname: string, tag: string): Promise<string> {
  const res = await stack.api('POST', '/v1/agent/enroll', { key: stack.credentials.enrollmentKey, body: { hostname, platform: 'linux', agentVersion: '1.0.0', tag } });
  expect(res.status, res.text).toBe(201);
  return res.json.serverId;
}

/** The scheduled scans of a server, as the API lists them. */
async function scheduledScans(serverId: string): Promise<Array<{ id: string; requestedAt: string; status: string }>> {
  const res = await stack.api('GET', `/v1/scans?serverId=${serverId}&limit=500`, { key: admin });
  expect(res.status).toBe(200);
  return res.json.items.filter((s: { kind: string }) => s.kind === 'scheduled');
}

/** Counts the DynamoDB and SQS commands sent while `work` runs (in this process: API, tick and workers). */
async function counting(work: () => Promise<void>): Promise<Record<string, number>> {
  const counted: Record<string, number> = {};
  const count = (name: string) => (counted[name] = (counted[name] ?? 0) + 1);
  const { doc } = getDb();
  const sqs = getSqs();
  doc.middlewareStack.add((next, context) => async (args) => (count(String(context.commandName)), next(args)), { step: 'initialize', name: 'countForTest' });
  sqs.middlewareStack.add((next, context) => async (args) => (count(String(context.commandName)), next(args)), { step: 'initialize', name: 'countForTest' });
  try {
    await work();
  } finally {
    doc.middlewareStack.remove('countForTest');
    sqs.middlewareStack.remove('countForTest');
  }
  return counted;
}

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  tenantId = stack.credentials.tenantId;
  const policy = await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'sched', platform: 'linux', targets: [{ path: '/etc' }] } });
  policyId = policy.json.id;
});
afterAll(() => stack?.stop());

describe('a group with a daily schedule', () => {
  let groupId: string;
  let active: string[];
  let deactivated: string;
  beforeAll(async () => {
    groupId = await createGroup('daily', { frequency: 'daily', time: '03:00' });
    active = [await enroll('daily-1', 'daily'), await enroll('daily-2', 'daily')];
    deactivated = await enroll('daily-3', 'daily');
    expect((await stack.api('DELETE', `/v1/servers/${deactivated}`, { key: admin })).status).toBe(204);
  });

  it('gets exactly one scheduled scan per active server at its time, none on the same minute again, none for a deactivated server', async () => {
    const slot = nextDaily('03:00');
    await stack.tick(new Date(slot.getTime() - 60_000));
    for (const id of active) expect(await scheduledScans(id)).toEqual([]);

    await stack.tick(slot);
    for (const id of active) {
      const list = await scheduledScans(id);
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ requestedAt: slot.toISOString(), status: 'pending' });
      // The agent finds it at its next check-in: the inbox entry is in the server's partition.
      expect((await getServerWithInbox(tenantId, id))!.inbox.map((e) => e.scanId)).toContain(list[0]!.id);
    }
    await stack.tick(slot);
    await stack.tick(new Date(slot.getTime() + 30_000));
    for (const id of active) expect(await scheduledScans(id)).toHaveLength(1);
    expect(await scheduledScans(deactivated)).toEqual([]);

    // The next day's slot is a new scan.
    await stack.tick(new Date(slot.getTime() + DAY));
    for (const id of active) expect(await scheduledScans(id)).toHaveLength(2);
  });

  it('after an outage of three days, one scan, late, for the latest slot (not one per missed slot)', async () => {
    const before = (await scheduledScans(active[0]!)).length;
    const late = new Date(dailyAt('03:00', 6).getTime() + 5 * 3_600_000);
    await stack.tick(late);
    const after = await scheduledScans(active[0]!);
    expect(after).toHaveLength(before + 1);
    expect(after.map((s) => s.requestedAt)).toContain(dailyAt('03:00', 6).toISOString());
  });
});

describe('claims and debts', () => {
  it('two ticks at the same instant dispatch a slot once', async () => {
    const groupId = await createGroup('twice', { frequency: 'hourly', time: '00:20' });
    const server = await enroll('twice-1', 'twice');
    const slot = dailyAt('05:20', 2);
    const [a, b] = await Promise.all([scheduleTick(slot), scheduleTick(slot)]);
    expect(a.claimed + b.claimed).toBe(1);
    await stack.drain();
    const list = await scheduledScans(server);
    expect(list.map((s) => s.requestedAt)).toEqual([slot.toISOString()]);
    expect(dueStateOf((await groups.get(tenantId, groupId))!)).toEqual({ nextDueAt: new Date(slot.getTime() + 3_600_000).toISOString() });
  });

  it('a slot claimed whose message was lost (a crash between the claim and the send) is sent again a visibility timeout later', async () => {
    const groupId = await createGroup('lost', { frequency: 'daily', time: '06:00' });
    const server = await enroll('lost-1', 'lost');
    const slot = dailyAt('06:00', 2);
    // The crashed tick: the claim is written, the message never sent.
    const group = (await groups.get(tenantId, groupId))!;
    const claimedAt = slot.getTime() + 1_000;
    const owed = { nextDueAt: new Date(slot.getTime() + DAY).toISOString(), owedSlot: slot.toISOString(), owedRetryAt: new Date(claimedAt + 360_000).toISOString() };
    expect(await moveDueState(keys.group(tenantId, groupId), groupScansEntry(tenantId, groupId), dueStateOf(group), owed)).toBe(true);

    await stack.tick(new Date(claimedAt + 60_000));
    expect(await scheduledScans(server)).toEqual([]);
    await stack.tick(new Date(claimedAt + 360_000));
    expect((await scheduledScans(server)).map((s) => s.requestedAt)).toEqual([slot.toISOString()]);
    // Done: the debt is cleared, and the next tick sends nothing.
    expect(dueStateOf((await groups.get(tenantId, groupId))!)).toEqual({ nextDueAt: owed.nextDueAt });
    expect((await scheduleTick(new Date(claimedAt + 420_000))).resent).toBe(0);
  });

  it('a schedule change takes effect at its first slot after the change; off stops it', async () => {
    const groupId = await createGroup('changed', { frequency: 'daily', time: '07:00' });
    const server = await enroll('changed-1', 'changed');
    const patched = await stack.api('PATCH', `/v1/server-groups/${groupId}`, { key: admin, body: { scanSchedule: { frequency: 'weekly', dayOfWeek: 'monday', time: '08:00' } } });
    expect(patched.status).toBe(200);
    expect(patched.json).not.toHaveProperty('nextDueAt');
    await stack.tick(dailyAt('07:00', 2));
    expect(await scheduledScans(server)).toEqual([]);
    const monday = dailyAt('08:00', 1);
    while (monday.getUTCDay() !== 1) monday.setUTCDate(monday.getUTCDate() + 1);
    await stack.tick(monday);
    expect((await scheduledScans(server)).map((s) => s.requestedAt)).toEqual([monday.toISOString()]);

    expect((await stack.api('PATCH', `/v1/server-groups/${groupId}`, { key: admin, body: { scanSchedule: { frequency: 'off' } } })).status).toBe(200);
    await stack.tick(new Date(monday.getTime() + 7 * DAY));
    expect(await scheduledScans(server)).toHaveLength(1);
    expect(dueStateOf((await groups.get(tenantId, groupId))!)).toEqual({});
  });

  it('a group without a policy gets no scheduled scans (Halo scans only groups with a policy)', async () => {
    const res = await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'bare', tag: 'bare', scanSchedule: { frequency: 'daily', time: '09:00' } } });
    const server = await enroll('bare-1', 'bare');
    await stack.tick(dailyAt('09:00', 2));
    expect(await scheduledScans(server)).toEqual([]);
    expect(dueStateOf((await groups.get(tenantId, res.json.id))!).owedSlot).toBeUndefined();
  });
});

describe('2,000 servers in one group', () => {
  it('dispatch in one tick with batched requests', async () => {
    const groupId = await createGroup('fleet', { frequency: 'daily', time: '04:00' });
    const ids = await seedServers(tenantId, groupId, 2_000);
    const slot = dailyAt('04:00', 2);

    const counted = await counting(() => stack.tick(slot));

    const created = await scans.getMany(tenantId, ids.map((id) => groupScanId({ tenantId, groupId, slot: slot.toISOString() }, id)));
    expect(created).toHaveLength(2_000);
    expect(new Set(created.map((s) => s.serverId)).size).toBe(2_000);
    expect(created.every((s) => s.kind === 'scheduled' && s.status === 'pending')).toBe(true);
    for (const id of [ids[0]!, ids[999]!, ids[1_999]!]) expect((await getServerWithInbox(tenantId, id))!.inbox).toHaveLength(1);

    // 2,000 scans and 2,000 inbox entries in requests of 25; which scans exist read in requests of 100.
    expect(counted.BatchWriteItemCommand).toBe(160);
    expect(counted.BatchGetItemCommand).toBe(20);
    // No write per server: the tick's claim and the worker's debt cleared are the only single-item writes.
    expect(counted.PutItemCommand ?? 0).toBe(0);
    expect(counted.UpdateItemCommand).toBe(2);
    // Queries: the 16 wake shards and the pages of 500 servers (the last one finds the end), and the tick's
    // per-tenant sweeps (the tenants, then for this one tenant 16 shards of lost ingests, issue 20, its lost
    // label cleanups, issue 12, its due alert digests, issue 13, and its sync destinations, issue 14); one
    // SendMessageBatch.
    expect(counted.QueryCommand).toBeLessThanOrEqual(16 + 5 + 1 + 16 + 1 + 1 + 1);
    expect(counted.SendMessageBatchCommand).toBe(1);
    expect(counted.SendMessageCommand ?? 0).toBe(0);
    const total = Object.values(counted).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(230);
  });
});
