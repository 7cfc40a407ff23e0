import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getItem } from '../../functions/store/db.ts';
import { getEvent, listEvents } from '../../functions/store/events.ts';
import { keys, triageKeys } from '../../functions/store/keys.ts';
import { getDashboard } from '../../functions/use-cases/get-dashboard.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { runAgent } from '../helpers/agent.ts';

/**
 * Issue 15, retention: `eventRetentionDays` acts. Events are written by the real ingest of real agent
 * scans; the reads are the store's own, at an injected `now` days ahead (the API reads at the real now).
 */
let stack: TestStack;
let admin: string;
let tenantId: string;
const root = mkdtempSync(join(tmpdir(), 'dw-retention-'));
const DAY = 86_400_000;
const daysAhead = (days: number) => new Date(Date.now() + days * DAY);

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  tenantId = stack.credentials.tenantId;
});
afterAll(async () => {
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('event retention', () => {
  const dir = join(root, 'watched');
  let serverId: string;
  let policyId: string;
  let stateDir: string;
  /** Changes a file, scans, and answers the event of that file. */
  async function changeAndScan(name: string): Promise<{ id: string; detectedAt: string }> {
    writeFileSync(join(dir, name), `changed ${Date.now()}\n`);
    const scan = await runAgent(['scan'], { stateDir });
    expect(scan.code, scan.stderr).toBe(0);
    await stack.drain();
    const listed = await stack.api('GET', `/v1/events?serverId=${serverId}&limit=500`, { key: admin });
    expect(listed.status, listed.text).toBe(200);
    const event = listed.json.items.find((e: { path: string }) => e.path === join(dir, name));
    expect(event).toBeDefined();
    return event;
  }

  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.conf'), 'a\n');
    writeFileSync(join(dir, 'b.conf'), 'b\n');
    const policy = await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'kept', platform: 'linux', targets: [{ path: dir }] } });
    policyId = policy.json.id;
    await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'kept', tag: 'kept', policyIds: [policyId] } });
    stateDir = join(root, 'state');
    const enrolled = await runAgent(['enroll', '--api', stack.apiUrl, '--key', stack.credentials.enrollmentKey, '--tag', 'kept'], { stateDir });
    expect(enrolled.code, enrolled.stderr).toBe(0);
    serverId = enrolled.json.serverId;
    expect((await runAgent(['scan'], { stateDir })).code).toBe(0);
  });

  it('an event older than the retention window is not listed or served; a change of the setting applies to events stored afterwards', async () => {
    const kept = await changeAndScan('a.conf'); // under the default 90 days
    const patched = await stack.api('PATCH', '/v1/settings', { key: admin, body: { eventRetentionDays: 1 } });
    expect(patched.status).toBe(200);
    expect(patched.json.eventRetentionDays).toBe(1);
    const short = await changeAndScan('b.conf'); // under 1 day

    // The stored expiry (DynamoDB's TTL attribute), fixed when each event was stored.
    const ttl = async (id: string) => (await getItem(keys.event(tenantId, id)))!.expiresAt;
    expect(await ttl(kept.id)).toBe(Math.ceil((Date.parse(kept.detectedAt) + 90 * DAY) / 1000));
    expect(await ttl(short.id)).toBe(Math.ceil((Date.parse(short.detectedAt) + DAY) / 1000));
    expect((await stack.api('GET', `/v1/events/${short.id}`, { key: admin })).json).not.toHaveProperty('expiresAt');

    // Labeled, each event's label item (for lists by label) carries the event's expiry.
    const labeled = await stack.api('POST', '/v1/events/labels', { key: admin, body: { eventIds: [kept.id, short.id], labelId: 'lbl_expected' } });
    expect(labeled.status, labeled.text).toBe(200);
    expect((await getItem(triageKeys.labeledEvent(tenantId, 'lbl_expected', short.id)))!.expiresAt).toBe(await ttl(short.id));

    // Two days on: the 1-day event is past its window, the 90-day one is not, whichever list reads them.
    const twoDays = daysAhead(2);
    const ids = async (filter: Parameters<typeof listEvents>[1], now: Date) => (await listEvents(tenantId, filter, { limit: 500 }, now)).items.map((e) => e.id);
    for (const filter of [{ serverId }, { policyId }, {}, { changeType: 'modified' as const }, { labelId: 'lbl_expected' }, { serverId, labelId: 'lbl_expected' }]) {
      expect(await ids(filter, twoDays), JSON.stringify(filter)).toContain(kept.id);
      expect(await ids(filter, twoDays), JSON.stringify(filter)).not.toContain(short.id);
    }
    expect(await getEvent(tenantId, short.id, twoDays)).toBeUndefined();
    expect((await getEvent(tenantId, kept.id, twoDays))?.id).toBe(kept.id);
    // The dashboard counts what was detected, expired or not.
    const dashboard = await getDashboard(tenantId, {}, twoDays);
    expect(dashboard.byServer.find((s) => s.serverId === serverId)?.total).toBe(2);

    // 91 days on, neither.
    expect(await ids({ serverId }, daysAhead(91))).toEqual([]);
    expect(await getEvent(tenantId, kept.id, daysAhead(91))).toBeUndefined();

    // Today both are within their windows.
    const now = await stack.api('GET', `/v1/events?serverId=${serverId}&limit=500`, { key: admin });
    expect(now.json.items.map((e: { id: string }) => e.id)).toEqual(expect.arrayContaining([kept.id, short.id]));
  });
});
