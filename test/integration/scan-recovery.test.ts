import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loseNextSend } from '../helpers/sqs-faults.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { completeOverWire, enrollOverWire, uploadOverWire, wireTree, type WireAgent } from '../helpers/wire-scan.ts';

/**
 * Issue 20: every uploaded scan is ingested exactly once, whatever message is lost on the way. The API's
 * enqueue is made to fail with SDK middleware on the real SQS client (the stack runs in this process).
 */
let stack: TestStack;
let admin: string;
let policyId: string;
const DIR = '/srv/recovery';
const FILES = 200;

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  const policy = await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'recovery', platform: 'linux', targets: [{ path: DIR }] } });
  policyId = policy.json.id;
  await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'recovery', tag: 'recovery', policyIds: [policyId] } });
});
afterAll(() => stack?.stop());

const scanOf = async (scanId: string) => (await stack.api('GET', `/v1/scans/${scanId}`, { key: admin })).json;
const eventsOf = async (serverId: string) => {
  const items: { id: string; path: string; scanId: string }[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: typeof items; nextCursor: string | null } = (await stack.api('GET', `/v1/events?serverId=${serverId}&limit=500${cursor ? `&cursor=${cursor}` : ''}`, { key: admin })).json;
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
};
/** The schedule a few minutes from now: past the local ingest queue's visibility timeout. */
const sweepLater = () => stack.tick(new Date(Date.now() + 5 * 60_000));

async function baseline(hostname: string): Promise<WireAgent> {
  const agent = await enrollOverWire(stack.api, stack.credentials.enrollmentKey, hostname, 'recovery');
  const upload = await uploadOverWire(stack.api, agent, policyId, wireTree(DIR, FILES, () => 'v1'));
  expect((await completeOverWire(stack.api, agent, policyId, upload, FILES)).status).toBe(200);
  await stack.drain();
  expect((await scanOf(upload.scanId)).status).toBe('completed');
  return agent;
}

describe('the ingest message is lost after the upload is recorded', () => {
  it('the sweep of the schedule re-drives it: the scan ends completed and its events are written once', async () => {
    const agent = await baseline('lost-1');
    const changed = wireTree(DIR, FILES, (i) => (i % 4 === 0 ? 'v2' : 'v1'));
    const upload = await uploadOverWire(stack.api, agent, policyId, changed);
    const failure = loseNextSend(stack.queueUrls['scan-ingest']);
    const answer = await completeOverWire(stack.api, agent, policyId, upload, FILES);
    expect(failure.lost()).toBe(true);
    expect(answer.status).toBe(500);
    await stack.drain();
    expect((await scanOf(upload.scanId)).status).toBe('running');
    expect(await eventsOf(agent.serverId)).toHaveLength(0);

    await sweepLater();
    const scan = await scanOf(upload.scanId);
    expect(scan).toMatchObject({ status: 'completed', stats: { filesScanned: FILES, modified: FILES / 4, added: 0, removed: 0, renamed: 0 } });
    const events = await eventsOf(agent.serverId);
    expect(events).toHaveLength(FILES / 4);
    expect(new Set(events.map((e) => e.path)).size).toBe(FILES / 4);
    expect(new Set(events.map((e) => e.scanId))).toEqual(new Set([upload.scanId]));

    // The agent's late retry of `complete`, and later sweeps, change nothing.
    expect((await completeOverWire(stack.api, agent, policyId, upload, FILES)).json.status).toBe('completed');
    await sweepLater();
    expect((await eventsOf(agent.serverId)).map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('a newer scan is never diffed against the state before the lost one: it waits, is woken when that one completes, and reports only its own changes', async () => {
    const agent = await baseline('lost-2');
    const v2 = wireTree(DIR, FILES, (i) => (i % 4 === 0 ? 'v2' : 'v1'));
    const older = await uploadOverWire(stack.api, agent, policyId, v2);
    loseNextSend(stack.queueUrls['scan-ingest']);
    expect((await completeOverWire(stack.api, agent, policyId, older, FILES)).status).toBe(500);

    // The next scan sees the same files plus one more change: its own change only, never the older scan's again.
    const v3 = wireTree(DIR, FILES, (i) => (i % 4 === 0 ? 'v2' : i === 1 ? 'v3' : 'v1'));
    const newer = await uploadOverWire(stack.api, agent, policyId, v3);
    expect((await completeOverWire(stack.api, agent, policyId, newer, FILES)).status).toBe(200);
    await stack.drain();
    expect((await scanOf(newer.scanId)).status).toBe('running');
    expect(await eventsOf(agent.serverId)).toHaveLength(0);

    // The older scan's ingest (as the sweep sends it) completes it, and its completion wakes the newer one.
    const { ingestScan } = await import('../../functions/use-cases/ingest-scan.ts');
    expect(await ingestScan({ tenantId: stack.credentials.tenantId, scanId: older.scanId })).toBe('completed');
    await stack.drain();

    expect(await scanOf(older.scanId)).toMatchObject({ status: 'completed', stats: { modified: FILES / 4 } });
    expect(await scanOf(newer.scanId)).toMatchObject({ status: 'completed', stats: { modified: 1 } });
    const events = await eventsOf(agent.serverId);
    expect(events).toHaveLength(FILES / 4 + 1);
    expect(new Set(events.map((e) => e.path)).size).toBe(FILES / 4 + 1);
    expect(events.filter((e) => e.scanId === newer.scanId).map((e) => e.path)).toEqual([`${DIR}/f00001`]);
  });
});

describe('the ingest is idempotent and ordered under races', () => {
  it('two deliveries of one ingest at the same moment write its events once', async () => {
    const { ingestScan } = await import('../../functions/use-cases/ingest-scan.ts');
    const agent = await baseline('race-1');
    const upload = await uploadOverWire(stack.api, agent, policyId, wireTree(DIR, FILES, (i) => (i < 30 ? 'v2' : 'v1')));
    loseNextSend(stack.queueUrls['scan-ingest']);
    expect((await completeOverWire(stack.api, agent, policyId, upload, FILES)).status).toBe(500);
    const message = { tenantId: stack.credentials.tenantId, scanId: upload.scanId };
    const attempts = await Promise.allSettled([ingestScan(message), ingestScan(message)]);
    // One may lose the race for the state and be retried, as the queue would.
    if (attempts.some((a) => a.status === 'rejected')) await ingestScan(message);
    expect(await scanOf(upload.scanId)).toMatchObject({ status: 'completed', stats: { modified: 30 } });
    const events = await eventsOf(agent.serverId);
    expect(events).toHaveLength(30);
    expect(new Set(events.map((e) => e.path)).size).toBe(30);
  });

  it('an older scan uploaded while a newer one holds the state waits for it, then reports nothing twice', async () => {
    const { ingestScan } = await import('../../functions/use-cases/ingest-scan.ts');
    const { claimScanState } = await import('../../functions/store/scan-state.ts');
    const tenantId = stack.credentials.tenantId;
    const agent = await baseline('race-2');
    const scannedAt = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    // The newer scan (walked 1 minute ago) started writing its events and crashed: it holds the state.
    const newer = await uploadOverWire(stack.api, agent, policyId, wireTree(DIR, FILES, (i) => (i < 10 ? 'v3' : 'v1')));
    loseNextSend(stack.queueUrls['scan-ingest']);
    expect((await completeOverWire(stack.api, agent, policyId, newer, FILES, scannedAt(1))).status).toBe(500);
    const baselineScanId = (await stack.api('GET', `/v1/scans?serverId=${agent.serverId}&status=completed`, { key: admin })).json.items[0].id;
    expect(await claimScanState(tenantId, { serverId: agent.serverId, policyId }, newer.scanId, baselineScanId)).toBe(true);
    // An older walk (5 minutes ago) is delivered only now, e.g. from the agent's spool.
    const older = await uploadOverWire(stack.api, agent, policyId, wireTree(DIR, FILES, (i) => (i < 5 ? 'v2' : 'v1')));
    loseNextSend(stack.queueUrls['scan-ingest']);
    expect((await completeOverWire(stack.api, agent, policyId, older, FILES, scannedAt(5))).status).toBe(500);
    expect(await ingestScan({ tenantId, scanId: older.scanId })).toBe('waiting');
    expect((await scanOf(older.scanId)).status).toBe('running');
    expect(await eventsOf(agent.serverId)).toHaveLength(0);

    await sweepLater();
    expect(await scanOf(newer.scanId)).toMatchObject({ status: 'completed', stats: { modified: 10 } });
    expect(await scanOf(older.scanId)).toMatchObject({ status: 'completed', stats: { modified: 0 } });
    const events = await eventsOf(agent.serverId);
    expect(events.map((e) => e.scanId)).toEqual(Array(10).fill(newer.scanId));
    expect(new Set(events.map((e) => e.path)).size).toBe(10);
  });

  it('a delivered scan cannot be failed by its agent: the backend owes its events', async () => {
    const agent = await baseline('fail-1');
    const upload = await uploadOverWire(stack.api, agent, policyId, wireTree(DIR, FILES, (i) => (i === 0 ? 'v2' : 'v1')));
    loseNextSend(stack.queueUrls['scan-ingest']);
    expect((await completeOverWire(stack.api, agent, policyId, upload, FILES)).status).toBe(500);
    const failed = await stack.api('POST', `/v1/agent/scans/${upload.scanId}/fail`, { key: agent.credential, body: { error: 'upload refused' } });
    expect(failed.status).toBe(409);
    expect(failed.headers.get('content-type')).toMatch(/problem\+json/);
    await sweepLater();
    expect(await scanOf(upload.scanId)).toMatchObject({ status: 'completed', stats: { modified: 1 } });
  });
});

describe('what an operator sees', () => {
  it('GET /v1/scans?status=running shows how long each scan has been running and when its upload was recorded', async () => {
    const agent = await baseline('ops-1');
    const upload = await uploadOverWire(stack.api, agent, policyId, wireTree(DIR, FILES, (i) => (i === 0 ? 'v2' : 'v1')));
    loseNextSend(stack.queueUrls['scan-ingest']);
    expect((await completeOverWire(stack.api, agent, policyId, upload, FILES)).status).toBe(500);
    const running = (await stack.api('GET', `/v1/scans?serverId=${agent.serverId}&status=running`, { key: admin })).json.items;
    expect(running.map((s: { id: string }) => s.id)).toEqual([upload.scanId]);
    expect(running[0].runningSeconds).toBeGreaterThanOrEqual(0);
    expect(Date.parse(running[0].uploadedAt)).toBeGreaterThanOrEqual(Date.parse(running[0].startedAt));
    await sweepLater();
    const done = await scanOf(upload.scanId);
    expect(done.status).toBe('completed');
    expect(done.runningSeconds).toBeUndefined();
  });

  it('the sweep reads the index of uploads awaiting their ingest, never the table: 16 small queries per tenant', async () => {
    const { getDb } = await import('../../functions/shared/clients.ts');
    const { doc } = getDb();
    const seen: { command: string; index?: string; partition?: string }[] = [];
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { IndexName?: string; ExpressionAttributeValues?: Record<string, unknown> };
        const partition = Object.values(input.ExpressionAttributeValues ?? {}).find((v): v is string => typeof v === 'string' && v.startsWith('T#'));
        seen.push({ command: String(context.commandName), index: input.IndexName, partition });
        return next(args);
      },
      { step: 'initialize', name: 'countSweep' },
    );
    try {
      await stack.tick(new Date(Date.now() + 5 * 60_000));
    } finally {
      doc.middlewareStack.remove('countSweep');
    }
    expect(seen.filter((c) => c.command === 'ScanCommand')).toEqual([]);
    const sweeps = seen.filter((c) => c.index === 'gsi2' && c.partition?.includes('#UPLOADED#'));
    expect(sweeps).toHaveLength(16);
    expect(new Set(sweeps.map((c) => c.partition)).size).toBe(16);
  });
});
