import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue } from '../../functions/queues/enqueue.ts';
import { reportsQueue } from '../../functions/queues/queues.ts';
import { updateSettings } from '../../functions/use-cases/update-settings.ts';
import { dueStateOf } from '../../functions/store/due-state.ts';
import { getTenant } from '../../functions/store/tenants.ts';
import { PART_BYTES, ReportPartWriter, reports } from '../../functions/store/reports.ts';
import { randomBytes } from 'node:crypto';
import { queryAll } from '../../functions/store/db.ts';
import { keys } from '../../functions/store/keys.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { runAgent } from '../helpers/agent.ts';

/**
 * Issue 15 acceptance, weekly reports, on the local stack with real agent scans: time is driven by ticks
 * (`stack.tick`, i.e. `POST /_local/tick`); a change of the report time "mid-week" is the settings use case
 * called at an injected instant (the API's own clock is real, and the ticks are days ahead of it).
 */
let stack: TestStack;
let admin: string;
let tenantId: string;
const root = mkdtempSync(join(tmpdir(), 'dw-reports-'));
const DAY = 86_400_000;
const dir = join(root, 'watched');
let policyId: string;
let events: Record<string, string>;

interface ReportJson {
  id: string;
  policyId: string;
  from: string;
  to: string;
  rowCount: number;
  fileName: string;
}

/** The first Sunday 00:00 UTC after now: the default weekly report time. */
function nextSunday(): Date {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  do d.setUTCDate(d.getUTCDate() + 1);
  while (d.getUTCDay() !== 0);
  return d;
}

const reportsOf = async (query = `?policyId=${policyId}`) => {
  const res = await stack.api('GET', `/v1/reports${query}`, { key: admin });
  expect(res.status, res.text).toBe(200);
  return res.json.items as ReportJson[];
};

async function label(eventId: string, labelId: string, note?: string) {
  const res = await stack.api('POST', '/v1/events/labels', { key: admin, body: { eventIds: [eventId], labelId, ...(note === undefined ? {} : { note }) } });
  expect(res.status, res.text).toBe(200);
}

/** The rows of a report's CSV, as a CSV parser reads them from the downloaded zip. */
async function downloadRows(report: ReportJson, key = admin): Promise<Record<string, string>[]> {
  const res = await stack.api('GET', `/v1/reports/${report.id}/download`, { key });
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/zip');
  expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${report.fileName}"`);
  const files = unzipSync(new Uint8Array(res.bytes));
  expect(Object.keys(files)).toEqual([report.fileName.replace(/\.zip$/, '.csv')]);
  return parse(Buffer.from(Object.values(files)[0]!), { bom: true, columns: true });
}

/** The label history of the policy as the API lists it, in the report's columns (newest first, as the report). */
async function historyRows(): Promise<Record<string, string>[]> {
  const res = await stack.api('GET', `/v1/label-history?policyId=${policyId}&limit=500`, { key: admin });
  expect(res.status).toBe(200);
  return res.json.items.map((r: any) => ({
    appliedAt: r.appliedAt,
    labelName: r.labelName,
    note: r.note ?? '',
    appliedBy: `${r.appliedBy.type}:${r.appliedBy.id}`,
    hostname: r.event.hostname,
    path: r.event.path,
    changeType: r.event.changeType,
  }));
}
const contractColumns = (rows: Record<string, string>[]) =>
  rows.map(({ appliedAt, labelName, note, appliedBy, hostname, path, changeType }) => ({ appliedAt, labelName, note, appliedBy, hostname, path, changeType }));

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  tenantId = stack.credentials.tenantId;
  mkdirSync(dir, { recursive: true });
  for (const name of ['a', 'b', 'c', 'd']) writeFileSync(join(dir, `${name}.conf`), `${name}\n`);
  const policy = await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'reported', platform: 'linux', reports: true, targets: [{ path: dir }] } });
  expect(policy.status).toBe(201);
  policyId = policy.json.id;
  await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'unreported', platform: 'linux', targets: [{ path: '/nonexistent' }] } });
  await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'reported', tag: 'reported', policyIds: [policyId] } });
  const stateDir = join(root, 'state');
  expect((await runAgent(['enroll', '--api', stack.apiUrl, '--key', stack.credentials.enrollmentKey, '--tag', 'reported', '--hostname', 'web-1'], { stateDir })).code).toBe(0);
  expect((await runAgent(['scan'], { stateDir })).code).toBe(0);
  for (const name of ['a', 'b', 'c', 'd']) writeFileSync(join(dir, `${name}.conf`), `${name} changed\n`);
  expect((await runAgent(['scan'], { stateDir })).code).toBe(0);
  await stack.drain();
  const listed = await stack.api('GET', `/v1/events?policyId=${policyId}&limit=500`, { key: admin });
  events = Object.fromEntries(listed.json.items.map((e: { id: string; path: string }) => [e.path.slice(dir.length + 1, -'.conf'.length), e.id]));
  expect(Object.keys(events).sort()).toEqual(['a', 'b', 'c', 'd']);
});
afterAll(async () => {
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('weekly reports', () => {
  const sunday = nextSunday();
  const tricky = 'rolled back, "urgent"\nsee ticket 42';

  it('at the weekly time, one report per reporting policy, whose zip holds one CSV a parser reads back to the same rows', async () => {
    await label(events.a!, 'lbl_expected', tricky);
    await label(events.b!, 'lbl_important');
    await stack.tick(new Date(sunday.getTime() - 60_000));
    expect(await reportsOf('')).toEqual([]);

    await stack.tick(sunday);
    const all = await reportsOf('');
    expect(all).toHaveLength(1);
    const [report] = all;
    expect(report).toMatchObject({ policyId, to: sunday.toISOString(), rowCount: 2 });
    const rows = await downloadRows(report!);
    expect(contractColumns(rows)).toEqual(await historyRows());
    expect(rows.map((r) => r.note)).toContain(tricky);
    expect(rows.map((r) => r.action)).toEqual(['applied', 'applied']);
    // The tenant owes nothing more; its next report time is a week on.
    expect(dueStateOf((await getTenant(tenantId))!)).toEqual({ nextDueAt: new Date(sunday.getTime() + 7 * DAY).toISOString() });
  });

  it('is produced once even if its message is delivered twice (or the time is ticked again)', async () => {
    const [before] = await reportsOf();
    await enqueue(reportsQueue, { tenantId, to: sunday.toISOString() });
    await enqueue(reportsQueue, { tenantId, to: sunday.toISOString() });
    await stack.drain();
    await stack.tick(sunday);
    expect(await reportsOf()).toEqual([before]);
  });

  it('moved from Sunday to Wednesday on the Tuesday: the Wednesday report covers the 3 days since, with exactly the records since the last one', async () => {
    await label(events.c!, 'lbl_planned', 'after the first report');
    const tuesday = new Date(sunday.getTime() + 2 * DAY + 10 * 3_600_000);
    await updateSettings(tenantId, { weeklyReport: { dayOfWeek: 'wednesday' } }, tuesday);
    const wednesday = new Date(sunday.getTime() + 3 * DAY);
    await stack.tick(new Date(wednesday.getTime() - 60_000));
    expect(await reportsOf()).toHaveLength(1);

    await stack.tick(wednesday);
    const [latest] = await reportsOf();
    expect(latest).toMatchObject({ from: sunday.toISOString(), to: wednesday.toISOString(), rowCount: 1 });
    const rows = await downloadRows(latest!);
    expect(rows.map((r) => [r.labelName, r.note])).toEqual([['Planned', 'after the first report']]);
  });

  it('moved back to Sunday on the Thursday, then to Wednesday on a Thursday: the Sunday report covers 4 days, the next Wednesday one 10', async () => {
    const wednesday = new Date(sunday.getTime() + 3 * DAY);
    await updateSettings(tenantId, { weeklyReport: { dayOfWeek: 'sunday' } }, new Date(wednesday.getTime() + DAY));
    await label(events.d!, 'lbl_expected');
    const nextSun = new Date(sunday.getTime() + 7 * DAY);
    await stack.tick(nextSun);
    const [sundayReport] = await reportsOf();
    expect(sundayReport).toMatchObject({ from: wednesday.toISOString(), to: nextSun.toISOString(), rowCount: 1 });

    await updateSettings(tenantId, { weeklyReport: { dayOfWeek: 'wednesday' } }, new Date(nextSun.getTime() + 4 * DAY + 3_600_000));
    await label(events.a!, 'lbl_suspicious');
    // The Sunday a week later passes: the report time is Wednesday now.
    await stack.tick(new Date(nextSun.getTime() + 7 * DAY));
    expect(await reportsOf()).toHaveLength(3);
    const tenDays = new Date(nextSun.getTime() + 10 * DAY);
    await stack.tick(tenDays);
    const [last] = await reportsOf();
    expect(last).toMatchObject({ from: nextSun.toISOString(), to: tenDays.toISOString(), rowCount: 1 });
    expect((await downloadRows(last!)).map((r) => r.labelName)).toEqual(['Suspicious']);
    expect((await reportsOf()).map((r) => r.rowCount)).toEqual([1, 1, 1, 2]);
  });

  it('read-only users list and download; authors delete; a deleted report is gone', async () => {
    const key = await stack.api('POST', '/v1/api-keys', { key: admin, body: { name: 'reader', role: 'read-only' } });
    const reader = key.json.key as string;
    const [first] = (await reportsOf()).slice(-1);
    expect((await stack.api('GET', `/v1/reports/${first!.id}`, { key: reader })).json).toMatchObject({ id: first!.id, rowCount: 2 });
    expect(await downloadRows(first!, reader)).toHaveLength(2);
    expect((await stack.api('DELETE', `/v1/reports/${first!.id}`, { key: reader })).status).toBe(403);
    expect((await stack.api('DELETE', `/v1/reports/${first!.id}`, { key: admin })).status).toBe(204);
    expect((await stack.api('GET', `/v1/reports/${first!.id}`, { key: admin })).status).toBe(404);
    expect((await stack.api('GET', `/v1/reports/${first!.id}/download`, { key: admin })).status).toBe(404);
    expect((await stack.api('DELETE', `/v1/reports/${first!.id}`, { key: admin })).status).toBe(404);
    expect(await reportsOf()).toHaveLength(3);
    // A redelivered message of that report time does not bring it back.
    await enqueue(reportsQueue, { tenantId, to: sunday.toISOString() });
    await stack.drain();
    expect(await reportsOf()).toHaveLength(3);
  });

  it('a report larger than an item is stored in parts and downloaded whole', async () => {
    const id = 'rpt_large';
    const bytes = randomBytes(3 * PART_BYTES + 12_345);
    const parts = new ReportPartWriter(tenantId, id);
    for (let i = 0; i < bytes.length; i += 64_000) {
      parts.append(bytes.subarray(i, i + 64_000));
      await parts.flush();
    }
    const stored = await parts.close();
    expect(stored).toEqual({ parts: 4, bytes: bytes.length });
    const to = new Date(sunday.getTime() - 7 * DAY).toISOString();
    await reports.create(tenantId, { id, policyId: 'pol_large', from: to, to, rowCount: 0, createdAt: to, sizeBytes: stored.bytes, fileName: 'large.zip', ...stored, seqAfter: 0, seqUpTo: 0 });
    const res = await stack.api('GET', `/v1/reports/${id}/download`, { key: admin });
    expect(res.status).toBe(200);
    expect(res.bytes.equals(bytes)).toBe(true);
    expect((await stack.api('DELETE', `/v1/reports/${id}`, { key: admin })).status).toBe(204);
    expect(await queryAll(keys.reportParts(tenantId, id))).toEqual([]);
  });

  it('an unknown query parameter is a 400; another tenant sees none of them', async () => {
    expect((await stack.api('GET', '/v1/reports?policy=x', { key: admin })).status).toBe(400);
    const other = await stack.api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name: 'other' } });
    const [report] = await reportsOf();
    expect((await stack.api('GET', '/v1/reports', { key: other.json.adminKey })).json.items).toEqual([]);
    expect((await stack.api('GET', `/v1/reports/${report!.id}/download`, { key: other.json.adminKey })).status).toBe(404);
  });
});
