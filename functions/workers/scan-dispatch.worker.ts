import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSEvent, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { dispatchScans, type DispatchMessage } from './dispatch-scans.ts';

/** scan-dispatch queue: one message per (group, schedule slot). */
const processor = new BatchProcessor(EventType.SQS);

async function record(r: SQSRecord): Promise<void> {
  await dispatchScans(JSON.parse(r.body) as DispatchMessage);
}

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => processPartialResponse(event, record, processor);
