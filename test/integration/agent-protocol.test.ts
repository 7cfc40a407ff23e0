import { gzipSync } from 'node:zlib';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTree, sortEntries, type PathEntry } from '../../functions/contract/tree.ts';
import { getDb, getSqs } from '../../functions/shared/clients.ts';
import { config } from '../../functions/shared/config.ts';
import { keys } from '../../functions/store/keys.ts';
import { dynamoCommandsOf } from '../helpers/dynamo-commands.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { completeOverWire, enrollOverWire, uploadOverWire, wireFile as file } from '../helpers/wire-scan.ts';

/**
 * The agent protocol spoken directly over HTTP (no agent process), for what the CLI never sends:
 * bad input, another server's scan, a deactivated server, a redelivered ingest message, and the
 * DynamoDB request count of a check-in.
 */
let stack: TestStack;
let admin: string;
let policyId: string;


const enroll = (hostname: string) => enrollOverWire(stack.api, stack.credentials.enrollmentKey, hostname, 'proto');

const agentCall = (credential: string, method: string, path: string, body?: unknown) => stack.api(method, path, { key: credential, body });

function nodesBody(nodes: unknown[], gzip = true) {
  const json = JSON.stringify({ policyId, nodes });
  return { raw: gzip ? gzipSync(json) : json, headers: { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) } };
}

async function nodeCount(): Promise<number> {
  // The test stack runs in this process and its table holds this file's data only: count the nodes in it.
  const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
  const out = await getDb().doc.send(new ScanCommand({ TableName: getDb().table, FilterExpression: 'sk = :n', ExpressionAttributeValues: { ':n': 'NODE' } }));
  return out.Items?.length ?? 0;
}

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  const policy = await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'proto', platform: 'linux', targets: [{ path: '/srv/app' }] } });
  policyId = policy.json.id;
  await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'proto', tag: 'proto', policyIds: [policyId] } });
});
afterAll(() => stack?.stop());

describe('bad input from an agent: 4xx and nothing stored', () => {
  let agent: { serverId: string; credential: string };
  let scanId: string;
  beforeAll(async () => {
    agent = await enroll('bad-1');
    scanId = (await agentCall(agent.credential, 'POST', '/v1/agent/scans', { kind: 'on-demand' })).json.id;
  });

  it('malformed manifest (not gzip, not JSON, wrong shapes)', async () => {
    const before = await nodeCount();
    const notGzip = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, { key: agent.credential, raw: 'plain', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(notGzip.status).toBe(400);
    const notJson = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, { key: agent.credential, raw: gzipSync('{nope'), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(notJson.status).toBe(400);
    const badShape = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, { key: agent.credential, ...nodesBody([{ level: 0, entries: [['/srv/app/x', { type: 'file' }]] }]) });
    expect(badShape.status).toBe(400);
    expect(badShape.json.errors.length).toBeGreaterThan(0);
    const badHave = await agentCall(agent.credential, 'POST', `/v1/agent/scans/${scanId}/have`, { hashes: ['not a hash'] });
    expect(badHave.status).toBe(400);
    expect(await nodeCount()).toBe(before);
  });

  it('a path not under any target, or unsorted leaf entries', async () => {
    const before = await nodeCount();
    const outside = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, {
      key: agent.credential,
      ...nodesBody([{ level: 0, entries: [['/srv/app/ok', file('ok', 1)]] }, { level: 0, entries: [['/etc/shadow', file('x', 2)]] }]),
    });
    expect(outside.status).toBe(400);
    expect(outside.json.errors[0].message).toMatch(/outside/);
    const unsorted = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, {
      key: agent.credential,
      ...nodesBody([{ level: 0, entries: [['/srv/app/b', file('b', 3)], ['/srv/app/a', file('a', 4)]] }]),
    });
    expect(unsorted.status).toBe(400);
    expect(await nodeCount()).toBe(before);
  });

  it('a wrong chunk id: an inner node whose children were never uploaded, or a root that does not exist', async () => {
    const before = await nodeCount();
    const orphan = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, { key: agent.credential, ...nodesBody([{ level: 1, children: ['AAAAAAAAAAAAAAAAAAAAAA'] }]) });
    expect(orphan.status).toBe(400);
    const complete = await agentCall(agent.credential, 'POST', `/v1/agent/scans/${scanId}/complete`, { results: [{ policyId, root: 'BBBBBBBBBBBBBBBBBBBBBB', filesScanned: 1 }] });
    expect(complete.status).toBe(409);
    expect(complete.json.missing).toEqual(['BBBBBBBBBBBBBBBBBBBBBB']);
    const wrongPolicy = await agentCall(agent.credential, 'POST', `/v1/agent/scans/${scanId}/complete`, { results: [{ policyId: 'pol_other0000000000', root: 'BBBBBBBBBBBBBBBBBBBBBB', filesScanned: 1 }] });
    expect(wrongPolicy.status).toBe(400);
    expect(await nodeCount()).toBe(before);
    expect((await stack.api('GET', `/v1/scans/${scanId}`, { key: admin })).json.status).not.toBe('completed');
  });

  it('an oversized chunk is a 413', async () => {
    const before = await nodeCount();
    const huge = Buffer.alloc(6 * 1024 * 1024, 0x61);
    const res = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, { key: agent.credential, raw: huge, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20));
    const bombed = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, { key: agent.credential, raw: bomb, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    expect(bombed.status).toBe(413);
    expect(await nodeCount()).toBe(before);
  });

  it('a delta node against a base the server lacks (or on another level) is a 400; a valid delta is stored', async () => {
    const base: PathEntry[] = [['/srv/app/d1', file('d1', 11)], ['/srv/app/d2', file('d2', 12)]];
    const baseTree = buildTree(base);
    expect((await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, { key: agent.credential, ...nodesBody([{ level: 0, entries: base }]) })).status).toBe(200);
    const before = await nodeCount();
    const unknown = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, { key: agent.credential, ...nodesBody([{ level: 0, base: 'CCCCCCCCCCCCCCCCCCCCCC', remove: [], put: [] }]) });
    expect(unknown.status).toBe(400);
    const wrongLevel = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, { key: agent.credential, ...nodesBody([{ level: 1, base: baseTree.root, edits: [[0, 0, []]] }]) });
    expect(wrongLevel.status).toBe(400);
    const outside = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, { key: agent.credential, ...nodesBody([{ level: 0, base: baseTree.root, remove: [], put: [['/etc/passwd', file('p', 13)]] }]) });
    expect(outside.status).toBe(400);
    expect(await nodeCount()).toBe(before);
    const next: PathEntry[] = [['/srv/app/d1', file('d1', 11)], ['/srv/app/d3', file('d3', 14)]];
    const delta = await stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, {
      key: agent.credential,
      ...nodesBody([{ level: 0, base: baseTree.root, remove: ['/srv/app/d2'], put: [['/srv/app/d3', file('d3', 14)]] }]),
    });
    expect(delta.status, delta.text).toBe(200);
    expect(delta.json.stored).toEqual([buildTree(next).root]);
  });

  it("another server's scan id is a 404", async () => {
    const other = await enroll('bad-2');
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['POST', '/have', { hashes: ['AAAAAAAAAAAAAAAAAAAAAA'] }],
      ['POST', '/complete', { results: [] }],
      ['POST', '/fail', { error: 'x' }],
    ] as const) {
      expect((await agentCall(other.credential, method, `/v1/agent/scans/${scanId}${suffix}`, body)).status).toBe(404);
    }
    expect((await stack.api('GET', `/v1/scans/${scanId}`, { key: admin })).json.status).not.toBe('failed');
  });

  it('a tenant API key is not an agent credential, and an agent credential opens no tenant route', async () => {
    // A valid credential on a route it may not use is a 403 (issue 9): it is not an invalid credential.
    expect((await agentCall(admin, 'POST', '/v1/agent/check-in', { agentVersion: '1' })).status).toBe(403);
    expect((await agentCall(agent.credential, 'GET', '/v1/servers')).status).toBe(403);
  });
});

describe('a full upload over the wire', () => {
  const entries: PathEntry[] = sortEntries(Array.from({ length: 300 }, (_, i) => [`/srv/app/f${String(i).padStart(4, '0')}`, file(`c${i}`, 1000 + i)] as PathEntry));

  async function upload(credential: string, list: PathEntry[]) {
    const uploaded = await uploadOverWire(stack.api, { credential }, policyId, list);
    const done = await completeOverWire(stack.api, { credential }, policyId, uploaded, list.length);
    expect(done.status, done.text).toBe(200);
    // Repeating `complete` is harmless.
    expect((await completeOverWire(stack.api, { credential }, policyId, uploaded, list.length)).status).toBe(200);
    await stack.drain();
    return uploaded.scanId;
  }

  it('the same ingest message delivered again after a crash adds no duplicate events', async () => {
    const agent = await enroll('dup-1');
    await upload(agent.credential, entries);
    const changed = entries.map(([p, e], i): PathEntry => (i % 50 === 0 ? [p, { ...e, hash: { algorithm: 'sha256', value: 'b'.repeat(64) } }] : [p, e]));
    const scanId = await upload(agent.credential, changed);
    const events = async () => (await stack.api('GET', `/v1/events?serverId=${agent.serverId}`, { key: admin })).json.items as { id: string }[];
    const first = await events();
    expect(first).toHaveLength(6);
    const scan = (await stack.api('GET', `/v1/scans/${scanId}`, { key: admin })).json;

    // Put the scan back to where a crash before its last step would leave it, then redeliver the message twice.
    await getDb().doc.send(new UpdateCommand({ TableName: getDb().table, Key: keys.scan(stack.credentials.tenantId, scanId), UpdateExpression: 'SET #s = :r', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':r': 'running' } }));
    const message = JSON.stringify({ tenantId: stack.credentials.tenantId, scanId });
    for (let i = 0; i < 2; i++) await getSqs().send(new SendMessageCommand({ QueueUrl: stack.queueUrls['scan-ingest'], MessageBody: message }));
    await stack.drain();
    const again = await events();
    expect(again.map((e) => e.id).sort()).toEqual(first.map((e) => e.id).sort());
    expect((await stack.api('GET', `/v1/scans/${scanId}`, { key: admin })).json).toMatchObject({ status: 'completed', stats: scan.stats });
  });

  it('an older scan delivered after a newer one was ingested (SQS does not keep order) reports nothing backwards', async () => {
    const agent = await enroll('order-1');
    await upload(agent.credential, entries);
    const v2 = entries.map(([p, e], i): PathEntry => (i === 3 ? [p, { ...e, size: 222 }] : [p, e]));
    const older = await upload(agent.credential, v2);
    const v3 = v2.map(([p, e], i): PathEntry => (i === 4 ? [p, { ...e, size: 333 }] : [p, e]));
    await upload(agent.credential, v3);
    const list = async () => (await stack.api('GET', `/v1/events?serverId=${agent.serverId}`, { key: admin })).json.items as { path: string }[];
    expect((await list()).map((e) => e.path).sort()).toEqual([entries[3]![0], entries[4]![0]]);
    await getDb().doc.send(new UpdateCommand({ TableName: getDb().table, Key: keys.scan(stack.credentials.tenantId, older), UpdateExpression: 'SET #s = :r', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':r': 'running' } }));
    await getSqs().send(new SendMessageCommand({ QueueUrl: stack.queueUrls['scan-ingest'], MessageBody: JSON.stringify({ tenantId: stack.credentials.tenantId, scanId: older }) }));
    await stack.drain();
    expect((await list()).length).toBe(2);
    expect((await stack.api('GET', `/v1/servers/${agent.serverId}/drift`, { key: admin })).json.items.map((i: { path: string }) => i.path).sort()).toEqual([entries[3]![0], entries[4]![0]]);
  });

  it('a golden-master policy reports the first scan of another server as its differences from the master', async () => {
    const master = await enroll('gold-master');
    const golden = await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'golden', platform: 'linux', targets: [{ path: '/srv/app' }], baselineServerId: master.serverId } });
    const group = await stack.api('PATCH', `/v1/server-groups/${(await stack.api('GET', `/v1/servers/${master.serverId}`, { key: admin })).json.groupId}`, { key: admin, body: { policyIds: [policyId, golden.json.id] } });
    expect(group.status).toBe(200);
    const uploadFor = async (credential: string, list: PathEntry[]) => {
      const uploaded = await uploadOverWire(stack.api, { credential }, golden.json.id, list);
      expect((await completeOverWire(stack.api, { credential }, golden.json.id, uploaded, list.length)).status).toBe(200);
      await stack.drain();
    };
    await uploadFor(master.credential, entries);
    // Another host: same files but its own inodes and times, one file different, one extra.
    const copy = await enroll('gold-copy');
    const other: PathEntry[] = entries.map(([p, e], i) => [p, { ...e, inode: 50_000 + i, mtime: '2026-11-05T00:00:00.000Z', ctime: '2026-11-05T00:00:00.000Z', ...(i === 7 ? { hash: { algorithm: 'sha256' as const, value: 'c'.repeat(64) } } : {}) }]);
    other.push(['/srv/app/zz-extra', file('extra', 99_999)]);
    await uploadFor(copy.credential, sortEntries(other));
    const events = (await stack.api('GET', `/v1/events?serverId=${copy.serverId}&policyId=${golden.json.id}`, { key: admin })).json.items;
    expect(events.map((e: { changeType: string; path: string }) => `${e.changeType} ${e.path}`).sort()).toEqual(['added /srv/app/zz-extra', `modified ${entries[7]![0]}`]);
    expect(events.find((e: { changeType: string }) => e.changeType === 'modified').changedAttributes).toEqual(['content']);
  });

  it('check-in costs one DynamoDB request when nothing changed, and lastSeenAt is not rewritten', async () => {
    const agent = await enroll('cost-1');
    const first = await agentCall(agent.credential, 'POST', '/v1/agent/check-in', { agentVersion: '1.0.0', configVersion: null, starting: true });
    expect(first.status).toBe(200);
    expect(first.json.config.policies.map((p: { id: string }) => p.id)).toContain(policyId);
    let steady: Awaited<ReturnType<typeof agentCall>> | undefined;
    const counted = await dynamoCommandsOf(async () => {
      steady = await agentCall(agent.credential, 'POST', '/v1/agent/check-in', { agentVersion: '1.0.0', configVersion: first.json.configVersion });
    });
    expect(steady!.status).toBe(200);
    expect(steady!.json.config).toBeNull();
    // One Query of the server's partition (server + inbox); the tenant comes from the instance's short cache.
    expect(counted).toEqual(['QueryCommand']);
  });

  it('a deactivated server gets 401 from then on and its server shows deactivated', async () => {
    const agent = await enroll('gone-1');
    expect((await agentCall(agent.credential, 'POST', '/v1/agent/check-in', { agentVersion: '1.0.0' })).status).toBe(200);
    expect((await stack.api('DELETE', `/v1/servers/${agent.serverId}`, { key: admin })).status).toBe(204);
    expect((await agentCall(agent.credential, 'POST', '/v1/agent/check-in', { agentVersion: '1.0.0' })).status).toBe(401);
    expect((await stack.api('GET', `/v1/servers/${agent.serverId}`, { key: admin })).json.status).toBe('deactivated');
    expect((await stack.api('POST', `/v1/servers/${agent.serverId}/scans`, { key: admin })).status).toBe(404);
  });
});

describe('what enrollment and check-in tell the agent about its group (issue 18)', () => {
  it('a tag no group has: enrolled into Unassigned, which has no policy, and the answer says both', async () => {
    const enrolled = await stack.api('POST', '/v1/agent/enroll', { key: stack.credentials.enrollmentKey, body: { hostname: 'typo-1', platform: 'linux', agentVersion: '1', tag: 'wbe' } });
    expect(enrolled.status).toBe(201);
    expect(enrolled.json).toMatchObject({ tagMatched: false, group: { id: 'grp_unassigned', name: 'Unassigned', policyCount: 0 } });
    const checkIn = await agentCall(enrolled.json.credential, 'POST', '/v1/agent/check-in', { agentVersion: '1' });
    expect(checkIn.json.config).toEqual({ policies: [], group: { id: 'grp_unassigned', name: 'Unassigned' } });
  });

  it('a matching tag: the group, how many policies it has, and its name in the config', async () => {
    const enrolled = await stack.api('POST', '/v1/agent/enroll', { key: stack.credentials.enrollmentKey, body: { hostname: 'proto-9', platform: 'linux', agentVersion: '1', tag: 'proto' } });
    const group = (await stack.api('GET', '/v1/server-groups', { key: admin })).json.items.find((g: { tag?: string }) => g.tag === 'proto');
    expect(enrolled.json).toMatchObject({ tagMatched: true, group: { id: group.id, name: 'proto', policyCount: group.policyIds.length } });
    expect(group.policyIds.length).toBeGreaterThan(0);
    const untagged = await stack.api('POST', '/v1/agent/enroll', { key: stack.credentials.enrollmentKey, body: { hostname: 'plain-1', platform: 'linux', agentVersion: '1' } });
    expect(untagged.json).toMatchObject({ tagMatched: false, group: { name: 'Unassigned' } });
    const checkIn = await agentCall(enrolled.json.credential, 'POST', '/v1/agent/check-in', { agentVersion: '1' });
    expect(checkIn.json.config.group).toEqual({ id: enrolled.json.group.id, name: 'proto' });
    expect(checkIn.json.config.policies.map((p: { id: string }) => p.id)).toEqual(group.policyIds);
  });
});

describe('scheduled dispatch', () => {
  it('a retry after a crash between the scan and its inbox entry still puts the scan in the inbox, once', async () => {
    const { dispatchScans } = await import('../../functions/use-cases/dispatch-scans.ts');
    const { scans, getScan } = await import('../../functions/store/scans.ts');
    const { deterministicId } = await import('../../functions/shared/ids.ts');
    const agent = await enroll('dispatch-crash');
    const server = await stack.api('GET', `/v1/servers/${agent.serverId}`, { key: admin });
    const groupId = server.json.groupId as string;
    const tenantId = stack.credentials.tenantId;
    const slot = '2031-03-02T04:00:00.000Z';
    const at = new Date(slot);
    // The crashed attempt: the scan item was written, the inbox entry was not.
    const scanId = deterministicId('scn', at, `${groupId}\n${slot}\n${agent.serverId}`);
    await scans.create(tenantId, { id: scanId, serverId: agent.serverId, kind: 'scheduled', status: 'pending', requestedAt: slot });
    const pendingIds = async () => {
      const res = await agentCall(agent.credential, 'POST', '/v1/agent/check-in', { agentVersion: '1.0.0', configVersion: null });
      expect(res.status).toBe(200);
      return (res.json.pendingScans as { id: string }[]).map((p) => p.id);
    };
    expect(await pendingIds()).not.toContain(scanId);

    // The redelivered message (it also dispatches the group's other servers): no second scan for this
    // server, and its inbox entry is written.
    await dispatchScans({ tenantId, groupId, slot });
    expect(await pendingIds()).toEqual([scanId]);
    expect((await getScan(tenantId, scanId))?.status).toBe('pending');

    // Once the agent has finished the scan, another redelivery does not put it back.
    const done = await agentCall(agent.credential, 'POST', `/v1/agent/scans/${scanId}/fail`, { error: 'test' });
    expect(done.status).toBeLessThan(300);
    expect(await pendingIds()).not.toContain(scanId);
    expect(await dispatchScans({ tenantId, groupId, slot })).toBe(0);
    expect(await pendingIds()).not.toContain(scanId);
  });
});
