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
  tableAccess: ['GetItem', 'BatchGetItem', 'Query', 'UpdateItem', 'BatchWriteItem'],
  // Pages of a group's servers are read with signed cursors (store/cursor.ts).
  secrets: ['DRIFTWATCH_MASTER_SECRET'],
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
  tableAccess: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem'],
  // Ingest writes hundreds of items per scan: ten at a time keep a burst of uploads inside DynamoDB's
  // per-partition limits (docs/data-model.md); the ten are reserved, so an API flood cannot starve it.
  maxConcurrency: 10,
  reservedConcurrency: 10,
  // Events are visible seconds after an upload; ten minutes of backlog means ingest is failing or starved.
  maxMessageAgeSeconds: 600,
});

/**
 * One message per deleted label or rule: the worker takes that label (or every label the rule applied)
 * off the events, recording each removal, and continues in a new message when there is more. The schedule's
 * sweep sends a cleanup again when its message was lost.
 */
export const labelCleanupQueue = defineQueue({
  name: 'label-cleanup',
  message: z.strictObject({ tenantId: id, kind: z.enum(['label', 'rule']), id }),
  worker: 'functions/workers/label-cleanup.worker.ts',
  senders: ['api', 'schedule', 'label-cleanup'],
  maxReceiveCount: 5,
  workerTimeoutSeconds: 120,
  batchSize: 1,
  tableAccess: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'],
  secrets: ['DRIFTWATCH_MASTER_SECRET'],
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
  tableAccess: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem'],
  sendsMail: true,
  // SES's sending rate (14 mails/s for a new production account): two batches at a time stay under it.
  maxConcurrency: 2,
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
  tableAccess: ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'BatchWriteItem'],
  // The label records since the last report are read in pages (store/newest-first.ts, signed cursors).
  secrets: ['DRIFTWATCH_MASTER_SECRET'],
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
  tableAccess: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'],
  // Opens sync destinations' sealed signing secrets to sign each delivery; pages records with signed cursors.
  secrets: ['DRIFTWATCH_MASTER_SECRET', 'WEBHOOK_SECRET_KEY'],
});

export const QUEUES = [scanDispatchQueue, scanIngestQueue, labelCleanupQueue, alertsQueue, reportsQueue, labelSyncQueue] as const;

export type AnyQueue = (typeof QUEUES)[number];
export type QueueName = AnyQueue['name'];
