import { scanDispatchQueue } from '../queues/queues.ts';
import { dispatchScans } from '../use-cases/dispatch-scans.ts';
import { queueWorker } from './queue-worker.ts';

/** scan-dispatch queue: one message per (group, schedule slot). */
export const handler = queueWorker(scanDispatchQueue, (message) => dispatchScans(message).then(() => undefined));
