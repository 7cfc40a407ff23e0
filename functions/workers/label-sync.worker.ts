import { labelSyncQueue } from '../queues/queues.ts';
import { syncLabeledEvents } from '../use-cases/sync-labeled-events.ts';
import { queueWorker } from './queue-worker.ts';

/** label-sync queue: one message per tenant owed a sync; each owed destination is delivered to on its own. */
export const handler = queueWorker(labelSyncQueue, (message) => syncLabeledEvents(message, new Date()));
