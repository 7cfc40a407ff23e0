import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { sqsEvent } from '../../test/helpers/events.ts';
import { defineQueue } from '../queues/define-queue.ts';
import { queueWorker } from './queue-worker.ts';

const testQueue = defineQueue({
  name: 'test-queue',
  message: z.strictObject({ id: z.string() }),
  worker: 'functions/workers/none.ts',
  senders: ['api'],
  maxReceiveCount: 2,
  workerTimeoutSeconds: 10,
  batchSize: 10,
  tableAccess: [],
});

describe('queueWorker', () => {
  it('hands each valid message to the use case and reports each malformed one alone', async () => {
    const seen: string[] = [];
    const handler = queueWorker(testQueue, async (message) => {
      seen.push(message.id);
    });
    const event = sqsEvent('test-queue', [{ id: 'a' }, 'not json', { id: 7 }, { id: 'b', extra: 1 }, { id: 'c' }]);
    const result = await handler(event);
    expect(seen).toEqual(['a', 'c']);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([1, 2, 3].map((i) => event.Records[i]!.messageId));
  });

  it('reports a message whose use case throws, and only that one', async () => {
    const handler = queueWorker(testQueue, async (message) => {
      if (message.id === 'bad') throw new Error('boom');
    });
    const event = sqsEvent('test-queue', [{ id: 'ok' }, { id: 'bad' }]);
    expect((await handler(event)).batchItemFailures).toEqual([{ itemIdentifier: event.Records[1]!.messageId }]);
  });
});
