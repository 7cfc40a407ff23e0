import { alertsQueue } from '../queues/queues.ts';
import { sendAlertDigest } from '../use-cases/send-alert-digest.ts';
import { queueWorker } from './queue-worker.ts';

/** alerts queue: one message per alert digest; a refused mail fails its record alone (retried, then the DLQ). */
export const handler = queueWorker(alertsQueue, (message, record) =>
  sendAlertDigest(message, new Date(), { lastAttempt: Number(record.attributes.ApproximateReceiveCount) >= alertsQueue.maxReceiveCount }),
);
