import type { Server } from 'node:http';
import { join } from 'node:path';
import dynalite from 'dynalite';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTableCommand,
  type AttributeDefinition,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { TABLE_INDEXES, TABLE_KEY } from '../store/table.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './lambda-events.ts';
import { closeHttpServer, listenLocal } from './http-server.ts';
import type { LocalLog } from './local-log.ts';
import type { LocalService } from './service.ts';

/**
 * The DynamoDB stand-in: dynalite persisted under `<dataDir>/dynamodb`, with the table of
 * functions/store/table.ts created (or given the indexes it lacks) before anything uses it.
 */
export class StoreService implements LocalService {
  readonly name = 'store (dynalite)';
  endpoint = '';
  private server: Server | undefined;

  constructor(private readonly o: { dataDir: string; tableName: string; log: LocalLog }) {}

  async start(): Promise<void> {
    this.server = dynalite({ path: join(this.o.dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    this.endpoint = `http://127.0.0.1:${await listenLocal(this.server, 0)}`;
    const ddb = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: this.endpoint });
    try {
      await ensureTable(ddb, this.o.tableName, this.o.log);
    } finally {
      ddb.destroy();
    }
  }

  async stop(): Promise<void> {
    if (this.server?.listening) await closeHttpServer(this.server);
  }
}

/** Creates the table from its declaration, or adds an index it lacks; waits for ACTIVE. */
async function ensureTable(ddb: DynamoDBClient, tableName: string, log: LocalLog): Promise<void> {
  const attributes = new Map<string, AttributeDefinition>();
  const attribute = (name: string) => attributes.set(name, { AttributeName: name, AttributeType: 'S' });
  attribute(TABLE_KEY.partitionKey);
  attribute(TABLE_KEY.sortKey);
  for (const index of TABLE_INDEXES) {
    attribute(index.partitionKey);
    attribute(index.sortKey);
  }
  const gsi = (index: (typeof TABLE_INDEXES)[number]) => ({
    IndexName: index.indexName,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });

  const table = await describeTable(ddb, tableName);
  if (!table) {
    await ddb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes.values()],
        KeySchema: [
          { AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEY.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: TABLE_INDEXES.map(gsi),
      }),
    );
    log('debug', 'table created', { tableName });
  } else {
    const existing = new Set((table.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    for (const index of TABLE_INDEXES.filter((i) => !existing.has(i.indexName))) {
      try {
        await ddb.send(
          new UpdateTableCommand({ TableName: tableName, AttributeDefinitions: [...attributes.values()], GlobalSecondaryIndexUpdates: [{ Create: gsi(index) }] }),
        );
        log('info', `index ${index.indexName} added to the local table`);
      } catch (error) {
        throw new Error(`the local table lacks index ${index.indexName} and it could not be added (${(error as Error).message}); remove the data dir to start afresh`);
      }
      await waitForActive(ddb, tableName);
    }
  }
  await waitForActive(ddb, tableName);
}

async function waitForActive(ddb: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const table = await describeTable(ddb, tableName);
    const ready = table?.TableStatus === 'ACTIVE' && (table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function describeTable(ddb: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await ddb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}
