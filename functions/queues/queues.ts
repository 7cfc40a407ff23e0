import * as z from 'zod/mini';
import { defineQueue } from './define-queue.ts';

/**
 * Every queue of Driftwatch. Adding one is one `defineQueue` here (its message, worker entry and senders),
 * one worker file calling `queueWorker`, and the use case it runs: infra, the local stack and `enqueue`
 * follow from this list.
 */
const id = z.string().check(z.minLength(1), z.maxLength(64));
const isoTime = z.iso.datetime();

/** One message per (group, slot): the dispatch worker creates the group's scans. */
export const scanDispatchQueue = defineQueue({
  name: 'scan-dispatch',
  message: z.strictObject({
    tenantId: id,
    groupId: id,
    /** ISO time of the schedule slot (scheduled scans) or of the request (on-demand group scans). */
    slot: isoTime,
    kind: z.enum(['scheduled', 'on-demand']),
  }),
  worker: 'functions/workers/scan-dispatch.worker.ts',
  senders: ['api', 'schedule'],
  maxReceiveCount: 5,
  workerTimeoutSeconds: 60,
  batchSize: 10,
});

/**
 * One message per completed upload: the ingest worker turns it into events. Sent by the API's `complete`,
 * by the schedule's sweep when an uploaded scan is not ingested a visibility timeout later (the message was
 * lost), and by the ingest itself to wake the next scan of a server that waited for its turn.
 */
export const scanIngestQueue = defineQueue({
  name: 'scan-ingest',
  message: z.strictObject({ tenantId: id, scanId: id }),
  worker: 'functions/workers/scan-ingest.worker.ts',
  senders: ['api', 'schedule', 'scan-ingest'],
  maxReceiveCount: 5,
  workerTimeoutSeconds: 120,
  batchSize: 5,
});

/**
 * One message per deleted label or rule: the worker takes that label (or every label the rule applied)
 * off the events, recording each removal, and continues in a new message when there is more.
 */
export const labelCleanupQueue = defineQueue({
  name: 'label-cleanup',
  message: z.strictObject({ tenantId: id, kind: z.enum(['label', 'rule']), id }),
  worker: 'functions/workers/label-cleanup.worker.ts',
  senders: ['api', 'label-cleanup'],
  maxReceiveCount: 5,
  workerTimeoutSeconds: 120,
  batchSize: 1,
});

/**
 * One message per alert digest to mail (a scan's alerting changes, a real-time window, a held-back summary, a
 * test): a wake-up only, the digest in the table is the truth, so ingest, the API and the schedule tick's
 * sweep may all send it and a duplicate changes nothing.
 */
export const alertsQueue = defineQueue({
  name: 'alerts',
  message: z.strictObject({ tenantId: id, digestId: id }),
  worker: 'functions/workers/alerts.worker.ts',
  senders: ['scan-ingest', 'api', 'schedule'],
  maxReceiveCount: 5,
  workerTimeoutSeconds: 60,
  batchSize: 10,
});

/**
 * One message per tenant and weekly report time, sent by the schedule's tick: the worker writes the report
 * of every policy with reports on. The tenant owes the reports until the worker is done, and the tick sends
 * the message again if it was lost.
 */
export const reportsQueue = defineQueue({
  name: 'reports',
  message: z.strictObject({ tenantId: id, to: isoTime }),
  worker: 'functions/workers/reports.worker.ts',
  senders: ['schedule'],
  maxReceiveCount: 5,
  workerTimeoutSeconds: 300,
  batchSize: 1,
});

/**
 * One message per tenant whose sync destinations are owed a run (the tick found one due, or send-now): a
 * wake-up only. The worker hands the tenant's new notify-label records on to each destination's outbox and
 * delivers what each owed destination has waiting; `owedAt` on the destination is the truth, and the tick
 * sends the message again if a run owed is not done a visibility timeout later. A receiver's failure is not
 * the message's: it is recorded on the destination and retried by the tick with backoff.
 */
export const labelSyncQueue = defineQueue({
  name: 'label-sync',
  message: z.strictObject({ tenantId: id }),
  worker: 'functions/workers/label-sync.worker.ts',
  senders: ['api', 'schedule', 'label-sync'],
  maxReceiveCount: 5,
  workerTimeoutSeconds: 120,
  batchSize: 5,
});

export const QUEUES = [scanDispatchQueue, scanIngestQueue, labelCleanupQueue, alertsQueue, reportsQueue, labelSyncQueue] as const;

export type AnyQueue = (typeof QUEUES)[number];
export type QueueName = AnyQueue['name'];
