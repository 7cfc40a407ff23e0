import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqsHandler } from '../../functions/local/stack.ts';
import { startTestStack, type ApiResponse, type TestStack } from '../helpers/stack.ts';
import { completeOverWire, enrollOverWire, uploadOverWire, wireTree, type WireAgent } from '../helpers/wire-scan.ts';
import { everyRequest, injectDynamoFault, internalServerError, throttlingError } from '../helpers/dynamo-faults.ts';

/**
 * Issue 19, faults: the embedded DynamoDB throttling or failing for a while (an SDK middleware in the test on
 * the client the product uses, after the SDK's own retries, so every attempt meets the fault). API requests
 * answer 503 problem+json with Retry-After and change nothing; queue work fails, is delivered again once
 * DynamoDB answers, and ends with nothing lost and nothing twice.
 */
let stack: TestStack;
let admin: string;
let policyId: string;
let agent: WireAgent;
/** Batches each worker was handed, and how many of them ended with a failed record (or threw). */
const batches = new Map<string, number>();
const failedBatches = new Map<string, number>();
const bump = (counts: Map<string, number>, queue: string) => counts.set(queue, (counts.get(queue) ?? 0) + 1);
/** While set, the named worker waits before its next batch (so a test can line up the fault first). */
const gates = new Map<string, Promise<void>>();

beforeAll(async () => {
  stack = await startTestStack({
    wrapWorker: (queue, handler): SqsHandler => async (event) => {
      await gates.get(queue);
      bump(batches, queue);
      try {
        const response = await handler(event);
        if (response && response.batchItemFailures.length > 0) bump(failedBatches, queue);
        return response;
      } catch (error) {
        bump(failedBatches, queue);
        throw error;
      }
    },
  });
  admin = stack.credentials.adminKey;
  const policy = await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'etc', platform: 'linux', targets: [{ path: '/etc' }] } });
  expect(policy.status, policy.text).toBe(201);
  policyId = policy.json.id;
  expect((await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'web', tag: 'web', policyIds: [policyId] } })).status).toBe(201);
  agent = await enrollOverWire(stack.api, stack.credentials.enrollmentKey, 'web-1', 'web');
});
afterAll(async () => {
  await stack?.stop();
});

function expectUnavailable(res: ApiResponse): void {
  expect(res.status, res.text).toBe(503);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json).toMatchObject({ status: 503, type: expect.stringMatching(/unavailable$/) });
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
}

async function dlqDepth(queue: string): Promise<number> {
  const out = await stack.sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.queueUrls[`${queue}-dlq`], AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/** Holds the worker of `queue` before its next batch until the answered release is called. */
function hold(queue: string): () => void {
  let release!: () => void;
  gates.set(
    queue,
    new Promise<void>((resolve) => (release = resolve)).then(() => void gates.delete(queue)),
  );
  return release;
}

/** DynamoDB fails every request from when the held worker is released until one of its batches has failed. */
async function faultUntilAFailedBatch(queue: string, error: () => Error, release: () => void): Promise<void> {
  const failedBefore = failedBatches.get(queue) ?? 0;
  const fault = injectDynamoFault({ matches: everyRequest, error });
  try {
    release();
    const until = Date.now() + 60_000;
    while ((failedBatches.get(queue) ?? 0) === failedBefore) {
      if (Date.now() > until) throw new Error(`no batch of ${queue} failed`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    fault.stop();
  }
  expect(fault.failed()).toBeGreaterThan(0);
}

describe('DynamoDB throttling or failing for a while', () => {
  for (const [what, error] of [
    ['throttled (ProvisionedThroughputExceededException)', throttlingError],
    ['failing (InternalServerError)', internalServerError],
  ] as const) {
    it(`${what}: reads, writes and agent calls answer 503 problem+json with Retry-After, and nothing is written`, async () => {
      const before = (await stack.api('GET', '/v1/policies', { key: admin })).json.items.length;
      const fault = injectDynamoFault({ matches: everyRequest, error });
      try {
        // At once: each one spends the SDK's retries (seconds of backoff when throttled) first.
        const answers = await Promise.all([
          stack.api('GET', '/v1/policies', { key: admin }),
          stack.api('POST', '/v1/policies', { key: admin, body: { name: 'during', platform: 'linux', targets: [{ path: '/srv' }] } }),
          stack.api('POST', '/v1/agent/check-in', { key: agent.credential, body: { agentVersion: '1.0.0' } }),
        ]);
        answers.forEach(expectUnavailable);
      } finally {
        fault.stop();
      }
      expect(fault.failed()).toBeGreaterThan(0);
      const after = await stack.api('GET', '/v1/policies', { key: admin });
      expect(after.status).toBe(200);
      expect(after.json.items).toHaveLength(before);
    });
  }

  it('an ingest that meets it fails, is delivered again once DynamoDB answers, and writes each event once', async () => {
    const entries = wireTree('/etc', 20, () => 'v1');
    const baseline = await uploadOverWire(stack.api, agent, policyId, entries);
    expect((await completeOverWire(stack.api, agent, policyId, baseline, entries.length)).status).toBe(200);
    await stack.drain();

    const changed = wireTree('/etc', 20, (i) => (i < 8 ? 'v2' : 'v1'));
    const upload = await uploadOverWire(stack.api, agent, policyId, changed);
    const release = hold('scan-ingest');
    const before = batches.get('scan-ingest') ?? 0;
    expect((await completeOverWire(stack.api, agent, policyId, upload, changed.length)).status).toBe(200);
    await faultUntilAFailedBatch('scan-ingest', throttlingError, release);
    await stack.drain();

    expect(batches.get('scan-ingest')! - before).toBeGreaterThanOrEqual(2);
    const scan = await stack.api('GET', `/v1/scans/${upload.scanId}`, { key: admin });
    expect(scan.json).toMatchObject({ status: 'completed', stats: { modified: 8, added: 0, removed: 0 } });
    const events = await stack.api('GET', `/v1/events?serverId=${agent.serverId}&limit=500`, { key: admin });
    const own = (events.json.items as Array<{ scanId: string; path: string }>).filter((e) => e.scanId === upload.scanId);
    expect(own.map((e) => e.path).sort()).toEqual(changed.slice(0, 8).map(([path]) => path).sort());
    expect(await dlqDepth('scan-ingest')).toBe(0);
  }, 90_000);

  it('an alert digest that meets it is mailed once DynamoDB answers, exactly once', async () => {
    const recipient = 'throttled-ops@example.com';
    const profile = await stack.api('POST', '/v1/alert-profiles', { key: admin, body: { name: 'Ops', recipients: [recipient] } });
    expect(profile.status, profile.text).toBe(201);
    const release = hold('alerts');
    const before = batches.get('alerts') ?? 0;
    expect((await stack.api('POST', `/v1/alert-profiles/${profile.json.id}/test`, { key: admin })).status).toBe(202);
    await faultUntilAFailedBatch('alerts', internalServerError, release);
    await stack.drain();

    expect(batches.get('alerts')! - before).toBeGreaterThanOrEqual(2);
    const mails = (await stack.mail()).filter((m) => m.to.includes(recipient));
    expect(mails).toHaveLength(1);
    expect(await dlqDepth('alerts')).toBe(0);
  }, 90_000);
});
