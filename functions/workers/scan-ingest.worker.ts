import { scanIngestQueue } from '../queues/queues.ts';
import { ingestScan } from '../use-cases/ingest-scan.ts';
import { queueWorker } from './queue-worker.ts';

/** scan-ingest queue: one message per completed upload; failures are reported per message. */
export const handler = queueWorker(scanIngestQueue, async (message) => void (await ingestScan(message)));
