import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { QueueName } from '../shared/queues.ts';

export type QueueHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * The worker of each queue, imported lazily (the local stack loads them after setting the env; on
 * Lambda each worker is its own bundle). Queues without an entry have no consumer yet.
 */
export const WORKERS: Partial<Record<QueueName, () => Promise<QueueHandler>>> = {
  'scan-dispatch': async () => (await import('./scan-dispatch.worker.ts')).handler,
  'scan-ingest': async () => (await import('./scan-ingest.worker.ts')).handler,
};
