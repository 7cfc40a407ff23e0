import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUES, type QueueName } from '../../functions/queues/queues.ts';
import type { SqsHandler } from '../../functions/local/stack.ts';
import { sampleEvent } from '../helpers/sample-event.ts';
import type { Event } from '../../functions/model/event.ts';
import { putEvents } from '../../functions/store/events.ts';
import { putMemberships } from '../../functions/store/event-labels.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { completeOverWire, enrollOverWire, uploadOverWire, wireTree } from '../helpers/wire-scan.ts';
import { seedServers } from '../helpers/fleet.ts';
import { injectDynamoFault, ofTenant, poisonError } from '../helpers/dynamo-faults.ts';

/**
 * Issue 19, faults: for every worker of QUEUES, one batch of real messages (sent by the product's own flows,
 * taken off the real queue) in which one message's work throws (its tenant's DynamoDB requests fail, injected
 * in the SDK client): the worker reports that message alone in batchItemFailures and the others' work is
 * done; the poisoned message, delivered again once DynamoDB answers, finishes its work, exactly once.
 */
interface Tenant {
  id: string;
  key: string;
  enrollmentKey: string;
}
let stack: TestStack;
const tenants: Tenant[] = [];
const receivers: WebhookReceiver[] = [];
/** The real worker handlers, as the stack loaded them. */
const handlers = new Map<string, SqsHandler>();
/** Queues whose batches are taken off the queue (deleted) and kept here instead of being handled. */
const taking = new Map<string, SQSRecord[]>();
/** The test's own invocation of a worker, while it runs: the stack's poller waits for it. */
let directCall: Promise<unknown> | undefined;

beforeAll(async () => {
  stack = await startTestStack({
    wrapWorker: (queue, handler) => {
      handlers.set(queue, handler);
      return async (event) => {
        // One invocation at a time per worker, as in one Lambda container (its batch processor is one object).
        while (directCall) await directCall.catch(() => undefined);
        const taken = taking.get(queue);
        if (!taken) return handler(event);
        taken.push(...event.Records);
        return { batchItemFailures: [] };
      };
    },
  });
  for (let i = 0; i < 3; i++) {
    const created = await stack.api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name: `faults ${i}` } });
    expect(created.status, created.text).toBe(201);
    tenants.push({ id: created.json.tenant.id, key: created.json.adminKey, enrollmentKey: created.json.enrollmentKey });
  }
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await stack?.stop();
});

/** The messages `act` makes the product send to `queue`, as the queue delivered them (deleted from it). */
async function messagesOf(queue: QueueName, act: () => Promise<void>): Promise<SQSRecord[]> {
  taking.set(queue, []);
  try {
    await act();
    await stack.drain();
    return taking.get(queue)!;
  } finally {
    taking.delete(queue);
  }
}

const tenantOf = (record: SQSRecord) => JSON.parse(record.body).tenantId as string;

/**
 * One batch of `records` to the queue's real worker while the poisoned tenant's DynamoDB requests fail: answers
 * the failed records' tenants. Then DynamoDB heals and the poisoned messages are sent again and drained.
 */
async function batchWithOnePoisoned(queue: QueueName, records: SQSRecord[], poisoned: Tenant, between: () => Promise<void>): Promise<void> {
  const declared = QUEUES.find((q) => q.name === queue)!;
  expect(records.length).toBeGreaterThanOrEqual(3);
  expect(records.length).toBeLessThanOrEqual(Math.max(declared.batchSize, 3));
  expect(new Set(records.map(tenantOf))).toEqual(new Set(tenants.map((t) => t.id)));
  const fault = injectDynamoFault({ matches: ofTenant(poisoned.id), error: poisonError });
  let response;
  try {
    directCall = handlers.get(queue)!({ Records: records });
    response = (await directCall) as Awaited<ReturnType<SqsHandler>>;
  } finally {
    directCall = undefined;
    fault.stop();
  }
  expect(fault.failed()).toBeGreaterThan(0);
  const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  expect(failed).toEqual(new Set(records.filter((r) => tenantOf(r) === poisoned.id).map((r) => r.messageId)));
  await between();
  for (const record of records.filter((r) => failed.has(r.messageId))) {
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrls[queue], MessageBody: record.body }));
  }
  await stack.drain();
}


/** One stored event of the tenant (as ingest writes it). */
async function storedEvent(tenant: Tenant, name: string): Promise<Event> {
  const event = sampleEvent(new Date(Date.now() - 60_000), `${name}-${tenant.id}`);
  await putMemberships(tenant.id, [event]);
  await putEvents(tenant.id, [event]);
  return event;
}

async function ok(res: Promise<{ status: number; text: string; json: any }>, status = 200) {
  const out = await res;
  expect(out.status, out.text).toBe(status);
  return out.json;
}

describe('a worker that throws on one message of a batch leaves the others done', () => {
  it('covers every queue of QUEUES', () => {
    const tested = ['scan-dispatch', 'scan-ingest', 'label-cleanup', 'alerts', 'reports', 'label-sync'];
    expect(QUEUES.map((q) => q.name).sort()).toEqual([...tested].sort());
  });

  it('scan-dispatch: the other groups get their scans', async () => {
    const servers = new Map<string, string[]>();
    const records = await messagesOf('scan-dispatch', async () => {
      for (const t of tenants) {
        const group = await ok(stack.api('POST', '/v1/server-groups', { key: t.key, body: { name: 'dispatch', tag: 'dispatch' } }), 201);
        servers.set(t.id, await seedServers(t.id, group.id, 2));
        await ok(stack.api('POST', `/v1/server-groups/${group.id}/scans`, { key: t.key }), 202);
      }
    });
    const scansOf = async (t: Tenant) => {
      let n = 0;
      for (const serverId of servers.get(t.id)!) n += (await ok(stack.api('GET', `/v1/scans?serverId=${serverId}`, { key: t.key }))).items.length;
      return n;
    };
    await batchWithOnePoisoned('scan-dispatch', records, tenants[1]!, async () => {
      expect(await Promise.all(tenants.map(scansOf))).toEqual([2, 0, 2]);
    });
    expect(await Promise.all(tenants.map(scansOf))).toEqual([2, 2, 2]);
  });

  it('scan-ingest: the other uploads become events', async () => {
    const scans = new Map<string, string>();
    const records = await messagesOf('scan-ingest', async () => {
      for (const t of tenants) {
        const policy = await ok(stack.api('POST', '/v1/policies', { key: t.key, body: { name: 'ingest', platform: 'linux', targets: [{ path: '/etc' }] } }), 201);
        await ok(stack.api('POST', '/v1/server-groups', { key: t.key, body: { name: 'ingest', tag: 'ingest', policyIds: [policy.id] } }), 201);
        const agent = await enrollOverWire(stack.api, t.enrollmentKey, `ingest-${t.id}`, 'ingest');
        const entries = wireTree('/etc', 5, () => 'v1');
        const upload = await uploadOverWire(stack.api, agent, policy.id, entries);
        await ok(completeOverWire(stack.api, agent, policy.id, upload, entries.length));
        scans.set(t.id, upload.scanId);
      }
    });
    const statusOf = async (t: Tenant) => (await ok(stack.api('GET', `/v1/scans/${scans.get(t.id)}`, { key: t.key }))).status;
    await batchWithOnePoisoned('scan-ingest', records, tenants[2]!, async () => {
      const statuses = await Promise.all(tenants.map(statusOf));
      expect(statuses.slice(0, 2)).toEqual(['completed', 'completed']);
      expect(statuses[2]).not.toBe('completed');
    });
    expect(await Promise.all(tenants.map(statusOf))).toEqual(['completed', 'completed', 'completed']);
  });

  it('label-cleanup: the other deleted labels come off their events', async () => {
    const events = new Map<string, string>();
    const labels = new Map<string, string>();
    for (const t of tenants) {
      const event = await storedEvent(t, 'cleanup');
      const label = await ok(stack.api('POST', '/v1/labels', { key: t.key, body: { name: 'Doomed', color: '#112233' } }), 201);
      await ok(stack.api('POST', '/v1/events/labels', { key: t.key, body: { eventIds: [event.id], labelId: label.id } }));
      events.set(t.id, event.id);
      labels.set(t.id, label.id);
    }
    const records = await messagesOf('label-cleanup', async () => {
      for (const t of tenants) await ok(stack.api('DELETE', `/v1/labels/${labels.get(t.id)}`, { key: t.key }), 204);
    });
    // The cleanup records each removal in the label history (the event view hides a deleted label at once).
    const removals = async (t: Tenant) =>
      (await ok(stack.api('GET', `/v1/label-history?labelId=${labels.get(t.id)}&action=removed&eventId=${events.get(t.id)}`, { key: t.key }))).items.length;
    expect(await Promise.all(tenants.map(removals))).toEqual([0, 0, 0]);
    await batchWithOnePoisoned('label-cleanup', records, tenants[0]!, async () => {
      expect(await Promise.all(tenants.map(removals))).toEqual([0, 1, 1]);
    });
    expect(await Promise.all(tenants.map(removals))).toEqual([1, 1, 1]);
  });

  it('alerts: the other digests are mailed, and the poisoned one once when retried', async () => {
    const recipient = (t: Tenant) => `ops-${t.id}@example.com`.toLowerCase();
    const records = await messagesOf('alerts', async () => {
      for (const t of tenants) {
        const profile = await ok(stack.api('POST', '/v1/alert-profiles', { key: t.key, body: { name: 'Ops', recipients: [recipient(t)] } }), 201);
        await ok(stack.api('POST', `/v1/alert-profiles/${profile.id}/test`, { key: t.key }), 202);
      }
    });
    const mailsTo = async (t: Tenant) => (await stack.mail()).filter((m) => m.to.map((a) => a.toLowerCase()).includes(recipient(t))).length;
    await batchWithOnePoisoned('alerts', records, tenants[1]!, async () => {
      expect(await Promise.all(tenants.map(mailsTo))).toEqual([1, 0, 1]);
    });
    expect(await Promise.all(tenants.map(mailsTo))).toEqual([1, 1, 1]);
  });

  it('reports: the other tenants get their weekly report', async () => {
    const to = new Date(Date.now() + 1000).toISOString();
    for (const t of tenants) await ok(stack.api('POST', '/v1/policies', { key: t.key, body: { name: 'reported', platform: 'linux', reports: true, targets: [{ path: '/srv' }] } }), 201);
    await new Promise((r) => setTimeout(r, 1100)); // the report time is after the policies were created
    const records = await messagesOf('reports', async () => {
      for (const t of tenants) await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrls.reports, MessageBody: JSON.stringify({ tenantId: t.id, to }) }));
    });
    const reportsOf = async (t: Tenant) => (await ok(stack.api('GET', '/v1/reports', { key: t.key }))).items.length;
    await batchWithOnePoisoned('reports', records, tenants[2]!, async () => {
      expect(await Promise.all(tenants.map(reportsOf))).toEqual([1, 1, 0]);
    });
    expect(await Promise.all(tenants.map(reportsOf))).toEqual([1, 1, 1]);
  });

  it('label-sync: the other destinations get their delivery, and the poisoned one exactly once when retried', async () => {
    const siem = new Map<string, WebhookReceiver>();
    const records = await messagesOf('label-sync', async () => {
      for (const t of tenants) {
        const receiver = await startReceiver();
        receivers.push(receiver);
        siem.set(t.id, receiver);
        const event = await storedEvent(t, 'sync');
        const dest = await ok(stack.api('POST', '/v1/sync-destinations', { key: t.key, body: { name: 'SIEM', type: 'webhook', secret: 'test-secret-0123456789abcdef', url: receiver.url } }), 201);
        await ok(stack.api('POST', '/v1/events/labels', { key: t.key, body: { eventIds: [event.id], labelId: 'lbl_important' } }));
        await ok(stack.api('POST', `/v1/sync-destinations/${dest.id}/send-now`, { key: t.key }), 202);
      }
    });
    const deliveries = (t: Tenant) => siem.get(t.id)!.requests.length;
    await batchWithOnePoisoned('label-sync', records, tenants[0]!, async () => {
      expect(tenants.map(deliveries)).toEqual([0, 1, 1]);
    });
    expect(tenants.map(deliveries)).toEqual([1, 1, 1]);
  });
});
