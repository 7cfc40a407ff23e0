import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { config } from './config.ts';

/**
 * AWS clients, created once per cold start. Endpoints come from the SDK's own settings
 * (AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS), which the local stack sets: no local branches here.
 */
export interface Db {
  doc: DynamoDBDocumentClient;
  table: string;
}

let db: Db | undefined;
let sqs: SQSClient | undefined;

export function getDb(): Db {
  if (!db) {
    const raw = new DynamoDBClient({ maxAttempts: 5 });
    const doc = DynamoDBDocumentClient.from(raw, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
      unmarshallOptions: { wrapNumbers: false },
    });
    db = { doc, table: config().TABLE_NAME };
  }
  return db;
}

export function getSqs(): SQSClient {
  sqs ??= new SQSClient({ maxAttempts: 5 });
  return sqs;
}
