import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSEvent, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { ingestScan, type IngestMessage } from './ingest-scan.ts';

/** scan-ingest queue: one message per completed upload; failures are reported per message. */
const processor = new BatchProcessor(EventType.SQS);

async function record(r: SQSRecord): Promise<void> {
  await ingestScan(JSON.parse(r.body) as IngestMessage);
}

export const handler = (event: SQSEvent): Promise<SQSBatchResponse> => processPartialResponse(event, record, processor);
