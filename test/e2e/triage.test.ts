import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { runAgent } from '../helpers/agent.ts';
import { getScanState } from '../../functions/store/scan-state.ts';
import { putItem } from '../../functions/store/db.ts';
import { keys as storeKeys } from '../../functions/store/keys.ts';
import { scans } from '../../functions/store/scans.ts';
import { getDb } from '../../functions/shared/clients.ts';

/**
 * Issue 12 acceptance on the real stack with the real agent: labels, rules in the ingest path, the label
 * history, the dashboard (after a redelivered ingest too) and the roles.
 */
let stack: TestStack;
let admin: string;
let tenantId: string;
const keys: Record<'readOnly' | 'user' | 'author', string> = { readOnly: '', user: '', author: '' };
const root = mkdtempSync(join(tmpdir(), 'dw-triage-'));
const W = join(root, 'watched');
let server: { policyId: string; groupId: string; serverId: string; stateDir: string };

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  tenantId = stack.credentials.tenantId;
  for (const [name, role] of [['readOnly', 'read-only'], ['user', 'user'], ['author', 'author']] as const) {
    const created = await stack.api('POST', '/v1/api-keys', { key: admin, body: { name, role } });
    expect(created.status).toBe(201);
    keys[name] = created.json.key;
  }
  mkdirSync(join(W, 'deploy'), { recursive: true });
  mkdirSync(join(W, 'etc'), { recursive: true });
  writeFileSync(join(W, 'deploy/app.conf'), 'v=0\n');
  writeFileSync(join(W, 'deploy/other.txt'), 'x=0\n');
  writeFileSync(join(W, 'etc/passwd'), 'root:x:0:0\n');
  const policy = await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'triage', platform: 'linux', state: 'on', targets: [{ path: W }] } });
  const group = await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'triage', tag: 'triage', policyIds: [policy.json.id] } });
  const stateDir = join(root, 'state');
  const enrolled = await runAgent(['enroll', '--api', stack.apiUrl, '--key', stack.credentials.enrollmentKey, '--tag', 'triage', '--hostname', 'web-7'], { stateDir });
  expect(enrolled.code, enrolled.stderr).toBe(0);
  server = { policyId: policy.json.id, groupId: group.json.id, serverId: enrolled.json.serverId, stateDir };
  await scan(); // the baseline
});
afterAll(async () => {
  await stack?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** One scan through the agent; answers the scan's events (path relative to W -> event). */
async function scan(): Promise<{ scanId: string; events: Map<string, any> }> {
  const requested = await stack.api('POST', `/v1/servers/${server.serverId}/scans`, { key: admin });
  expect(requested.status).toBe(202);
  const run = await runAgent(['run', '--once'], { stateDir: server.stateDir });
  expect(run.code, run.stderr).toBe(0);
  await stack.drain();
  const done = await stack.api('GET', `/v1/scans/${requested.json.id}`, { key: admin });
  expect(done.json.status).toBe('completed');
  const listed = await stack.api('GET', `/v1/events?serverId=${server.serverId}&limit=500`, { key: admin });
  const events = new Map<string, any>();
  for (const e of listed.json.items) if (e.scanId === requested.json.id) events.set(e.path.slice(W.length + 1), e);
  return { scanId: requested.json.id, events };
}

const event = async (id: string) => (await stack.api('GET', `/v1/events/${id}`, { key: admin })).json;
const history = async (query: string) => (await stack.api('GET', `/v1/label-history?limit=500&${query}`, { key: keys.readOnly })).json.items as any[];

describe('labels', () => {
  it('every tenant has the five defaults; Important and Suspicious notify', async () => {
    const labels = await stack.api('GET', '/v1/labels', { key: keys.readOnly });
    expect(labels.status).toBe(200);
    expect(labels.json.items.map((l: any) => [l.name, l.notify, l.builtIn])).toEqual([
      ['Important', true, true],
      ['Suspicious', true, true],
      ['Expected', false, true],
      ['Ignored', false, true],
      ['Planned', false, true],
    ]);
  });

  it('custom and per-policy labels; names unique; defaults editable; admin deletes', async () => {
    const custom = await stack.api('POST', '/v1/labels', { key: keys.author, body: { name: 'Change window', color: '#123456', notify: true } });
    expect(custom.status).toBe(201);
    expect(custom.json).toMatchObject({ name: 'Change window', color: '#123456', notify: true, builtIn: false });
    const dup = await stack.api('POST', '/v1/labels', { key: keys.author, body: { name: 'change WINDOW', color: '#123456' } });
    expect(dup.status).toBe(409);
    const perPolicy = await stack.api('POST', '/v1/labels', { key: keys.author, body: { name: 'Web deploy', color: '#abcdef', policyId: server.policyId } });
    expect(perPolicy.status).toBe(201);
    expect(perPolicy.json.policyId).toBe(server.policyId);
    const badPolicy = await stack.api('POST', '/v1/labels', { key: keys.author, body: { name: 'x', color: '#abcdef', policyId: 'pol_nope' } });
    expect(badPolicy.status).toBe(400);
    const badColor = await stack.api('POST', '/v1/labels', { key: keys.author, body: { name: 'y', color: 'red' } });
    expect(badColor.status).toBe(400);

    const renamed = await stack.api('PATCH', '/v1/labels/lbl_planned', { key: keys.author, body: { name: 'Scheduled', color: '#000000' } });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ id: 'lbl_planned', name: 'Scheduled', builtIn: true });
    expect((await stack.api('GET', '/v1/labels/lbl_planned', { key: keys.readOnly })).json.name).toBe('Scheduled');

    expect((await stack.api('DELETE', `/v1/labels/${custom.json.id}`, { key: keys.author })).status).toBe(403);
    expect((await stack.api('DELETE', `/v1/labels/${custom.json.id}`, { key: admin })).status).toBe(204);
    expect((await stack.api('GET', `/v1/labels/${custom.json.id}`, { key: admin })).status).toBe(404);
  });

  it('users label many events with a note, remove one, edit a note; events list by label and unlabeled; history records each', async () => {
    writeFileSync(join(W, 'etc/passwd'), 'root:x:0:0\nbob:x:1000:1000\n');
    writeFileSync(join(W, 'etc/new.conf'), 'new\n');
    writeFileSync(join(W, 'etc/third.conf'), 'third\n');
    const { events } = await scan();
    const ids = ['etc/passwd', 'etc/new.conf', 'etc/third.conf'].map((p) => events.get(p)!.id as string);

    const labeled = await stack.api('POST', '/v1/events/labels', { key: keys.user, body: { eventIds: ids, labelId: 'lbl_suspicious', note: 'who is bob?' } });
    expect(labeled.status).toBe(200);
    expect(labeled.json).toMatchObject({ labeled: 3, newlyLabeled: 3 });
    const again = await stack.api('POST', '/v1/events/labels', { key: keys.user, body: { eventIds: ids.slice(0, 1), labelId: 'lbl_suspicious' } });
    expect(again.json).toMatchObject({ labeled: 1, newlyLabeled: 0, alreadyLabeled: 1 });
    await stack.api('POST', '/v1/events/labels', { key: keys.user, body: { eventIds: ids.slice(0, 1), labelId: 'lbl_important' } });

    const passwd = await event(ids[0]!);
    expect(passwd.labels.map((l: any) => [l.labelId, l.name, l.note ?? null, l.appliedBy.type])).toEqual([
      ['lbl_suspicious', 'Suspicious', 'who is bob?', 'user'],
      ['lbl_important', 'Important', null, 'user'],
    ]);

    // Nothing changes when one event is unknown.
    const bad = await stack.api('POST', '/v1/events/labels', { key: keys.user, body: { eventIds: [ids[1], 'evt_nope'], labelId: 'lbl_expected' } });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([{ path: 'eventIds.1', message: 'no event evt_nope' }]);
    expect((await event(ids[1]!)).labels.map((l: any) => l.labelId)).toEqual(['lbl_suspicious']);

    expect((await stack.api('DELETE', `/v1/events/${ids[2]}/labels/lbl_suspicious`, { key: keys.user })).status).toBe(204);
    expect((await stack.api('DELETE', `/v1/events/${ids[2]}/labels/lbl_suspicious`, { key: keys.user })).status).toBe(404);
    const noted = await stack.api('PATCH', `/v1/events/${ids[1]}/labels/lbl_suspicious`, { key: keys.user, body: { note: 'bob is the new admin' } });
    expect(noted.status).toBe(200);
    expect(noted.json.note).toBe('bob is the new admin');

    const bySuspicious = await stack.api('GET', `/v1/events?labelId=lbl_suspicious&serverId=${server.serverId}`, { key: keys.readOnly });
    expect(bySuspicious.json.items.map((e: any) => e.id).sort()).toEqual([ids[0], ids[1]].sort());
    const suspiciousAnywhere = await stack.api('GET', '/v1/events?labelId=lbl_suspicious', { key: keys.readOnly });
    expect(suspiciousAnywhere.json.items.map((e: any) => e.id).sort()).toEqual([ids[0], ids[1]].sort());
    const unlabeled = await stack.api('GET', '/v1/events?unlabeled=true&limit=500', { key: keys.readOnly });
    expect(unlabeled.json.items.map((e: any) => e.id)).toContain(ids[2]);
    expect(unlabeled.json.items.map((e: any) => e.id)).not.toContain(ids[0]);
    expect(unlabeled.json.items.every((e: any) => e.labels.length === 0)).toBe(true);
    const both = await stack.api('GET', '/v1/events?labelId=lbl_suspicious&unlabeled=true', { key: keys.readOnly });
    expect(both.status).toBe(400);

    const records = await history(`labelId=lbl_suspicious`);
    const userKeyId = keys.user.split('.')[1];
    expect(records.filter((r) => r.eventId === ids[2]).map((r) => r.action)).toEqual(['removed', 'applied']);
    expect(records.find((r) => r.eventId === ids[1] && r.action === 'note-changed')).toMatchObject({ note: 'bob is the new admin', labelName: 'Suspicious', appliedBy: { type: 'user', id: userKeyId } });
    expect(records.find((r) => r.eventId === ids[0] && r.action === 'applied')).toMatchObject({
      labelId: 'lbl_suspicious',
      labelName: 'Suspicious',
      note: 'who is bob?',
      appliedBy: { type: 'user', id: userKeyId },
      event: { path: join(W, 'etc/passwd'), hostname: 'web-7', changeType: 'modified' },
    });
    // One application, one record, however often it was asked for.
    expect(records.filter((r) => r.eventId === ids[0] && r.action === 'applied')).toHaveLength(1);
    expect((await history(`policyId=${server.policyId}&labelId=lbl_important`)).map((r) => r.eventId)).toEqual([ids[0]]);
  });
});

describe('rules', () => {
  let ruleId: string;
  let cloneId: string;

  it('a rule created after an event does not label it; the next matching event is; others are not', async () => {
    writeFileSync(join(W, 'deploy/app.conf'), 'v=1\n');
    const first = await scan();
    const before = first.events.get('deploy/app.conf')!;
    const rule = await stack.api('POST', '/v1/rules', {
      key: keys.author,
      body: {
        name: 'deploy tool',
        policyId: server.policyId,
        labelId: 'lbl_expected',
        note: 'CR-1',
        criteria: [
          { field: 'path', operator: 'glob', value: '**/deploy/*.conf' },
          { field: 'changeType', operator: 'eq', value: 'modified' },
          { field: 'hostname', operator: 'startsWith', value: 'web-' },
        ],
      },
    });
    expect(rule.status).toBe(201);
    expect(rule.json).toMatchObject({ active: true, labelId: 'lbl_expected' });
    ruleId = rule.json.id;
    expect((await event(before.id)).labels).toEqual([]);

    writeFileSync(join(W, 'deploy/app.conf'), 'v=2\n');
    writeFileSync(join(W, 'deploy/other.txt'), 'x=2\n');
    const second = await scan();
    expect(second.events.get('deploy/app.conf')!.labels).toEqual([
      { labelId: 'lbl_expected', name: 'Expected', note: 'CR-1', appliedBy: { type: 'rule', id: ruleId }, appliedAt: second.events.get('deploy/app.conf')!.detectedAt },
    ]);
    expect(second.events.get('deploy/other.txt')!.labels).toEqual([]);
    expect((await event(before.id)).labels).toEqual([]);
    const byRule = await history(`labelId=lbl_expected`);
    expect(byRule.filter((r) => r.appliedBy.id === ruleId).map((r) => [r.action, r.eventId])).toEqual([['applied', second.events.get('deploy/app.conf')!.id]]);
  });

  it('rules are immutable, cloned with a timestamped name, and a deactivated rule stops labeling', async () => {
    expect((await stack.api('PATCH', `/v1/rules/${ruleId}`, { key: keys.author, body: { name: 'x' } })).status).toBe(405);
    const clone = await stack.api('POST', `/v1/rules/${ruleId}/clone`, { key: keys.author });
    expect(clone.status).toBe(201);
    expect(clone.json.name).toMatch(/^deploy tool cloned \d{4}-\d\d-\d\dT/);
    expect(clone.json.criteria).toHaveLength(3);
    const narrowed = await stack.api('POST', `/v1/rules/${ruleId}/clone`, { key: keys.author, body: { name: 'other files', labelId: 'lbl_ignored', note: null, criteria: [{ field: 'path', operator: 'endsWith', value: '/other.txt' }] } });
    expect(narrowed.status).toBe(201);
    cloneId = narrowed.json.id;
    expect((await stack.api('DELETE', `/v1/rules/${clone.json.id}`, { key: admin })).status).toBe(204);

    const deactivated = await stack.api('POST', `/v1/rules/${ruleId}/deactivate`, { key: keys.author });
    expect(deactivated.status).toBe(200);
    expect(deactivated.json.active).toBe(false);
    writeFileSync(join(W, 'deploy/app.conf'), 'v=3\n');
    writeFileSync(join(W, 'deploy/other.txt'), 'x=3\n');
    const third = await scan();
    expect(third.events.get('deploy/app.conf')!.labels).toEqual([]);
    expect(third.events.get('deploy/other.txt')!.labels.map((l: any) => [l.labelId, l.appliedBy.id])).toEqual([['lbl_ignored', cloneId]]);
    // The labels it applied stay.
    const labeledByRule = await stack.api('GET', '/v1/events?labelId=lbl_expected', { key: admin });
    expect(labeledByRule.json.items.map((e: any) => e.labels[0].appliedBy.id)).toEqual([ruleId]);
  });

  it('deleting a rule removes the labels it applied, and the history shows the application and the removal', async () => {
    const labeled = (await stack.api('GET', '/v1/events?labelId=lbl_expected', { key: admin })).json.items;
    expect(labeled).toHaveLength(1);
    expect((await stack.api('DELETE', `/v1/rules/${ruleId}`, { key: keys.author })).status).toBe(403);
    expect((await stack.api('DELETE', `/v1/rules/${ruleId}`, { key: admin })).status).toBe(204);
    expect((await stack.api('GET', `/v1/rules/${ruleId}`, { key: admin })).status).toBe(404);
    await stack.drain();
    expect((await stack.api('DELETE', `/v1/rules/${ruleId}`, { key: admin })).status).toBe(404);
    expect((await event(labeled[0].id)).labels).toEqual([]);
    expect((await stack.api('GET', '/v1/events?labelId=lbl_expected', { key: admin })).json.items).toEqual([]);
    const records = (await history(`labelId=lbl_expected`)).filter((r) => r.eventId === labeled[0].id);
    expect(records.map((r) => [r.action, r.appliedBy])).toEqual([
      ['removed', { type: 'rule', id: ruleId }],
      ['applied', { type: 'rule', id: ruleId }],
    ]);
    // The clone's labels are untouched.
    expect((await stack.api('GET', '/v1/events?labelId=lbl_ignored', { key: admin })).json.items.map((e: any) => e.labels[0].appliedBy.id)).toEqual([cloneId]);
  });

  it('learns a rule from an event: a draft to post', async () => {
    writeFileSync(join(W, 'etc/learned.conf'), 'l\n');
    const { events } = await scan();
    const learned = events.get('etc/learned.conf')!;
    const draft = await stack.api('POST', `/v1/events/${learned.id}/rule-draft`, { key: keys.author });
    expect(draft.status).toBe(200);
    expect(draft.json).toMatchObject({
      policyId: server.policyId,
      criteria: [
        { field: 'path', operator: 'eq', value: join(W, 'etc/learned.conf') },
        { field: 'changeType', operator: 'eq', value: 'added' },
        { field: 'hostname', operator: 'eq', value: 'web-7' },
      ],
    });
    expect((await stack.api('POST', '/v1/rules', { key: keys.author, body: draft.json })).status).toBe(201);
    expect((await stack.api('GET', '/v1/rules', { key: keys.readOnly })).json.items.map((r: any) => r.name)).toContain(draft.json.name);
  });
});

describe('rules CSV import', () => {
  const example = (policyId: string) => `name,description,note,monitor_id,label_id,field,operator,value
app1 generated events,events generated by app1,CR12345,${policyId},lbl_expected,,,
,,,,,process,eq,C:/Program Files/app1/app1.exe
,,,,,file,contains,C:/Program Files/app1
rule 2 name,rule 2 description,rule 2 note,${policyId},ignored,,,
,,,,,event_timestamp,gt,2018-06-01T06:00:00.000Z
,,,,,event_timestamp,lt,2018-07-01T06:00:00.000Z
,,,,,file,contains,C:/Program Files
`;
  const post = (csv: string, key = keys.author) => stack.api('POST', '/v1/rules/import', { key, raw: csv, headers: { 'content-type': 'text/csv' } });

  it('imports the contract\'s example with the right criteria', async () => {
    const out = await post(example(server.policyId));
    expect(out.status).toBe(200);
    expect(out.json).toMatchObject({ created: 2, skipped: [] });
    const [one, two] = await Promise.all(out.json.rules.map((r: any) => stack.api('GET', `/v1/rules/${r.id}`, { key: keys.readOnly }).then((x) => x.json)));
    expect(one).toMatchObject({ name: 'app1 generated events', description: 'events generated by app1', note: 'CR12345', policyId: server.policyId, labelId: 'lbl_expected', active: true });
    expect(one.criteria).toEqual([
      { field: 'process', operator: 'eq', value: 'C:/Program Files/app1/app1.exe' },
      { field: 'path', operator: 'contains', value: 'C:/Program Files/app1' },
    ]);
    // label_id may also name the label (without case).
    expect(two).toMatchObject({ name: 'rule 2 name', labelId: 'lbl_ignored' });
    expect(two.criteria).toEqual([
      { field: 'detectedAt', operator: 'gt', value: '2018-06-01T06:00:00.000Z' },
      { field: 'detectedAt', operator: 'lt', value: '2018-07-01T06:00:00.000Z' },
      { field: 'path', operator: 'contains', value: 'C:/Program Files' },
    ]);
  });

  it('a file with one bad row imports the rest and reports the row\'s line and reason; an unreadable file creates nothing', async () => {
    const count = async () => (await stack.api('GET', '/v1/rules?limit=500', { key: admin })).json.items.length;
    const before = await count();
    const oneBad = example(server.policyId).replace(',,,,,event_timestamp,lt,2018-07-01T06:00:00.000Z', ',,,,,event_timestamp,lt,next tuesday');
    const out = await post(oneBad);
    expect(out.json.created).toBe(1);
    expect(out.json.rules.map((r: any) => r.name)).toEqual(['app1 generated events']);
    expect(out.json.skipped).toEqual([{ line: 7, reason: expect.stringContaining('ISO-8601') }]);
    expect(await count()).toBe(before + 1);

    const broken = await post('name,description\n"never closed,\n');
    expect(broken.status).toBe(400);
    expect(broken.headers.get('content-type')).toContain('application/problem+json');
    expect(await count()).toBe(before + 1);
    expect((await post(example(server.policyId), keys.user)).status).toBe(403);
  });
});

describe('dashboard', () => {
  const today = () => new Date().toISOString().slice(0, 10);
  const window = () => `from=${today()}T00:00:00.000Z&to=${today()}T23:59:59.999Z`;

  async function listedToday() {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await stack.api('GET', `/v1/events?${window()}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key: admin });
      items.push(...page.json.items);
      cursor = page.json.nextCursor;
    } while (cursor);
    return items;
  }

  async function expectDashboardMatchesEvents() {
    const dashboard = await stack.api('GET', `/v1/dashboard?${window()}`, { key: keys.readOnly });
    expect(dashboard.status).toBe(200);
    const events = await listedToday();
    const count = (f: (e: any) => boolean) => events.filter(f).length;
    expect(dashboard.json.changes).toEqual({
      total: events.length,
      added: count((e) => e.changeType === 'added'),
      modified: count((e) => e.changeType === 'modified'),
      removed: count((e) => e.changeType === 'removed'),
      renamed: count((e) => e.changeType === 'renamed'),
    });
    expect(dashboard.json.bySeverity).toEqual({ critical: count((e) => e.severity === 'critical'), normal: count((e) => e.severity === 'normal') });
    expect(dashboard.json.byServer).toEqual([{ serverId: server.serverId, hostname: 'web-7', total: events.length }]);
    expect(dashboard.json.series).toEqual([{ date: today(), total: events.length }]);
    const labelCounts = new Map<string, number>();
    for (const e of events) for (const l of e.labels) labelCounts.set(l.labelId, (labelCounts.get(l.labelId) ?? 0) + 1);
    expect(new Map(dashboard.json.byLabel.map((l: any) => [l.labelId, l.total]))).toEqual(labelCounts);
    expect(dashboard.json.servers).toBe(1);
    return dashboard.json;
  }

  it('totals equal the events listed for the same window, labels included', async () => {
    const dashboard = await expectDashboardMatchesEvents();
    expect(dashboard.changes.total).toBeGreaterThan(5);
  });

  it('the same ingest message delivered twice (after a crash that left it half done) counts once', async () => {
    const before = await getScanState(tenantId, server.serverId, server.policyId);
    writeFileSync(join(W, 'deploy/other.txt'), 'x=4\n');
    writeFileSync(join(W, 'etc/twice.conf'), 'twice\n');
    const { scanId, events } = await scan();
    expect(events.get('deploy/other.txt')!.labels.map((l: any) => l.labelId)).toEqual(['lbl_ignored']);
    const counted = await expectDashboardMatchesEvents();
    const records = await history('');

    // Put the table back as a crash after the events and counts were written, before the scan completed,
    // leaves it: the scan state not moved on, the scan still running. Then deliver its message twice at once.
    // (the state item as an ingest holding its turn leaves it: not advanced, the scan in line and holding the claim)
    await putItem({ ...storeKeys.scanState(tenantId, server.serverId, server.policyId), ...before!, uploads: new Set([scanId]), ingestingScanId: scanId });
    await scans.update(tenantId, scanId, { set: { status: 'running' }, remove: ['completedAt'] });
    // Meanwhile a user labels one of its events: the redelivered ingest must not undo that.
    const twice = events.get('etc/twice.conf')!;
    expect((await stack.api('POST', '/v1/events/labels', { key: keys.user, body: { eventIds: [twice.id], labelId: 'lbl_important' } })).status).toBe(200);
    const countedWithLabel = await expectDashboardMatchesEvents();
    const recordsWithLabel = await history('');
    const body = JSON.stringify({ tenantId, scanId });
    await stack.sqs.send(new SendMessageBatchCommand({ QueueUrl: stack.queueUrls['scan-ingest']!, Entries: [{ Id: 'a', MessageBody: body }, { Id: 'b', MessageBody: body }] }));
    await stack.drain();
    expect((await stack.api('GET', `/v1/scans/${scanId}`, { key: admin })).json).toMatchObject({ status: 'completed', stats: { added: 1, modified: 1 } });
    expect((await getScanState(tenantId, server.serverId, server.policyId))!.lastScanId).toBe(scanId);

    expect((await event(twice.id)).labels.map((l: any) => l.labelId)).toEqual(['lbl_important']);
    expect((await event(events.get('deploy/other.txt')!.id)).labels.map((l: any) => l.labelId)).toEqual(['lbl_ignored']);
    const again = await expectDashboardMatchesEvents();
    expect(again).toEqual(countedWithLabel);
    expect(again.changes).toEqual(counted.changes);
    expect(await history('')).toEqual(recordsWithLabel);
    expect(recordsWithLabel.length).toBe(records.length + 1);
  });

  it('answers a 90-day window in 3 DynamoDB requests (+1 for the credential), and refuses more than 366 days or a reversed window', async () => {
    const from = new Date(Date.now() - 89 * 86_400_000).toISOString();
    const sent: string[] = [];
    const { doc } = getDb();
    doc.middlewareStack.add((next, context) => async (args) => {
      sent.push(String(context.commandName));
      return next(args);
    }, { step: 'initialize', name: 'countDashboardRequests' });
    const ninety = await stack.api('GET', `/v1/dashboard?from=${from}`, { key: keys.readOnly });
    doc.middlewareStack.remove('countDashboardRequests');
    expect(ninety.status).toBe(200);
    expect(sent.sort()).toEqual(['GetItemCommand', 'QueryCommand', 'QueryCommand', 'QueryCommand']);
    expect(ninety.json.series).toHaveLength(90);
    expect(ninety.json.changes.total).toBe((await listedToday()).length);
    expect((await stack.api('GET', `/v1/dashboard?from=2020-01-01T00:00:00Z`, { key: keys.readOnly })).status).toBe(400);
    expect((await stack.api('GET', `/v1/dashboard?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z`, { key: keys.readOnly })).status).toBe(400);
    expect((await stack.api('GET', `/v1/dashboard?form=2026-12-02T00:00:00Z`, { key: keys.readOnly })).status).toBe(400);
  });
});

describe('roles', () => {
  it('user may label, not create rules or labels; read-only may read history and dashboard only', async () => {
    const anEvent = (await stack.api('GET', '/v1/events?limit=1', { key: admin })).json.items[0];
    const rule = { name: 'r', policyId: server.policyId, labelId: 'lbl_expected', criteria: [{ field: 'path', operator: 'contains', value: 'x' }] };
    expect((await stack.api('POST', '/v1/events/labels', { key: keys.user, body: { eventIds: [anEvent.id], labelId: 'lbl_important' } })).status).toBe(200);
    expect((await stack.api('PATCH', `/v1/events/${anEvent.id}/labels/lbl_important`, { key: keys.user, body: { note: 'n' } })).status).toBe(200);
    expect((await stack.api('DELETE', `/v1/events/${anEvent.id}/labels/lbl_important`, { key: keys.user })).status).toBe(204);
    expect((await stack.api('POST', '/v1/rules', { key: keys.user, body: rule })).status).toBe(403);
    expect((await stack.api('POST', '/v1/labels', { key: keys.user, body: { name: 'u', color: '#000000' } })).status).toBe(403);
    expect((await stack.api('POST', `/v1/events/${anEvent.id}/rule-draft`, { key: keys.user })).status).toBe(403);

    expect((await stack.api('GET', '/v1/label-history', { key: keys.readOnly })).status).toBe(200);
    expect((await stack.api('GET', '/v1/dashboard', { key: keys.readOnly })).status).toBe(200);
    expect((await stack.api('GET', '/v1/labels', { key: keys.readOnly })).status).toBe(200);
    expect((await stack.api('GET', '/v1/rules', { key: keys.readOnly })).status).toBe(200);
    expect((await stack.api('POST', '/v1/events/labels', { key: keys.readOnly, body: { eventIds: [anEvent.id], labelId: 'lbl_important' } })).status).toBe(403);
    expect((await stack.api('DELETE', `/v1/events/${anEvent.id}/labels/lbl_important`, { key: keys.readOnly })).status).toBe(403);
    expect((await stack.api('POST', '/v1/rules', { key: keys.readOnly, body: rule })).status).toBe(403);
    expect((await stack.api('POST', '/v1/rules', { key: keys.author, body: rule })).status).toBe(201);
  });
});
