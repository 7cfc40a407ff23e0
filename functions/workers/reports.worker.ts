import { reportsQueue } from '../queues/queues.ts';
import { writeWeeklyReports } from '../use-cases/write-weekly-reports.ts';
import { queueWorker } from './queue-worker.ts';

/** reports queue: one message per tenant and weekly report time. */
export const handler = queueWorker(reportsQueue, (message) => writeWeeklyReports(message).then(() => undefined));
