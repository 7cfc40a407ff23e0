import { ReceiveMessageCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deterministicId } from '../../functions/shared/ids.ts';
import { scanDigestId } from '../../functions/domain/alert-digest-ids.ts';
import type { Event } from '../../functions/model/event.ts';
import type { Mailer } from '../../functions/shared/mailer.ts';

// The functions' modules, imported once the stack has set their environment (their logger reads it).
let mailerFor: typeof import('../../functions/shared/mailer.ts').mailerFor;
let sendAlertDigest: typeof import('../../functions/use-cases/send-alert-digest.ts').sendAlertDigest;
let MailRefusedError: typeof import('../../functions/use-cases/send-alert-digest.ts').MailRefusedError;
let store: typeof import('../../functions/store/alert-digests.ts');
let quota: typeof import('../../functions/store/alert-quota.ts');
let putEvents: typeof import('../../functions/store/events.ts').putEvents;
let wake: typeof import('../../functions/use-cases/wake-alert-digests.ts');
let raiseScanAlerts: typeof import('../../functions/use-cases/raise-scan-alerts.ts').raiseScanAlerts;

/**
 * Issue 13: how the alerts worker delivers, on the real local stack (table, queues, schedule tick) with mail
 * through real SMTP: a transport that refuses some recipients, a worker that died holding a claim, a wake-up
 * that a crash lost, and flood control across an hour. The use case is driven directly where a test needs
 * to choose the time or the transport.
 */
const REFUSING_QUEUE = 'alerts-refusing';

/** An SMTP server that refuses every recipient named bounce@... and keeps what it accepts. */
async function startRefusingRelay() {
  const accepted: Array<{ to: string[]; subject: string; text: string }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('bounce@')) return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        accepted.push({ to: session.envelope.rcptTo.map((r) => r.address), subject: mail.subject ?? '', text: mail.text ?? '' });
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, accepted, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let stack: TestStack;
let relay: Awaited<ReturnType<typeof startRefusingRelay>>;
let refusing: Mailer;
let admin: string;
let tenantId: string;
let policyId: string;

beforeAll(async () => {
  relay = await startRefusingRelay();
  let refusingWorker: (event: SQSEvent) => Promise<SQSBatchResponse> = async () => ({ batchItemFailures: [] });
  stack = await startTestStack({
    extraQueues: [{ name: REFUSING_QUEUE, handler: (event) => refusingWorker(event), maxReceiveCount: 2, visibilityTimeoutSeconds: 1 }],
  });
  ({ mailerFor } = await import('../../functions/shared/mailer.ts'));
  ({ sendAlertDigest, MailRefusedError } = await import('../../functions/use-cases/send-alert-digest.ts'));
  store = await import('../../functions/store/alert-digests.ts');
  quota = await import('../../functions/store/alert-quota.ts');
  ({ putEvents } = await import('../../functions/store/events.ts'));
  wake = await import('../../functions/use-cases/wake-alert-digests.ts');
  ({ raiseScanAlerts } = await import('../../functions/use-cases/raise-scan-alerts.ts'));
  const { queueWorker } = await import('../../functions/workers/queue-worker.ts');
  const { alertsQueue } = await import('../../functions/queues/queues.ts');
  refusing = await mailerFor(relay.url, 'alerts@driftwatch.local');
  // The alerts worker's own wiring (queueWorker, the use case, its last-attempt rule) with the refusing relay.
  refusingWorker = queueWorker(alertsQueue, (message, record) =>
    sendAlertDigest(message, new Date(), { mailer: refusing, lastAttempt: Number(record.attributes.ApproximateReceiveCount) >= 2 }),
  );
  admin = stack.credentials.adminKey;
  tenantId = stack.credentials.tenantId;
  const policy = await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'p', platform: 'linux', targets: [{ path: '/etc' }, { path: '/bin', critical: true }] } });
  policyId = policy.json.id;
});
afterAll(async () => {
  await stack?.stop();
  await relay?.close();
});

let serial = 0;

/** A server group with one alert profile. */
async function groupWith(recipients: string[]): Promise<{ groupId: string; profileId: string }> {
  const n = ++serial;
  const profile = await stack.api('POST', '/v1/alert-profiles', { key: admin, body: { name: `profile ${n}`, recipients } });
  const group = await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: `group ${n}`, alertProfileIds: [profile.json.id] } });
  return { groupId: group.json.id, profileId: profile.json.id };
}

/** A server's scan with its events stored and its digest recorded: what ingest leaves behind. */
async function scanOf(to: string[] | { groupId: string; profileId: string }, paths: string[], opts: { detectedAt?: Date; server?: number; digest?: boolean } = {}) {
  const { groupId, profileId } = Array.isArray(to) ? await groupWith(to) : to;
  const detectedAt = opts.detectedAt ?? new Date();
  const n = opts.server ?? ++serial;
  const scanNumber = ++serial;
  const scanId = `scn_test${String(scanNumber).padStart(6, '0')}`;
  const at = detectedAt.toISOString();
  const events: Event[] = paths.map((path) => ({
    id: deterministicId('evt', detectedAt, `${scanId}\n${path}`),
    serverId: `srv_test${n}`,
    hostname: `host-${n}`,
    groupId,
    policyId,
    targetPath: path.startsWith('/bin') ? '/bin' : '/etc',
    path,
    changeType: 'modified',
    changedAttributes: ['content'],
    severity: path.startsWith('/bin') ? 'critical' : 'normal',
    source: 'scan',
    scanId,
    detectedAt: at,
    before: null,
    after: null,
    labels: [],
  }));
  await putEvents(tenantId, events);
  const digestId = scanDigestId(scanId, at);
  if (opts.digest !== false) await store.createDigest(tenantId, {
    id: digestId,
    kind: 'scan',
    status: 'closed',
    serverId: `srv_test${n}`,
    hostname: `host-${n}`,
    groupId,
    createdAt: at,
    scans: new Set([`${at}|${scanId}`]),
    wakeAt: wake.nextWake(new Date()),
  });
  return { digestId, profileId, groupId, scanId, detectedAt: at, serverId: `srv_test${n}`, hostname: `host-${n}` };
}

const mailsTo = async (to: string) => (await stack.mail()).filter((m) => m.to.includes(to));

describe('a refused mail', () => {
  it('is retried by the queue and lands in the DLQ after maxReceiveCount, blocking neither its digest\'s other mails nor its batch', async () => {
    const refused = await scanOf(['ok-1@example.com', 'bounce@example.com'], ['/etc/a']);
    const fine = await scanOf(['ok-2@example.com'], ['/etc/b']);
    await stack.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: stack.queueUrls[REFUSING_QUEUE],
        Entries: [refused, fine].map((d, i) => ({ Id: String(i), MessageBody: JSON.stringify({ tenantId, digestId: d.digestId }) })),
      }),
    );
    await stack.drain();
    const to = (address: string) => relay.accepted.filter((m) => m.to.includes(address));
    expect(to('ok-1@example.com')).toHaveLength(1);
    expect(to('ok-2@example.com')).toHaveLength(1);
    expect(to('bounce@example.com')).toHaveLength(0);
    const dlq = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.queueUrls[`${REFUSING_QUEUE}-dlq`], MaxNumberOfMessages: 10 }));
    expect(dlq.Messages?.map((m) => JSON.parse(m.Body!).digestId)).toEqual([refused.digestId]);
    // Parked: the tick leaves it to the DLQ; what was sent is recorded, what was refused is not.
    const state = (await store.readDigest(tenantId, refused.digestId))!;
    expect(state.digest.status).toBe('parked');
    expect([...state.sends.values()].map((s) => [s.recipient, s.state])).toEqual([['ok-1@example.com', 'sent']]);
    expect((await store.readDigest(tenantId, fine.digestId))!.digest.status).toBe('done');
    // A redrive, once the mailbox works, sends only what is left.
    await sendAlertDigest({ tenantId, digestId: refused.digestId }, new Date(), { mailer: { send: async () => ({ messageId: 'redriven' }) } });
    const after = (await store.readDigest(tenantId, refused.digestId))!;
    expect(after.digest.status).toBe('done');
    expect(after.sends.get(`${refused.profileId}\nbounce@example.com`)).toMatchObject({ state: 'sent', messageId: 'redriven' });
    expect(to('ok-1@example.com')).toHaveLength(1);
  });

  it('fails its message with every refusal in the error', async () => {
    const digest = await scanOf(['bounce@example.com', 'bounce@example.org'], ['/etc/c']);
    const failed = await sendAlertDigest({ tenantId, digestId: digest.digestId }, new Date(), { mailer: refusing }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(MailRefusedError);
    expect((failed as AggregateError).errors).toHaveLength(2);
    expect((failed as Error).message).toContain('2 mail(s) refused');
  });
});

describe('the crash window', () => {
  it('a claim held by a live worker is left to it; a stale one is marked unconfirmed and never sent again', async () => {
    const digest = await scanOf(['claimed@example.com', 'free@example.com'], ['/etc/d']);
    const now = new Date();
    await store.claimSend(tenantId, { digestId: digest.digestId, profileId: digest.profileId, recipient: 'claimed@example.com', state: 'sending', claimedAt: now.toISOString() });
    await sendAlertDigest({ tenantId, digestId: digest.digestId }, now);
    expect(await mailsTo('claimed@example.com')).toHaveLength(0);
    expect(await mailsTo('free@example.com')).toHaveLength(1);
    expect((await store.readDigest(tenantId, digest.digestId))!.digest.status).toBe('closed');

    // Much later the claim's worker is surely gone: the mail may have left, so it is not sent again.
    await sendAlertDigest({ tenantId, digestId: digest.digestId }, new Date(now.getTime() + 10 * 60_000));
    const state = (await store.readDigest(tenantId, digest.digestId))!;
    expect(state.sends.get(`${digest.profileId}\nclaimed@example.com`)?.state).toBe('unconfirmed');
    expect(state.digest.status).toBe('done');
    expect(await mailsTo('claimed@example.com')).toHaveLength(0);
    expect(await mailsTo('free@example.com')).toHaveLength(1);
  });

  it('a digest whose wake-up was lost is sent by the schedule tick, once', async () => {
    const digest = await scanOf(['lost@example.com'], ['/bin/tool', '/etc/e']);
    await stack.drain();
    expect(await mailsTo('lost@example.com')).toHaveLength(0);
    // The stack's own visibility timeout (seconds) sets when: about a minute here, not the cloud's 7 minutes.
    expect(wake.digestRewakeMs()).toBeLessThan(2 * 60_000);
    const later = new Date(Date.now() + wake.digestRewakeMs() + 1000);
    await stack.tick(later);
    const mails = await mailsTo('lost@example.com');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(`[critical] ${digest.hostname}: 2 changes (2 modified)`);
    await stack.tick(new Date(later.getTime() + wake.digestRewakeMs() + 1000));
    expect(await mailsTo('lost@example.com')).toHaveLength(1);
  });
});

describe('flood control across hours', () => {
  it('what one hour held back is reported by the next hour\'s first digest, and its own summary then sends nothing', async () => {
    await stack.api('PATCH', '/v1/settings', { key: admin, body: { alertMailsPerProfilePerHour: 1 } });
    try {
      const group = await groupWith(['flood@example.com']);
      const ten = new Date('2031-03-04T10:20:00Z');
      await sendAlertDigest({ tenantId, digestId: (await scanOf(group, ['/etc/1'])).digestId }, ten);
      for (const [minute, paths] of [[21, ['/etc/2', '/bin/3']], [22, ['/etc/4']]] as const) {
        const held = await scanOf(group, [...paths]);
        const at = new Date(ten.getTime() + (minute - 20) * 60_000);
        await sendAlertDigest({ tenantId, digestId: held.digestId }, at);
        await sendAlertDigest({ tenantId, digestId: held.digestId }, at); // a redelivery counts nothing twice
      }
      expect(await mailsTo('flood@example.com')).toHaveLength(1);

      const eleven = new Date('2031-03-04T11:05:00Z');
      await sendAlertDigest({ tenantId, digestId: (await scanOf(group, ['/etc/5'])).digestId }, eleven);
      const mails = await mailsTo('flood@example.com');
      expect(mails).toHaveLength(2);
      expect(mails[1]!.subject).toMatch(/: 1 change \(1 modified\)$/);
      expect(mails[1]!.text).toContain('and 3 more changes on 2 servers since 10:21 UTC');

      // The hour's own summary, due at 11:00, finds it reported and sends nothing.
      await stack.tick(eleven);
      expect(await mailsTo('flood@example.com')).toHaveLength(2);
    } finally {
      await stack.api('PATCH', '/v1/settings', { key: admin, body: { alertMailsPerProfilePerHour: 20 } });
    }
  });
});

describe('flood control in the crash window', () => {
  it('a digest whose crashed attempt took the last mail of the hour and claimed the held-back summary still sends it', async () => {
    await stack.api('PATCH', '/v1/settings', { key: admin, body: { alertMailsPerProfilePerHour: 1 } });
    try {
      const group = await groupWith(['crash-flood@example.com']);
      const digest = await scanOf(group, ['/etc/after-crash']);
      const nine = '2031-05-06T09:00:00.000Z';
      const ten = '2031-05-06T10:00:00.000Z';
      await quota.holdBack(tenantId, group.profileId, nine, { changes: 4, critical: 0, serverId: 'srv_elsewhere', at: '2031-05-06T09:30:00.000Z' });
      // What the crashed attempt did before it could record its decision:
      expect(await quota.takeMailSlot(tenantId, group.profileId, ten, 1)).toBe(true);
      expect(await quota.claimHeldBack(tenantId, group.profileId, nine, digest.digestId)).toMatchObject({ changes: 4, servers: 1 });

      await sendAlertDigest({ tenantId, digestId: digest.digestId }, new Date('2031-05-06T10:10:00Z'));
      const mails = await mailsTo('crash-flood@example.com');
      expect(mails).toHaveLength(1);
      expect(mails[0]!.text).toContain('and 4 more changes on 1 server since 09:30 UTC');
    } finally {
      await stack.api('PATCH', '/v1/settings', { key: admin, body: { alertMailsPerProfilePerHour: 20 } });
    }
  });
});

describe('real-time windows', () => {
  it('a scan that reaches its window after the window was mailed is mailed on its own; a retried one is not mailed twice', async () => {
    const group = await groupWith(['rt@example.com']);
    const start = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const server = { id: 'srv_test900', hostname: 'host-900', groupId: group.groupId } as Parameters<typeof raiseScanAlerts>[2];
    const policies = [(await stack.api('GET', `/v1/policies/${policyId}`, { key: admin })).json];
    const raise = async (scan: { scanId: string; detectedAt: string }) =>
      raiseScanAlerts(tenantId, { id: scan.scanId, kind: 'real-time', detectedAt: scan.detectedAt } as Parameters<typeof raiseScanAlerts>[1], server, policies, { added: 0, modified: 1, removed: 0, renamed: 0 }, new Date());

    const first = await scanOf(group, ['/etc/rt-1'], { detectedAt: new Date(start.getTime() + 1000), server: 900, digest: false });
    const second = await scanOf(group, ['/etc/rt-2'], { detectedAt: new Date(start.getTime() + 2000), server: 900, digest: false });
    await raise(first);
    await raise(second);
    await raise(first); // a retried ingest
    await stack.drain();
    expect(await mailsTo('rt@example.com')).toHaveLength(0);
    await stack.tick(new Date(start.getTime() + 61_000));
    const window = await mailsTo('rt@example.com');
    expect(window).toHaveLength(1);
    expect(window[0]!.subject).toBe('[normal] host-900: 2 changes (2 modified)');

    const late = await scanOf(group, ['/etc/rt-3'], { detectedAt: new Date(start.getTime() + 3000), server: 900, digest: false });
    await raise(late);
    await raise(first); // already mailed in the window: nothing more
    await stack.drain();
    const all = await mailsTo('rt@example.com');
    expect(all).toHaveLength(2);
    expect(all[1]!.subject).toBe('[normal] host-900: 1 change (1 modified)');
    expect(all[1]!.text).toContain('/etc/rt-3');
  });
});
