import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dynalite from 'dynalite';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TableWriteLog } from './table-log.ts';

/** The write-log reader the kill tests rely on, against a real dynalite on disk (as `npm start` runs it). */
let dir: string;
let server: Server;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dw-table-log-'));
  server = dynalite({ path: join(dir, 'dynamodb'), createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new DynamoDBClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  doc = DynamoDBDocumentClient.from(client);
  await client.send(
    new CreateTableCommand({
      TableName: 'driftwatch',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  // dynalite makes the table ACTIVE a moment later (a write before that is a ResourceNotFound on a busy machine).
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: 'driftwatch' });
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe('TableWriteLog', () => {
  it('answers the item writes made after it started, in order, whole items across log blocks included', async () => {
    await doc.send(new PutCommand({ TableName: 'driftwatch', Item: { pk: 'T#t#SCAN#1', sk: 'SCAN#before', status: 'pending' } }));
    const log = new TableWriteLog(join(dir, 'dynamodb'));
    try {
      expect(log.read()).toEqual([]);
      const big = 'x'.repeat(100_000); // spans several 32 KiB blocks of the log
      await doc.send(new PutCommand({ TableName: 'driftwatch', Item: { pk: 'T#t#EV#3', sk: 'EV#evt_1', scanId: 'scn_1', blob: big } }));
      await doc.send(new UpdateCommand({ TableName: 'driftwatch', Key: { pk: 'T#t#SCAN#1', sk: 'SCAN#before' }, UpdateExpression: 'SET #s = :s, uploads = :u', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'completed', ':u': new Set(['a']) } }));
      await doc.send(new DeleteCommand({ TableName: 'driftwatch', Key: { pk: 'T#t#EV#3', sk: 'EV#evt_1' } }));
      const writes = log.read();
      expect(writes.map((w) => `${w.op} ${w.pk} ${w.sk}`)).toEqual(['put T#t#EV#3 EV#evt_1', 'put T#t#SCAN#1 SCAN#before', 'delete T#t#EV#3 EV#evt_1']);
      expect(writes[0]!.item).toMatchObject({ scanId: 'scn_1', blob: big });
      expect(writes[1]!.item).toMatchObject({ status: 'completed', uploads: new Set(['a']) });
      expect(log.read()).toEqual([]);
    } finally {
      log.close();
    }
  });
});
