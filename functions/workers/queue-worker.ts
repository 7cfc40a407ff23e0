import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { MessageOf, QueueDeclaration } from '../queues/define-queue.ts';
import { logger } from '../shared/logger.ts';

/** A record whose body is not a message of its queue: it fails alone and, after maxReceiveCount, reaches the DLQ. */
export class MalformedMessageError extends Error {
  constructor(queue: string, detail: string) {
    super(`malformed ${queue} message: ${detail}`);
    this.name = 'MalformedMessageError';
  }
}

/**
 * The Lambda handler of a queue's worker: Powertools' partial batch processing, each record's body parsed
 * with the queue's schema, then handed to `handle` (which only calls a use case). A failed record is
 * reported alone; the rest of the batch is done.
 * @example export const handler = queueWorker(scanIngestQueue, (message) => ingestScan(message));
 */
export function queueWorker<Q extends QueueDeclaration>(
  queue: Q,
  handle: (message: MessageOf<Q>, record: SQSRecord) => Promise<void>,
): (event: SQSEvent) => Promise<SQSBatchResponse> {
  const processor = new BatchProcessor(EventType.SQS);
  const record = async (r: SQSRecord): Promise<void> => {
    let json: unknown;
    try {
      json = JSON.parse(r.body);
    } catch {
      throw new MalformedMessageError(queue.name, 'not JSON');
    }
    const parsed = queue.message.safeParse(json);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
      logger.warn('malformed message', { queue: queue.name, messageId: r.messageId, detail });
      throw new MalformedMessageError(queue.name, detail);
    }
    await handle(parsed.data as MessageOf<Q>, r);
  };
  return (event) => processPartialResponse(event, record, processor);
}
