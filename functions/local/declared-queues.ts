import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { QueueDeclaration } from '../queues/define-queue.ts';
import type { PollerSpec } from './pollers.service.ts';
import type { SqsHandler } from './queue-poller.ts';
import type { QueueSpec } from './queues.service.ts';

/** A queue that exists only in this stack (tests of the queue machinery itself). */
export interface ExtraQueue {
  name: string;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  maxReceiveCount: number;
  visibilityTimeoutSeconds?: number;
  batchSize?: number;
}

/**
 * What the local stack makes of the queue declarations (functions/queues/queues.ts): each queue with
 * its DLQ, and a poller feeding the worker from its declared entry, exactly the file Lambda runs. The
 * stack names no queue: a new declaration is a new local queue and worker.
 */
export function queueSpecs(declared: readonly QueueDeclaration[], extra: ExtraQueue[], visibilityTimeoutSeconds: number): QueueSpec[] {
  return [
    ...declared.map((q) => ({ name: q.name, maxReceiveCount: q.maxReceiveCount, visibilityTimeoutSeconds })),
    ...extra.map((q) => ({ name: q.name, maxReceiveCount: q.maxReceiveCount, visibilityTimeoutSeconds: q.visibilityTimeoutSeconds ?? visibilityTimeoutSeconds })),
  ];
}

export function pollerSpecs(declared: readonly QueueDeclaration[], extra: ExtraQueue[], wrapWorker?: (queueName: string, handler: SqsHandler) => SqsHandler): PollerSpec[] {
  return [
    ...declared.map((q) => ({
      name: q.name,
      batchSize: q.batchSize,
      timeoutSeconds: q.workerTimeoutSeconds,
      load: async () => {
        // Relative to the repository root, as the declaration gives it.
        const handler = (await import(new URL(`../../${q.worker}`, import.meta.url).href)).handler as SqsHandler;
        return wrapWorker ? wrapWorker(q.name, handler) : handler;
      },
    })),
    ...extra.map((q) => ({ name: q.name, batchSize: q.batchSize ?? 10, timeoutSeconds: 60, load: async () => q.handler as SqsHandler })),
  ];
}
