import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import dynalite from 'dynalite';
import { createSqsServer } from 'local-aws-sqs';
import { serve } from '@hono/node-server';
import { Hono, type Context as HonoContext } from 'hono';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTableCommand,
  type AttributeDefinition,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { QUEUES } from '../queues/queues.ts';
import { dlqName, queueUrlEnv } from '../queues/define-queue.ts';
import { TABLE_INDEXES, TABLE_KEY } from '../store/table.ts';
import { hashSecret } from '../shared/secrets.ts';
import { newSecret } from '../shared/ids.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, lambdaContext, scheduledEvent } from './lambda-events.ts';
import { createLocalLog, type LocalLog } from './local-log.ts';
import { startMailSink, type Mail } from './mail-sink.ts';
import { readJsonFile, writePrivateJsonFile } from './private-files.ts';
import { QueuePoller, type QueueDepth, type SqsHandler } from './queue-poller.ts';

export type { Mail } from './mail-sink.ts';
export type { SqsHandler } from './queue-poller.ts';

/** What `<dataDir>/credentials.json` holds (mode 0600). */
export interface Credentials {
  apiUrl: string;
  operatorKey: string;
  tenantId: string;
  adminKey: string;
  enrollmentKey: string;
}

/** A queue that exists only in this stack (tests of the queue machinery itself). */
export interface ExtraQueue {
  name: string;
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  maxReceiveCount: number;
  visibilityTimeoutSeconds?: number;
  batchSize?: number;
}

export interface StackOptions {
  /** HTTP port on 127.0.0.1; 0 picks a free one. Default 8080. */
  port?: number;
  dataDir: string;
  /** Debug and info lines of the stack on stderr; Powertools at INFO instead of WARN. */
  log?: boolean;
  extraQueues?: ExtraQueue[];
  /**
   * Visibility timeout of the local queues: how long a failed message waits before its next delivery.
   * Short, so retries show up quickly. Default $DRIFTWATCH_LOCAL_VISIBILITY_TIMEOUT, else 3 s.
   */
  visibilityTimeoutSeconds?: number;
  /** Fire the schedule handler at every wall-clock minute. Default true. */
  scheduleTimer?: boolean;
  /** How long drain() and tick() wait for the queues to empty. Default 60 s. */
  drainTimeoutMs?: number;
  /** How long stop() lets queued work finish before it shuts down anyway. Default 5 s. */
  stopDrainTimeoutMs?: number;
  tableName?: string;
  /** Wraps each queue's worker handler (the benchmark uses it to time and meter workers). */
  wrapWorker?: (queueName: string, handler: SqsHandler) => SqsHandler;
}

export interface LocalStack {
  /** `http://127.0.0.1:<port>` */
  apiUrl: string;
  port: number;
  dataDir: string;
  credentials: Credentials;
  /** Waits until every queue (not the DLQs) is empty and no handler or schedule run is busy. */
  drain(): Promise<void>;
  /** Runs the schedule handler as EventBridge would at `time` (default now), then drains. */
  tick(time?: Date): Promise<void>;
  /** Every mail the sink has received, oldest first. */
  mail(): Promise<Mail[]>;
  stop(): Promise<void>;
  /** Queue URLs by queue name, DLQs included (`<name>-dlq`). */
  queueUrls: Record<string, string>;
  /** An SQS client on the local queue service (for tests that send or inspect messages directly). */
  sqs: SQSClient;
  endpoints: { dynamodb: string; sqs: string; smtp: string };
}

/** Raised by drain() when the queues do not empty in time; names what is still busy. */
export class DrainTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    readonly busy: QueueDepth[],
  ) {
    const what = busy.map((q) => `${q.name} (${q.visible} visible, ${q.notVisible} not visible, ${q.delayed} delayed, ${q.inFlight} in flight)`);
    super(`queues not drained after ${Math.round(timeoutMs / 1000)} s: ${what.join('; ') || 'a schedule run is still going'}`);
    this.name = 'DrainTimeoutError';
  }
}

interface LocalSecrets {
  masterSecret: string;
  operatorKey: string;
}

type ApiApp = { fetch: (request: Request, env?: unknown) => Response | Promise<Response> };
type ScheduleHandler = (event: ScheduledEvent, context: Context) => Promise<void>;
type CreateTenant = (name: string, now: Date) => Promise<{ tenant: { id: string; name: string }; adminKey: string; enrollmentKey: string }>;
type GetTenant = (tenantId: string) => Promise<unknown>;

const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 3;
const SCHEDULE_TIMEOUT_SECONDS = 300;

/**
 * Starts the whole backend in this process, as `npm start` and the integration tests use it: dynalite
 * (persisted under `<dataDir>/dynamodb`), an SQS-protocol server with every queue and its DLQ, an SMTP
 * mail sink, one poller per queue feeding the real worker handlers, a minute timer for the schedule
 * handler, and the HTTP API with the `/_local` routes in front of it.
 * One stack per process: the functions read their configuration from process.env once.
 * @example
 * const stack = await startStack({ port: 0, dataDir: '/tmp/dw' });
 * await fetch(`${stack.apiUrl}/v1/api-keys`, { headers: { authorization: `Bearer ${stack.credentials.adminKey}` } });
 * await stack.stop();
 */
export async function startStack(opts: StackOptions): Promise<LocalStack> {
  const dataDir = resolve(opts.dataDir);
  const log = createLocalLog(opts.log ?? false);
  const closers: Array<{ name: string; close: () => Promise<void> }> = [];
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      for (const closer of closers.reverse()) {
        try {
          await withTimeout(closer.close(), 20_000, `closing ${closer.name} took over 20 s`);
        } catch (error) {
          log('warn', `closing ${closer.name} failed`, { error });
        }
      }
    })());

  try {
    return await start();
  } catch (error) {
    await stop();
    throw error;
  }

  async function start(): Promise<LocalStack> {
    const startedAt = Date.now();
    await mkdir(dataDir, { recursive: true });
    const releaseLock = await lockDataDir(dataDir);
    closers.push({ name: 'data dir lock', close: releaseLock });
    const secrets = await loadOrCreateSecrets(join(dataDir, 'secrets.json'));
    const tableName = opts.tableName ?? 'driftwatch';

    // The functions' configuration, set before any of them is imported (config.ts reads it once).
    setEnv({
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      TABLE_NAME: tableName,
      DRIFTWATCH_MASTER_SECRET: secrets.masterSecret,
      OPERATOR_KEY_HASH: hashSecret(secrets.operatorKey),
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
    process.env.MAIL_FROM ??= 'alerts@driftwatch.local';
    // Lambda runs Node 22; on a Node 20 laptop the SDK's upgrade notice is noise on every start.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    process.env.POWERTOOLS_LOG_LEVEL ??= opts.log ? 'INFO' : 'WARN';

    // DynamoDB stand-in, on disk.
    const dynamo = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    const dynamoPort = await listen(dynamo, 0);
    closers.push({ name: 'dynalite', close: () => closeHttpServer(dynamo) });
    const dynamoEndpoint = `http://127.0.0.1:${dynamoPort}`;

    // SQS stand-in. Every send wakes the pollers, so a message is picked up at once.
    const sqsServer = await createSqsServer({
      port: 0,
      hostname: '127.0.0.1',
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      emulateQueueCreationLifecycle: false,
    });
    closers.push({ name: 'sqs', close: () => closeHttpServer(sqsServer) });
    const sqsEndpoint = `http://127.0.0.1:${(sqsServer.address() as AddressInfo).port}`;
    let activity = 0;
    const pollers: QueuePoller[] = [];
    sqsServer.prependListener('request', (req, res) => {
      if (/SendMessage/.test(String(req.headers['x-amz-target'] ?? ''))) {
        res.once('finish', () => {
          activity++;
          for (const poller of pollers) poller.wake();
        });
      }
    });

    // SES stand-in.
    const mailSink = await startMailSink({ file: join(dataDir, 'mail.jsonl'), onError: (error) => log('warn', 'mail sink error', { error }) });
    closers.push({ name: 'mail sink', close: () => mailSink.close() });
    const smtpEndpoint = `smtp://127.0.0.1:${mailSink.port}`;

    setEnv({ AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint, AWS_ENDPOINT_URL_SQS: sqsEndpoint, MAIL_TRANSPORT: smtpEndpoint });
    const clientConfig = { region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const ddb = new DynamoDBClient({ ...clientConfig, endpoint: dynamoEndpoint });
    const sqs = new SQSClient({ ...clientConfig, endpoint: sqsEndpoint });
    closers.push({
      name: 'sdk clients',
      close: async () => {
        ddb.destroy();
        sqs.destroy();
      },
    });

    await ensureTable(ddb, tableName, log);

    // Queues: the application's (from QUEUES) and any extra ones, each with its DLQ.
    const visibility = opts.visibilityTimeoutSeconds ?? envNumber('DRIFTWATCH_LOCAL_VISIBILITY_TIMEOUT') ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS;
    const queueUrls: Record<string, string> = {};
    for (const q of QUEUES) {
      const urls = await createQueueWithDlq(sqs, q.name, q.maxReceiveCount, visibility);
      Object.assign(queueUrls, urls);
      process.env[queueUrlEnv(q.name)] = urls[q.name];
    }
    for (const q of opts.extraQueues ?? []) {
      Object.assign(queueUrls, await createQueueWithDlq(sqs, q.name, q.maxReceiveCount, q.visibilityTimeoutSeconds ?? visibility));
    }

    // The functions, imported only now that their environment is complete.
    const api = (await import('../api/app.ts')).app as unknown as ApiApp;
    const scheduleHandler = (await import('../schedule/schedule.handler.ts')).handler as unknown as ScheduleHandler;
    const tenants = { ...(await import('../store/tenants.ts')), ...(await import('../use-cases/create-tenant.ts')) };

    // Pollers: one per queue that has a handler.
    const onActivity = () => {
      activity++;
    };
    for (const q of QUEUES) {
      // The worker's declared entry, exactly the file Lambda runs for this queue.
      const load = async (): Promise<SqsHandler> => {
        const handler = (await import(new URL(`../../${q.worker}`, import.meta.url).href)).handler as SqsHandler;
        return opts.wrapWorker ? opts.wrapWorker(q.name, handler) : handler;
      };
      pollers.push(
        new QueuePoller({ name: q.name, url: queueUrls[q.name], batchSize: q.batchSize, timeoutSeconds: q.workerTimeoutSeconds, sqs, load: once(load), log, onActivity }),
      );
    }
    for (const q of opts.extraQueues ?? []) {
      const handler = q.handler;
      pollers.push(
        new QueuePoller({ name: q.name, url: queueUrls[q.name], batchSize: q.batchSize ?? 10, timeoutSeconds: 60, sqs, load: async () => handler, log, onActivity }),
      );
    }
    for (const poller of pollers) poller.start();
    closers.push({ name: 'queue pollers', close: async () => void (await Promise.all(pollers.map((p) => p.stop()))) });

    // The schedule: one run at a time, whether from the minute timer or from a tick.
    let scheduleChain: Promise<void> = Promise.resolve();
    let scheduleRuns = 0;
    const runSchedule = (time: Date): Promise<void> => {
      scheduleRuns++;
      activity++;
      const run = scheduleChain.then(async () => {
        try {
          if (!scheduleHandler) return;
          log('debug', 'schedule run', { time: time.toISOString() });
          await scheduleHandler(scheduledEvent(time), lambdaContext('driftwatch-schedule', SCHEDULE_TIMEOUT_SECONDS));
        } finally {
          scheduleRuns--;
          activity++;
        }
      });
      scheduleChain = run.catch(() => undefined);
      return run;
    };

    const drainTimeoutMs = opts.drainTimeoutMs ?? 60_000;
    const drain = async (timeoutMs = drainTimeoutMs): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      let quietPasses = 0;
      for (;;) {
        const before = activity;
        const depths = await Promise.all(pollers.map((p) => p.depth()));
        const busy = depths.filter((d) => d.visible + d.notVisible + d.delayed + d.inFlight > 0);
        const settled = busy.length === 0 && scheduleRuns === 0 && activity === before;
        quietPasses = settled ? quietPasses + 1 : 0;
        if (quietPasses >= 2) return;
        if (Date.now() >= deadline) throw new DrainTimeoutError(timeoutMs, busy);
        await sleep(settled ? 5 : 25);
      }
    };
    const tick = async (time: Date = new Date()): Promise<void> => {
      await runSchedule(time);
      await drain();
    };

    let timer: NodeJS.Timeout | undefined;
    if (opts.scheduleTimer ?? true) {
      const armTimer = () => {
        const now = Date.now();
        const next = Math.floor(now / 60_000) * 60_000 + 60_000;
        timer = setTimeout(() => {
          runSchedule(new Date(next)).catch((error) => log('error', 'schedule run failed', { error }));
          armTimer();
        }, next - now);
      };
      armTimer();
      closers.push({ name: 'schedule timer', close: async () => clearTimeout(timer) });
    }
    closers.push({ name: 'schedule run', close: () => scheduleChain });

    // HTTP: the /_local routes, then the API exactly as Lambda serves it.
    const local = localRoutes({ drain, tick, mails: () => mailSink.mails(), log });
    const fetchHandler = (request: Request, env: unknown): Response | Promise<Response> => {
      const path = new URL(request.url).pathname;
      if (path === '/_local' || path.startsWith('/_local/')) return local.fetch(request, env);
      return api.fetch(request, env);
    };
    const http = serve({ fetch: fetchHandler, port: opts.port ?? 8080, hostname: '127.0.0.1' }) as Server;
    // Longer than any client's idle pool timeout, so a client never reuses a socket the server just closed.
    http.keepAliveTimeout = 65_000;
    await new Promise<void>((resolveListen, rejectListen) => {
      if (http.listening) return resolveListen();
      http.once('listening', () => resolveListen());
      http.once('error', rejectListen);
    });
    closers.push({ name: 'http', close: () => closeHttpServer(http) });
    // Before anything else closes, let queued work finish (bounded), so little is lost on Ctrl-C.
    closers.push({
      name: 'final drain',
      close: async () => {
        clearTimeout(timer);
        try {
          await drain(opts.stopDrainTimeoutMs ?? 5000);
        } catch (error) {
          log('warn', 'stopping with work left in the queues (local queues are in memory: it is lost)', { error });
        }
      },
    });
    const port = (http.address() as AddressInfo).port;
    const apiUrl = `http://127.0.0.1:${port}`;

    const credentials = await loadOrCreateCredentials(join(dataDir, 'credentials.json'), {
      apiUrl,
      operatorKey: secrets.operatorKey,
      createTenant: tenants?.createTenant as CreateTenant | undefined,
      getTenant: tenants?.getTenant as GetTenant | undefined,
      log,
    });

    log('info', 'local stack ready', { apiUrl, dataDir, ms: Date.now() - startedAt, dynamodb: dynamoEndpoint, sqs: sqsEndpoint, smtp: smtpEndpoint });
    return {
      apiUrl,
      port,
      dataDir,
      credentials,
      drain: () => drain(),
      tick,
      mail: async () => mailSink.mails(),
      stop,
      queueUrls,
      sqs,
      endpoints: { dynamodb: dynamoEndpoint, sqs: sqsEndpoint, smtp: smtpEndpoint },
    };
  }
}

function localRoutes(deps: { drain: () => Promise<void>; tick: (time: Date) => Promise<void>; mails: () => Mail[]; log: LocalLog }): Hono {
  const local = new Hono();
  const drained = async (c: HonoContext, work: () => Promise<void>) => {
    try {
      await work();
      return c.json({ drained: true });
    } catch (error) {
      if (error instanceof DrainTimeoutError) {
        deps.log('warn', error.message);
        return problemResponse(503, 'drain-timeout', 'Queues not drained', error.message, { drained: false });
      }
      throw error;
    }
  };

  local.post('/_local/tick', async (c) => {
    const raw = await c.req.text();
    let time = new Date();
    if (raw.trim()) {
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return problemResponse(400, 'validation', 'Invalid request', 'The body must be JSON: {"time": "<ISO-8601>"}.');
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return problemResponse(400, 'validation', 'Invalid request', 'The body must be a JSON object: {"time": "<ISO-8601>"}.');
      }
      const unknown = Object.keys(body).filter((k) => k !== 'time');
      if (unknown.length > 0) {
        return problemResponse(400, 'validation', 'Invalid request', `Unknown field(s): ${unknown.join(', ')}.`, {
          errors: unknown.map((path) => ({ path, message: 'Unknown field.' })),
        });
      }
      const value = (body as { time?: unknown }).time;
      if (value !== undefined) {
        if (typeof value !== 'string' || !ISO_8601.test(value) || Number.isNaN(Date.parse(value))) {
          return problemResponse(400, 'validation', 'Invalid request', 'time must be an ISO-8601 timestamp.', {
            errors: [{ path: 'time', message: 'Expected an ISO-8601 timestamp, e.g. 2025-01-05T00:00:00Z.' }],
          });
        }
        time = new Date(value);
      }
    }
    return drained(c, () => deps.tick(time));
  });
  local.post('/_local/drain', (c) => drained(c, deps.drain));
  local.get('/_local/mail', (c) => c.json(deps.mails()));
  local.notFound((c) => problemResponse(404, 'not-found', 'Not found', `No local route ${c.req.method} ${c.req.path}.`));
  local.onError((error) => {
    deps.log('error', 'local route failed', { error });
    return problemResponse(500, 'internal', 'Internal error', error.message);
  });
  return local;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

function problemResponse(status: number, type: string, title: string, detail: string, extra: Record<string, unknown> = {}): Response {
  return new Response(JSON.stringify({ type: `https://driftwatch.dev/problems/${type}`, title, status, detail, ...extra }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });
}

/**
 * One stack per data dir: LevelDB allows one opener, and dynalite crashes the process (`Database is
 * closed`) when a second one tries. A pid file turns that into a clear error; a stale one is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, 'driftwatch.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return async () => {
        if ((await readFile(file, 'utf8').catch(() => '')).trim() === String(process.pid)) await unlink(file).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(`${dataDir} is in use by another driftwatch (pid ${pid}); stop it first or use another DRIFTWATCH_DATA_DIR`);
      }
      await unlink(file).catch(() => undefined);
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function loadOrCreateSecrets(file: string): Promise<LocalSecrets> {
  const existing = await readJsonFile<Partial<LocalSecrets>>(file);
  if (existing?.masterSecret && existing.masterSecret.length >= 32 && existing.operatorKey) {
    return { masterSecret: existing.masterSecret, operatorKey: existing.operatorKey };
  }
  const secrets: LocalSecrets = { masterSecret: newSecret(48), operatorKey: `dwo_${newSecret(32)}` };
  await writePrivateJsonFile(file, secrets);
  return secrets;
}

async function loadOrCreateCredentials(
  file: string,
  deps: { apiUrl: string; operatorKey: string; createTenant?: CreateTenant; getTenant?: GetTenant; log: LocalLog },
): Promise<Credentials> {
  const existing = await readJsonFile<Partial<Credentials>>(file);
  if (existing?.tenantId && existing.adminKey && existing.enrollmentKey) {
    const stillThere = deps.getTenant ? await deps.getTenant(existing.tenantId) : true;
    if (stillThere) {
      const credentials: Credentials = { ...(existing as Credentials), apiUrl: deps.apiUrl, operatorKey: deps.operatorKey };
      if (existing.apiUrl !== credentials.apiUrl || existing.operatorKey !== credentials.operatorKey) await writePrivateJsonFile(file, credentials);
      return credentials;
    }
    deps.log('warn', `tenant ${existing.tenantId} of ${file} no longer exists: creating a new one`);
  }
  if (!deps.createTenant) throw new Error('functions/store/tenants.ts is missing: cannot create the first tenant');
  const created = await deps.createTenant('Default', new Date());
  const credentials: Credentials = {
    apiUrl: deps.apiUrl,
    operatorKey: deps.operatorKey,
    tenantId: created.tenant.id,
    adminKey: created.adminKey,
    enrollmentKey: created.enrollmentKey,
  };
  await writePrivateJsonFile(file, credentials);
  return credentials;
}

/** Creates the table from the declaration in store/table.ts, or adds an index it lacks; waits for ACTIVE. */
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

  let table = await describeTable(ddb, tableName);
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
    log('info', 'table created', { tableName });
  } else {
    const existing = new Set((table.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    for (const index of TABLE_INDEXES.filter((i) => !existing.has(i.indexName))) {
      try {
        await ddb.send(
          new UpdateTableCommand({ TableName: tableName, AttributeDefinitions: [...attributes.values()], GlobalSecondaryIndexUpdates: [{ Create: gsi(index) }] }),
        );
        log('info', 'index added', { tableName, index: index.indexName });
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
    await sleep(10);
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

async function createQueueWithDlq(sqs: SQSClient, name: string, maxReceiveCount: number, visibilityTimeoutSeconds: number): Promise<Record<string, string>> {
  const dlq = dlqName(name);
  const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: dlq, Attributes: { MessageRetentionPeriod: '1209600' } }))).QueueUrl!;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  if (!dlqArn) throw new Error(`no ARN for queue ${dlq}`);
  const url = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: {
          VisibilityTimeout: String(visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
        },
      }),
    )
  ).QueueUrl!;
  return { [name]: url, [dlq]: dlqUrl };
}

function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rejectTimeout) => {
    timer = setTimeout(() => rejectTimeout(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function setEnv(vars: Record<string, string>): void {
  for (const [name, value] of Object.entries(vars)) process.env[name] = value;
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', rejectListen);
      resolveListen((server.address() as AddressInfo).port);
    });
  });
}

/** Closes an HTTP server: idle keep-alive sockets at once, busy ones after a grace period. */
function closeHttpServer(server: Server): Promise<void> {
  return new Promise((resolveClose, rejectClose) => {
    const force = setTimeout(() => server.closeAllConnections(), 3000);
    server.close((error) => {
      clearTimeout(force);
      if (error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') rejectClose(error);
      else resolveClose();
    });
    server.closeIdleConnections();
  });
}
