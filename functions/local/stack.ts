import { join, resolve } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { QUEUES } from '../queues/queues.ts';
import { queueUrlEnv, queueVisibilityEnv } from '../queues/define-queue.ts';
import { hashSecret } from '../shared/secrets.ts';
import { loadOrCreateCredentials, loadOrCreateSecrets, loadOrCreateWebhookKey, type Credentials } from './credentials.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { pollerSpecs, queueSpecs, type ExtraQueue } from './declared-queues.ts';
import { Activity, drain } from './drain.ts';
import { HttpService } from './http.service.ts';
import { LOCAL_REGION } from './lambda-events.ts';
import { createLocalLog, type LogLevel, type LogSinks } from './local-log.ts';
import { MailSink, type Mail } from './mail-sink.ts';
import { PollersService } from './pollers.service.ts';
import type { SqsHandler } from './queue-poller.ts';
import { QueuesService } from './queues.service.ts';
import { ScheduleService, type ScheduleHandler } from './schedule.service.ts';
import { ServiceGroup } from './service.ts';
import { StoreService } from './store.service.ts';
import { workerReporter, type ScanLookup } from './worker-report.ts';

export type { Credentials } from './credentials.ts';
export type { ExtraQueue } from './declared-queues.ts';
export { DrainTimeoutError } from './drain.ts';
export { PortInUseError } from './http-server.ts';
export type { Mail } from './mail-sink.ts';
export type { SqsHandler } from './queue-poller.ts';

export interface StackOptions {
  /** HTTP port on 127.0.0.1; 0 picks a free one. Default 8080. */
  port?: number;
  dataDir: string;
  /** What the stack prints (see local-log.ts): default `warn`; `npm start` uses `info`. */
  logLevel?: LogLevel;
  /** Where its lines go; default stdout (info, debug) and stderr (warn, error). */
  logSinks?: LogSinks;
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
  /** Stops taking requests, lets the batches in hand finish, and closes everything; queued messages stay in the data dir. */
  stop(): Promise<void>;
  /** Queue URLs by queue name, DLQs included (`<name>-dlq`). */
  queueUrls: Record<string, string>;
  /** An SQS client on the local queue service (for tests that send or inspect messages directly). */
  sqs: SQSClient;
  endpoints: { dynamodb: string; sqs: string; smtp: string };
}

const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 3;

/**
 * Starts the whole backend in this process, as `npm start` and the integration tests use it: one
 * service per emulated piece of the cloud (store, queues, mail sink, pollers, schedule timer, HTTP
 * front), started in order and stopped in reverse. The queues and their workers follow the
 * declarations in functions/queues/queues.ts. One stack per process: the functions read their
 * configuration from process.env once.
 * @example
 * const stack = await startStack({ port: 0, dataDir: '/tmp/dw' });
 * await fetch(`${stack.apiUrl}/v1/api-keys`, { headers: { authorization: `Bearer ${stack.credentials.adminKey}` } });
 * await stack.stop();
 */
export async function startStack(opts: StackOptions): Promise<LocalStack> {
  const dataDir = resolve(opts.dataDir);
  const log = createLocalLog(opts.logLevel ?? 'warn', opts.logSinks);
  const services = new ServiceGroup((name, error) => log('warn', `stopping ${name} failed`, { error }));
  const activity = new Activity();
  // Bound first: a busy port fails the start before anything else is opened.
  const http = new HttpService({ port: opts.port ?? 8080, log });
  const stop = async () => {
    await http.stop();
    await services.stop();
  };

  try {
    await services.start(new DataDirLock(dataDir));
    await services.start(http);
    const secrets = await loadOrCreateSecrets(join(dataDir, 'secrets.json'));
    const tableName = opts.tableName ?? 'driftwatch';
    const webhookKey = await loadOrCreateWebhookKey(join(dataDir, 'webhook-key.json'));
    configureFunctions(
      {
        TABLE_NAME: tableName,
        DRIFTWATCH_MASTER_SECRET: secrets.masterSecret,
        OPERATOR_KEY_HASH: hashSecret(secrets.operatorKey),
        WEBHOOK_SECRET_KEY: webhookKey,
        // Sync destinations on this machine's loopback (http://127.0.0.1:port) are allowed here, and only here.
        SYNC_ALLOW_LOOPBACK: 'true',
      },
      opts.logLevel,
    );

    const store = await services.start(new StoreService({ dataDir, tableName, log }));
    const visibility = opts.visibilityTimeoutSeconds ?? envNumber('DRIFTWATCH_LOCAL_VISIBILITY_TIMEOUT') ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS;
    const queueList = queueSpecs(QUEUES, opts.extraQueues ?? [], visibility);
    const queues = await services.start(new QueuesService({ dataDir, specs: queueList, log }));
    const mailSink = await services.start(
      new MailSink({
        file: join(dataDir, 'mail.jsonl'),
        onMail: (mail) => log('info', `mail sent to ${mail.to.join(', ')}: ${JSON.stringify(mail.subject)}`),
        onError: (error) => log('warn', 'mail sink error', { error }),
      }),
    );
    const endpoints = { dynamodb: store.endpoint, sqs: queues.endpoint, smtp: `smtp://127.0.0.1:${mailSink.port}` };
    setEnv({ AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb, AWS_ENDPOINT_URL_SQS: endpoints.sqs, MAIL_TRANSPORT: endpoints.smtp, CONSOLE_URL: http.url });
    for (const q of QUEUES) {
      process.env[queueUrlEnv(q.name)] = queues.urls[q.name];
      // Sweeps of lost messages wait one visibility timeout: the local one, seconds rather than minutes.
      process.env[queueVisibilityEnv(q.name)] = String(visibility);
    }

    // The functions, imported only now that their environment is complete (config and logger read it once).
    const api = (await import('../api/app.ts')).app as unknown as { fetch: (request: Request, env?: unknown) => Response | Promise<Response> };
    const { getTenant } = await import('../store/tenants.ts');
    const { createTenant } = await import('../use-cases/create-tenant.ts');
    const { getScan } = await import('../store/scans.ts');
    const { localRoutes } = await import('./local-routes.ts');

    const maxReceiveCount = (name: string) => queueList.find((q) => q.name === name)?.maxReceiveCount;
    const pollers = await services.start(
      new PollersService({
        specs: pollerSpecs(QUEUES, opts.extraQueues ?? [], opts.wrapWorker),
        queues,
        activity,
        log,
        onBatch: workerReporter({ log, getScan: getScan as ScanLookup, maxReceiveCount }),
      }),
    );
    const schedule = await services.start(
      new ScheduleService({
        timer: opts.scheduleTimer ?? true,
        load: async () => (await import('../schedule/schedule.handler.ts')).handler as unknown as ScheduleHandler,
        activity,
        log,
      }),
    );

    const drainQueues = () => drain({ depths: () => pollers.depths(), scheduleRuns: () => schedule.running, activity, timeoutMs: opts.drainTimeoutMs ?? 60_000 });
    const tick = async (time: Date = new Date()) => {
      await schedule.run(time);
      await drainQueues();
    };
    const credentials = await loadOrCreateCredentials(join(dataDir, 'credentials.json'), {
      apiUrl: http.url,
      operatorKey: secrets.operatorKey,
      createTenant,
      getTenant,
      log,
    });

    // The /_local routes, then the API exactly as Lambda serves it (app.fetch looked up per request: the bench wraps it).
    const local = localRoutes({ drain: drainQueues, tick, mails: () => mailSink.mails(), log });
    http.serve((request, env) => {
      const path = new URL(request.url).pathname;
      return path === '/_local' || path.startsWith('/_local/') ? local.fetch(request, env) : api.fetch(request, env);
    });
    log('info', `local services: DynamoDB ${endpoints.dynamodb}, SQS ${endpoints.sqs}, SMTP ${endpoints.smtp}; data in ${dataDir}`);

    return {
      apiUrl: http.url,
      port: http.port,
      dataDir,
      credentials,
      drain: drainQueues,
      tick,
      mail: async () => mailSink.mails(),
      stop,
      queueUrls: queues.urls,
      sqs: queues.client,
      endpoints,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The functions' environment, as Lambda would give it, set before any of them is imported. */
function configureFunctions(vars: Record<string, string>, logLevel: LogLevel | undefined): void {
  setEnv({ ...vars, AWS_REGION: LOCAL_REGION, AWS_DEFAULT_REGION: LOCAL_REGION, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
  process.env.MAIL_FROM ??= 'alerts@driftwatch.local';
  // Lambda runs Node 22; on a Node 20 laptop the SDK's upgrade notice is noise on every start.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // The functions' own JSON logs: warnings and errors unless asked for (their request log would repeat ours).
  process.env.POWERTOOLS_LOG_LEVEL ??= logLevel === 'silent' ? 'CRITICAL' : 'WARN';
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
