import { labelCleanupQueue } from '../queues/queues.ts';
import { cleanUpLabels } from '../use-cases/clean-up-labels.ts';
import { queueWorker } from './queue-worker.ts';

/** label-cleanup queue: takes a deleted label, or a deleted rule's labels, off the events. */
export const handler = queueWorker(labelCleanupQueue, (message) => cleanUpLabels(message));
