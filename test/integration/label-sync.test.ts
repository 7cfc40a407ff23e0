import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import * as z from 'zod';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { startReceiver, until, type Received, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { putEvents } from '../../functions/store/events.ts';
import { putMemberships } from '../../functions/store/event-labels.ts';
import { putLabelRecords, recordsPendingSync } from '../../functions/store/label-history.ts';
import { getSyncDestination, oweSyncRun } from '../../functions/store/sync-destinations.ts';
import { oweRecords, markDone } from '../../functions/store/sync-outbox.ts';
import { syncLabeledEvents } from '../../functions/use-cases/sync-labeled-events.ts';
import { handOnLabelRecords, MISSING_EVENT_GIVE_UP_MS } from '../../functions/use-cases/hand-on-label-records.ts';
import { postWebhook } from '../../functions/shared/webhook-post.ts';
import { dynamoCommandsOf } from '../helpers/dynamo-commands.ts';
import { labelRecordOf } from '../../functions/domain/label-records.ts';
import { sampleEvent } from '../helpers/sample-event.ts';
import type { Event } from '../../functions/model/event.ts';

/**
 * Labeled-event sync (issue 14) on the real local stack, with real HTTP receivers on 127.0.0.1: each
 * notify-labeled event reaches each destination once, signed twice (verified here with the `standardwebhooks`
 * package and a plain HMAC, not the product's code); nothing is lost while a receiver fails, nothing is sent
 * twice once acknowledged; a hanging destination does not hold up another; OCSF output has the 1001 fields.
 */
let stack: TestStack;
const receivers: WebhookReceiver[] = [];
const SECRET = 'test-secret-0123456789abcdef';

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await stack?.stop();
});

async function receiver(...args: Parameters<typeof startReceiver>) {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

/** A tenant of its own with `n` stored events (the API labels them; nothing else touches them). */
async function tenantWithEvents(n: number, tag = 'f') {
  const created = await stack.api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name: `sync ${Math.random()}` } });
  expect(created.status).toBe(201);
  const tenantId = created.json.tenant.id as string;
  const at = new Date(Date.now() - 60_000);
  const events: Event[] = Array.from({ length: n }, (_, i) => eventAt(at, `${tag}${i}`));
  await putMemberships(tenantId, events);
  await putEvents(tenantId, events);
  return { tenantId, key: created.json.adminKey as string, events };
}

const eventAt = sampleEvent;

async function createDestination(key: string, body: Record<string, unknown>) {
  const created = await stack.api('POST', '/v1/sync-destinations', { key, body: { name: 'SIEM', type: 'webhook', secret: SECRET, ...body } });
  expect(created.status, created.text).toBe(201);
  return created.json as { id: string };
}

async function label(key: string, eventIds: string[], labelId: string, note?: string) {
  const out = await stack.api('POST', '/v1/events/labels', { key, body: { eventIds, labelId, ...(note ? { note } : {}) } });
  expect(out.status, out.text).toBe(200);
}

async function sendNow(key: string, destinationId: string) {
  const out = await stack.api('POST', `/v1/sync-destinations/${destinationId}/send-now`, { key });
  expect(out.status, out.text).toBe(202);
  await stack.drain();
}

/** Both signatures checked by code that is not the product's: Standard Webhooks' own package, and HMAC by hand. */
function expectSigned(request: Received, secrets: string[]) {
  for (const secret of secrets) {
    expect(() => new Webhook(secret, { format: 'raw' }).verify(request.body, request.headers)).not.toThrow();
    const expected = `sha256=${createHmac('sha256', secret).update(request.body).digest('hex')}`;
    expect(request.headers['x-driftwatch-signature']!.split(', ')).toContain(expected);
  }
  expect(() => new Webhook('someone else entirely!!', { format: 'raw' }).verify(request.body, request.headers)).toThrow();
}

/** The (eventId, labelId) pairs a request reports. */
const pairsOf = (requests: Received[]) => requests.flatMap((r) => (r.json.events as Array<{ id: string; syncedLabelIds: string[] }>).flatMap((e) => e.syncedLabelIds.map((l) => `${e.id}/${l}`)));
const acked = (r: WebhookReceiver) => r.requests.filter((q) => q.status !== undefined && q.status < 300);

describe('labeled-event sync', () => {
  it('delivers each notify-labeled event once, signed both ways; a notify: false label is never sent', async () => {
    const { tenantId, key, events } = await tenantWithEvents(4);
    const siem = await receiver();
    const dest = await createDestination(key, { url: siem.url });
    await label(key, [events[0]!.id, events[1]!.id], 'lbl_important', 'CR-7');
    await label(key, [events[1]!.id], 'lbl_suspicious');
    await label(key, [events[2]!.id], 'lbl_expected');
    await sendNow(key, dest.id);

    expect(siem.requests).toHaveLength(1);
    const [request] = siem.requests;
    expectSigned(request!, [SECRET]);
    expect(request!.headers['webhook-id']).toMatch(/^msg_[0-9a-z]+$/);
    expect(request!.json).toMatchObject({ tenantId, deliveryId: request!.headers['webhook-id'], format: 'driftwatch' });
    expect(Date.parse(request!.json.sentAt)).toBeGreaterThan(0);
    expect(pairsOf(siem.requests).sort()).toEqual([`${events[0]!.id}/lbl_important`, `${events[1]!.id}/lbl_important`, `${events[1]!.id}/lbl_suspicious`].sort());
    // Each event once, whole (the contract's Event), with every label it carries.
    const sent = request!.json.events as Event[];
    expect(sent.map((e) => e.id).sort()).toEqual([events[0]!.id, events[1]!.id].sort());
    const second = sent.find((e) => e.id === events[1]!.id)!;
    expect(second).toMatchObject({ path: events[1]!.path, hostname: 'web1.example.com', changeType: 'modified', before: events[1]!.before, after: events[1]!.after });
    expect(second.labels.map((l) => l.labelId).sort()).toEqual(['lbl_important', 'lbl_suspicious']);
    expect(sent.find((e) => e.id === events[0]!.id)!.labels[0]).toMatchObject({ labelId: 'lbl_important', name: 'Important', note: 'CR-7' });

    // Nothing more to send: send-now again sends nothing; the interval passing sends nothing either.
    await sendNow(key, dest.id);
    await stack.tick(new Date(Date.now() + 31 * 60_000));
    expect(siem.requests).toHaveLength(1);
    const health = (await stack.api('GET', `/v1/sync-destinations/${dest.id}`, { key })).json;
    expect(health).toMatchObject({ pendingCount: 0, consecutiveFailures: 0, lastError: null, enabled: true });
    expect(Date.parse(health.lastSuccessAt)).toBeGreaterThan(0);

    // What is labeled next goes out at the next interval, by the schedule alone.
    await label(key, [events[3]!.id], 'lbl_suspicious');
    expect((await stack.api('GET', `/v1/sync-destinations/${dest.id}`, { key })).json.pendingCount).toBe(1);
    await stack.tick(new Date(Date.now() + 62 * 60_000));
    expect(siem.requests).toHaveLength(2);
    expectSigned(siem.requests[1]!, [SECRET]);
    expect(pairsOf([siem.requests[1]!])).toEqual([`${events[3]!.id}/lbl_suspicious`]);
  });

  it('loses nothing while the receiver answers 500, retries the same batch (same webhook-id) with backoff, then delivers everything once', async () => {
    const { key, events } = await tenantWithEvents(6, 'r');
    const siem = await receiver(() => 500);
    const dest = await createDestination(key, { url: siem.url });
    await label(key, events.slice(0, 3).map((e) => e.id), 'lbl_important');
    await sendNow(key, dest.id);
    expect(siem.requests).toHaveLength(1);
    const failing = (await stack.api('GET', `/v1/sync-destinations/${dest.id}`, { key })).json;
    expect(failing).toMatchObject({ consecutiveFailures: 1, lastError: 'HTTP 500 Internal Server Error', lastSuccessAt: null, pendingCount: 3 });
    // Backoff: at least 30 s (half the first minute), at most a minute.
    const wait = Date.parse(failing.nextAttemptAt) - Date.parse(failing.lastErrorAt);
    expect(wait).toBeGreaterThanOrEqual(30_000);
    expect(wait).toBeLessThanOrEqual(60_000);

    // The tick before the backoff is over leaves it alone; the one after tries again (the same batch, so the same id).
    await label(key, events.slice(3).map((e) => e.id), 'lbl_suspicious');
    await stack.tick(new Date(Date.parse(failing.nextAttemptAt) - 5_000));
    expect(siem.requests).toHaveLength(1);
    await stack.tick(new Date(Date.parse(failing.nextAttemptAt) + 1_000));
    expect(siem.requests).toHaveLength(2);
    expect(siem.requests[1]!.headers['webhook-id']).toBe(siem.requests[0]!.headers['webhook-id']);
    const twice = (await stack.api('GET', `/v1/sync-destinations/${dest.id}`, { key })).json;
    expect(twice).toMatchObject({ consecutiveFailures: 2, pendingCount: 6 });
    expect(Date.parse(twice.nextAttemptAt) - Date.parse(twice.lastErrorAt)).toBeGreaterThanOrEqual(60_000);

    siem.behave(() => 200);
    await sendNow(key, dest.id);
    const delivered = acked(siem);
    // The failed batch first, under its id, then the rest.
    expect(delivered[0]!.headers['webhook-id']).toBe(siem.requests[0]!.headers['webhook-id']);
    for (const request of delivered) expectSigned(request, [SECRET]);
    const pairs = pairsOf(delivered);
    expect(pairs.sort()).toEqual([...events.slice(0, 3).map((e) => `${e.id}/lbl_important`), ...events.slice(3).map((e) => `${e.id}/lbl_suspicious`)].sort());
    expect(new Set(pairs).size).toBe(pairs.length);
    expect((await stack.api('GET', `/v1/sync-destinations/${dest.id}`, { key })).json).toMatchObject({ consecutiveFailures: 0, lastError: null, pendingCount: 0, nextAttemptAt: null });

    const before = siem.requests.length;
    await sendNow(key, dest.id);
    await sendNow(key, dest.id);
    expect(siem.requests).toHaveLength(before);
  });

  it('a destination that hangs does not delay another; it fails alone and is retried', async () => {
    const { key, events } = await tenantWithEvents(2, 'h');
    const fast = await receiver();
    const hanging = await receiver(() => 'hold');
    const first = await createDestination(key, { url: fast.url, name: 'fast' });
    const second = await createDestination(key, { url: hanging.url, name: 'hanging' });
    await label(key, events.map((e) => e.id), 'lbl_important');
    // Both owed at once by the schedule (one worker message for the tenant).
    const ticked = stack.tick(new Date(Date.now() + 31 * 60_000));
    await until(() => hanging.held() === 1, 'the hanging receiver to hold a request');
    const health = async (id: string) => (await stack.api('GET', `/v1/sync-destinations/${id}`, { key })).json;
    await until(async () => (await health(first.id)).lastSuccessAt !== null, 'the fast destination to be delivered');
    // Delivered and acknowledged while the other destination's request is still unanswered.
    expect(hanging.held()).toBe(1);
    expect(pairsOf(acked(fast)).sort()).toEqual(events.map((e) => `${e.id}/lbl_important`).sort());
    hanging.behave(() => 200);
    hanging.dropHeld();
    await ticked;
    expect(await health(second.id)).toMatchObject({ consecutiveFailures: 1, pendingCount: 2 });
    expect((await health(second.id)).lastError).toMatch(/connection failed|socket hang up|ECONNRESET/);
    expect(await health(first.id)).toMatchObject({ consecutiveFailures: 0, pendingCount: 0 });
    // Its retry, after the backoff, delivers (the same batch).
    await stack.tick(new Date(Date.parse((await health(second.id)).nextAttemptAt) + 1_000));
    expect(pairsOf(acked(hanging)).sort()).toEqual(events.map((e) => `${e.id}/lbl_important`).sort());
    expect(acked(hanging)[0]!.headers['webhook-id']).toBe(hanging.requests[0]!.headers['webhook-id']);
  });

  it('sends OCSF File System Activity records that have every field class 1001 requires', async () => {
    const { tenantId, key, events } = await tenantWithEvents(2, 'o');
    const lake = await receiver();
    const dest = await createDestination(key, { url: lake.url, format: 'ocsf' });
    expect(dest).toMatchObject({ format: 'ocsf' });
    await label(key, events.map((e) => e.id), 'lbl_suspicious', 'not in the change window');
    await sendNow(key, dest.id);
    expect(lake.requests).toHaveLength(1);
    expectSigned(lake.requests[0]!, [SECRET]);
    expect(lake.requests[0]!.json).toMatchObject({ tenantId, format: 'ocsf' });
    const records = lake.requests[0]!.json.events as unknown[];
    expect(records).toHaveLength(2);
    for (const record of records) OcsfFileActivity.parse(record);
    const one = records.find((r: any) => r.metadata.uid === events[0]!.id) as any;
    expect(one).toMatchObject({
      class_uid: 1001,
      category_uid: 1,
      activity_id: 3,
      type_uid: 100103,
      severity_id: 4,
      time: Date.parse(events[0]!.detectedAt),
      device: { hostname: 'web1.example.com' },
      file: { name: 'o0.conf', path: '/etc/o0.conf', type_id: 1, size: 10, hashes: [{ algorithm_id: 3, value: 'a'.repeat(64) }], owner: { uid: '0' } },
      file_result: { path: '/etc/o0.conf', size: 12, hashes: [{ algorithm_id: 3, value: 'b'.repeat(64) }] },
      unmapped: { driftwatch: { syncedLabelIds: ['lbl_suspicious'], labels: [{ labelId: 'lbl_suspicious', note: 'not in the change window' }] } },
    });
  });

  it('never returns or stores the secret in the clear; a new secret keeps the old one signing for the grace period', async () => {
    const { tenantId, key, events } = await tenantWithEvents(2, 's');
    const siem = await receiver();
    const created = await stack.api('POST', '/v1/sync-destinations', { key, body: { name: 'SIEM', type: 'webhook', url: siem.url, secret: SECRET } });
    const id = created.json.id as string;
    const answers = [
      created,
      await stack.api('GET', `/v1/sync-destinations/${id}`, { key }),
      await stack.api('GET', '/v1/sync-destinations', { key }),
      await stack.api('PATCH', `/v1/sync-destinations/${id}`, { key, body: { name: 'Renamed' } }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(answer === created ? 201 : 200);
      expect(answer.text).not.toContain(SECRET);
      expect(answer.text).not.toMatch(/secret"/i);
    }
    const stored = await getSyncDestination(tenantId, id);
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(stored!.sealedSecret).toMatch(/^v2\./);

    const NEW_SECRET = `whsec_${Buffer.from('a new secret of at least 24 bytes!').toString('base64')}`;
    const rotated = await stack.api('PATCH', `/v1/sync-destinations/${id}`, { key, body: { secret: NEW_SECRET, previousSecretValidHours: 2 } });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.text).not.toContain(NEW_SECRET);
    expect(Date.parse(rotated.json.previousSecretValidUntil) - Date.now()).toBeGreaterThan(119 * 60_000);
    await label(key, [events[0]!.id], 'lbl_important');
    await sendNow(key, id);
    const request = siem.requests[0]!;
    // Two signatures in each header: a receiver that has either secret accepts the delivery.
    expect(request.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(request.headers['x-driftwatch-signature']!.split(', ')).toHaveLength(2);
    expect(() => new Webhook(NEW_SECRET).verify(request.body, request.headers)).not.toThrow();
    expectSigned(request, [SECRET]);
    expect(request.headers['x-driftwatch-signature']).toContain(`sha256=${createHmac('sha256', NEW_SECRET).update(request.body).digest('hex')}`);

    // Every change of where events go or what signs them is in the audit trail, never the secret.
    const trail = await stack.api('GET', `/v1/audit?targetId=${id}`, { key });
    expect(trail.status, trail.text).toBe(200);
    expect(trail.json.items.map((e: { action: string }) => e.action).sort()).toEqual(['sync-destination.created', 'sync-destination.updated', 'sync-destination.updated']);
    expect(trail.json.items.find((e: { details: { secretChanged?: boolean } }) => e.details.secretChanged)).toBeDefined();
    expect(trail.text).not.toContain(SECRET);
    expect(trail.text).not.toContain(NEW_SECRET);

    // After the grace period only the new secret signs.
    const ended = await stack.api('PATCH', `/v1/sync-destinations/${id}`, { key, body: { secret: NEW_SECRET, previousSecretValidHours: 0 } });
    expect(ended.json.previousSecretValidUntil).toBeNull();
    await label(key, [events[1]!.id], 'lbl_important');
    await sendNow(key, id);
    expect(siem.requests[1]!.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new Webhook(NEW_SECRET).verify(siem.requests[1]!.body, siem.requests[1]!.headers)).not.toThrow();
  });

  it('a destination gets what is labeled after it was created, not before', async () => {
    const { key, events } = await tenantWithEvents(3, 'l');
    const early = await receiver();
    const late = await receiver();
    const first = await createDestination(key, { url: early.url });
    await label(key, [events[0]!.id], 'lbl_important');
    const second = await createDestination(key, { url: late.url });
    await label(key, [events[1]!.id], 'lbl_important');
    await sendNow(key, first.id);
    await sendNow(key, second.id);
    expect(pairsOf(early.requests).sort()).toEqual([events[0]!.id, events[1]!.id].map((id) => `${id}/lbl_important`).sort());
    expect(pairsOf(late.requests)).toEqual([`${events[1]!.id}/lbl_important`]);
  });

  it('a label removed before the sync is not sent; a record whose event is not written yet waits for it', async () => {
    const { tenantId, key, events } = await tenantWithEvents(1, 'w');
    const siem = await receiver();
    const dest = await createDestination(key, { url: siem.url });
    await label(key, [events[0]!.id], 'lbl_important');
    expect((await stack.api('DELETE', `/v1/events/${events[0]!.id}/labels/lbl_important`, { key })).status).toBe(204);
    // An ingest writes a rule's records before its events: the sync must wait for the event, not drop the record.
    const at = new Date(Date.now() - 30_000);
    const late = { ...eventAt(at, 'w-late'), labels: [{ labelId: 'lbl_suspicious', name: 'Suspicious', appliedBy: { type: 'rule' as const, id: 'rul_x' }, appliedAt: at.toISOString() }] };
    const record = labelRecordOf({ action: 'applied', event: late, label: { id: 'lbl_suspicious', name: 'Suspicious' }, note: null, by: { type: 'rule', id: 'rul_x' }, at: at.toISOString(), application: at.toISOString() });
    await putLabelRecords(tenantId, [record], { onlyNew: true, pendingSync: () => true });
    await sendNow(key, dest.id);
    expect(siem.requests).toHaveLength(0);
    const [waiting] = await recordsPendingSync(tenantId, 100, new Date());
    expect(waiting).toMatchObject({ id: record.id });
    expect(Date.parse(waiting!.syncWaitingSince!)).toBeGreaterThan(0);
    // The label history does not show the sync's bookkeeping.
    expect((await stack.api('GET', '/v1/label-history', { key })).json.items.find((r: { id: string }) => r.id === record.id)).not.toHaveProperty('syncWaitingSince');
    await putMemberships(tenantId, [late]);
    await putEvents(tenantId, [late]);
    await sendNow(key, dest.id);
    expect(pairsOf(siem.requests)).toEqual([`${late.id}/lbl_suspicious`]);
    expect(await recordsPendingSync(tenantId, 100, new Date())).toEqual([]);
  });

  it('a 410 disables the destination until it is enabled again; nothing owed is lost', async () => {
    const { key, events } = await tenantWithEvents(2, 'g');
    const siem = await receiver(() => 410);
    const dest = await createDestination(key, { url: siem.url });
    await label(key, [events[0]!.id], 'lbl_important');
    await sendNow(key, dest.id);
    const gone = (await stack.api('GET', `/v1/sync-destinations/${dest.id}`, { key })).json;
    expect(gone).toMatchObject({ enabled: false, lastError: 'HTTP 410 Gone', pendingCount: 1 });
    expect(gone.disabledReason).toMatch(/410/);
    const refused = await stack.api('POST', `/v1/sync-destinations/${dest.id}/send-now`, { key });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    await stack.tick(new Date(Date.now() + 3 * 3_600_000));
    expect(siem.requests).toHaveLength(1);

    siem.behave(() => 204);
    await label(key, [events[1]!.id], 'lbl_important');
    const resumed = await stack.api('PATCH', `/v1/sync-destinations/${dest.id}`, { key, body: { enabled: true } });
    expect(resumed.json).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
    await sendNow(key, dest.id);
    expect(pairsOf(acked(siem)).sort()).toEqual(events.map((e) => `${e.id}/lbl_important`).sort());
  });

  it('refuses bad destinations with a 400 naming the field, and roles below author cannot write them', async () => {
    const { key } = await tenantWithEvents(0, 'x');
    const refused = async (body: Record<string, unknown>, field: string) => {
      const out = await stack.api('POST', '/v1/sync-destinations', { key, body: { name: 'n', type: 'webhook', url: 'http://127.0.0.1:9/x', secret: SECRET, ...body } });
      expect(out.status, JSON.stringify(body)).toBe(400);
      expect(out.headers.get('content-type')).toMatch(/problem\+json/);
      expect(out.json.errors.map((e: { path: string }) => e.path)).toContain(field);
    };
    // Even the local stack (which allows its own loopback) refuses these: no traffic is sent to them.
    await refused({ url: 'https://169.254.169.254/latest/meta-data/' }, 'url');
    await refused({ url: 'https://10.0.0.1/hook' }, 'url');
    await refused({ url: 'http://example.com/hook' }, 'url');
    await refused({ url: 'https://user:pw@127.0.0.1/hook' }, 'url');
    await refused({ secret: 'short' }, 'secret');
    await refused({ secret: 'whsec_not base64!!' }, 'secret');
    await refused({ format: 'cef' }, 'format');
    await refused({ extra: 1 }, 'extra');
    expect((await stack.api('GET', '/v1/sync-destinations', { key })).json.items).toEqual([]);

    const reader = (await stack.api('POST', '/v1/api-keys', { key, body: { name: 'r', role: 'read-only' } })).json.key;
    const user = (await stack.api('POST', '/v1/api-keys', { key, body: { name: 'u', role: 'user' } })).json.key;
    const dest = await createDestination(key, { url: 'http://127.0.0.1:9/nobody-listens' });
    expect((await stack.api('POST', '/v1/sync-destinations', { key: user, body: { name: 'n', type: 'webhook', url: 'http://127.0.0.1:9/x', secret: SECRET } })).status).toBe(403);
    expect((await stack.api('GET', `/v1/sync-destinations/${dest.id}`, { key: reader })).status).toBe(200);
    expect((await stack.api('POST', `/v1/sync-destinations/${dest.id}/send-now`, { key: reader })).status).toBe(403);
    expect((await stack.api('POST', `/v1/sync-destinations/${dest.id}/send-now`, { key: user })).status).toBe(202);
    expect((await stack.api('DELETE', `/v1/sync-destinations/${dest.id}`, { key: user })).status).toBe(403);
    expect((await stack.api('DELETE', `/v1/sync-destinations/${dest.id}`, { key })).status).toBe(204);
    expect((await stack.api('GET', `/v1/sync-destinations/${dest.id}`, { key })).status).toBe(404);
    await stack.drain();
  });
});

describe('label sync under load, crashes and lost messages', () => {
  it('splits 501 labeled events into POSTs of at most 500, each pair once; the DynamoDB cost is counted', async () => {
    const { key, events } = await tenantWithEvents(501, 'b');
    const siem = await receiver();
    const dest = await createDestination(key, { url: siem.url });
    await label(key, events.slice(0, 500).map((e) => e.id), 'lbl_important');
    await label(key, [events[500]!.id], 'lbl_important');
    let commands: string[] = [];
    const started = Date.now();
    commands = await dynamoCommandsOf(() => sendNow(key, dest.id));
    const elapsed = Date.now() - started;
    expect(siem.requests.map((r) => r.json.events.length)).toEqual([500, 1]);
    for (const request of siem.requests) {
      expectSigned(request, [SECRET]);
      expect(Buffer.byteLength(request.body)).toBeLessThanOrEqual(1_000_000);
    }
    const pairs = pairsOf(siem.requests);
    expect(new Set(pairs).size).toBe(501);
    expect(siem.requests[0]!.headers['webhook-id']).not.toBe(siem.requests[1]!.headers['webhook-id']);
    const counts = commands.reduce<Record<string, number>>((all, c) => ({ ...all, [c]: (all[c] ?? 0) + 1 }), {});
    console.log(`label sync of 501 events in 2 POSTs: ${commands.length} DynamoDB requests ${JSON.stringify(counts)}, ${elapsed} ms on the local stack`);
    // One conditional create and one NOTIFY removal per record; the rest is per batch or per run.
    expect(commands.length).toBeLessThan(501 * 2 + 100);
  });

  it('two runs at once deliver once: the destination is leased, the second run leaves it to the first', async () => {
    const { tenantId, key, events } = await tenantWithEvents(3, 'c');
    const siem = await receiver();
    const dest = await createDestination(key, { url: siem.url });
    await label(key, events.map((e) => e.id), 'lbl_suspicious');
    expect(await oweSyncRun(tenantId, dest.id, new Date().toISOString(), undefined)).toBe(true);
    await Promise.all([syncLabeledEvents({ tenantId }, new Date()), syncLabeledEvents({ tenantId }, new Date())]);
    await stack.drain();
    const pairs = pairsOf(acked(siem));
    expect(pairs.sort()).toEqual(events.map((e) => `${e.id}/lbl_suspicious`).sort());
  });

  it('a run that dies after the receiver answered 2xx sends that batch again with the same webhook-id, and nothing after', async () => {
    const { tenantId, key, events } = await tenantWithEvents(2, 'k');
    const siem = await receiver();
    const dest = await createDestination(key, { url: siem.url });
    await label(key, events.map((e) => e.id), 'lbl_important');
    await oweSyncRun(tenantId, dest.id, new Date().toISOString(), undefined);
    const dying = { post: async (...args: Parameters<typeof postWebhook>) => {
      await postWebhook(...args);
      throw new Error('the worker died here');
    } };
    await expect(syncLabeledEvents({ tenantId }, new Date(), dying)).rejects.toThrow('the worker died here');
    expect(siem.requests).toHaveLength(1);
    // The queue delivers the message again (the worker failed it): the same batch goes out again, once.
    await syncLabeledEvents({ tenantId }, new Date());
    await stack.drain();
    expect(siem.requests).toHaveLength(2);
    expect(siem.requests[1]!.headers['webhook-id']).toBe(siem.requests[0]!.headers['webhook-id']);
    expect(siem.requests[1]!.json.events.map((e: Event) => e.id)).toEqual(siem.requests[0]!.json.events.map((e: Event) => e.id));
    await sendNow(key, dest.id);
    expect(siem.requests).toHaveLength(2);
  });

  it('a record handed on and delivered by one run is not handed on again by a run that crashed before taking it out of NOTIFY', async () => {
    const { tenantId, key, events } = await tenantWithEvents(1, 'n');
    const siem = await receiver();
    const dest = await createDestination(key, { url: siem.url });
    await label(key, [events[0]!.id], 'lbl_important');
    const [record] = await recordsPendingSync(tenantId, 10, new Date());
    // As if a run owed it to the destination, died before taking it out of NOTIFY, and a second run delivered it.
    const item = { recordId: record!.id, eventId: record!.eventId, labelId: record!.labelId, appliedAt: record!.appliedAt, createdAt: new Date().toISOString() };
    expect(await oweRecords(tenantId, dest.id, [item])).toBe(1);
    await markDone(tenantId, dest.id, [item], 'delivered', new Date());
    await sendNow(key, dest.id);
    expect(siem.requests).toHaveLength(0);
    expect(await recordsPendingSync(tenantId, 10, new Date())).toEqual([]);
  });

  it('a record whose event never comes is dropped after waiting three days, and the rest goes on', async () => {
    const { tenantId, key, events } = await tenantWithEvents(1, 'z');
    const siem = await receiver();
    const dest = await createDestination(key, { url: siem.url });
    const ghost = eventAt(new Date(Date.now() - 10_000), 'z-ghost');
    const by = { type: 'rule' as const, id: 'rul_z' };
    await putLabelRecords(tenantId, [labelRecordOf({ action: 'applied', event: ghost, label: { id: 'lbl_important', name: 'Important' }, note: null, by, at: ghost.detectedAt, application: ghost.detectedAt })], { onlyNew: true, pendingSync: () => true });
    await label(key, [events[0]!.id], 'lbl_important');
    await sendNow(key, dest.id);
    expect(pairsOf(siem.requests)).toEqual([`${events[0]!.id}/lbl_important`]);
    expect(await recordsPendingSync(tenantId, 10, new Date())).toHaveLength(1);
    expect(await handOnLabelRecords(tenantId, new Date(Date.now() + 2 * 86_400_000))).toEqual({ handedOn: 0, more: false });
    expect(await recordsPendingSync(tenantId, 10, new Date())).toHaveLength(1);
    await handOnLabelRecords(tenantId, new Date(Date.now() + MISSING_EVENT_GIVE_UP_MS + 60_000));
    expect(await recordsPendingSync(tenantId, 10, new Date())).toEqual([]);
  });

  it('a send-now whose wake-up was lost is sent by the tick a visibility timeout later', async () => {
    const { tenantId, key, events } = await tenantWithEvents(1, 'v');
    const siem = await receiver();
    const dest = await createDestination(key, { url: siem.url });
    await label(key, [events[0]!.id], 'lbl_important');
    // What send-now writes before its message, and then no message.
    const owedAt = new Date();
    await oweSyncRun(tenantId, dest.id, owedAt.toISOString(), undefined);
    await stack.tick(new Date(owedAt.getTime() + 1_000));
    expect(siem.requests).toHaveLength(0);
    // The local queues' visibility timeout is 3 s (the cloud's 12 min).
    await stack.tick(new Date(owedAt.getTime() + 4_000));
    expect(pairsOf(siem.requests)).toEqual([`${events[0]!.id}/lbl_important`]);
  });
});

/** OCSF 1.8 File System Activity (class_uid 1001): the attributes the schema marks required, and their types. */
const Fingerprint = z.object({ algorithm_id: z.number().int(), value: z.string().min(1) });
const OcsfFile = z.object({ name: z.string().min(1), type_id: z.number().int(), path: z.string().optional(), hashes: z.array(Fingerprint).optional() });
const OcsfFileActivity = z.object({
  activity_id: z.union([z.literal(1), z.literal(3), z.literal(4), z.literal(5), z.literal(6)]),
  category_uid: z.literal(1),
  class_uid: z.literal(1001),
  type_uid: z.number().int(),
  severity_id: z.number().int().min(0).max(99),
  time: z.number().int().positive(),
  metadata: z.object({ version: z.string().regex(/^\d+\.\d+\.\d+$/), product: z.object({ name: z.string().min(1) }).or(z.object({ uid: z.string().min(1) })) }),
  actor: z.object({}).passthrough().refine((a) => ['process', 'user', 'iam_role', 'invoked_by', 'session', 'app_name', 'app_uid'].some((k) => k in a), 'actor needs one of its identifying attributes'),
  device: z.object({ type_id: z.number().int() }).passthrough().refine((d) => ['ip', 'uid', 'name', 'hostname', 'instance_uid', 'interface_uid', 'interface_name'].some((k) => k in d), 'device needs one of its identifying attributes'),
  file: OcsfFile,
}).refine((r) => r.type_uid === r.class_uid * 100 + r.activity_id, 'type_uid is class_uid * 100 + activity_id');
