import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { QUEUES } from '../functions/queues/queues.ts';
import { TABLE_INDEXES } from '../functions/store/table.ts';
import type { QueueDeclaration } from '../functions/queues/define-queue.ts';
import { apiFunction } from '../functions/api/api.function.ts';
import { scheduleFunction } from '../functions/schedule/schedule.function.ts';
import { Alarms } from './constructs/alarms.ts';
import { Api } from './constructs/api.ts';
import { Data } from './constructs/data.ts';
import { Encryption } from './constructs/encryption.ts';
import { grantDeclaredAccess, type AccessSources } from './constructs/function-access.ts';
import { QueuesAndWorkers } from './constructs/queues-and-workers.ts';
import { Schedule } from './constructs/schedule.ts';
import { readSettings, type Settings } from './settings.ts';
import { acknowledgeNagFindings } from './nag-acknowledgements.ts';

export { DEFAULT_MAIL_FROM } from './settings.ts';

/** The repository root: entries and the lockfile are resolved from here. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Lambda entry files of the API and the schedule, relative to the repo root (workers: their queue declarations). */
export const ENTRIES = {
  api: apiFunction.entry,
  schedule: scheduleFunction.entry,
} as const;

export interface DriftwatchStackProps extends StackProps {
  /** Where entries and the lockfile live; defaults to this repository. */
  sourceRoot?: string;
  /** Queue declarations to deploy (queue, DLQ, worker); defaults to functions/queues/queues.ts. */
  queues?: readonly QueueDeclaration[];
}

/**
 * Driftwatch in one stack. Stateful resources (key, table, secret, queues) are made first and handed to the
 * stateless ones (functions, API, schedule), which receive only what their declarations name.
 * CDK context: infra/settings.ts (README "Deploy").
 */
export class DriftwatchStack extends Stack {
  readonly settings: Settings;
  readonly encryption: Encryption | undefined;
  readonly data: Data;
  readonly queues: QueuesAndWorkers;
  readonly api: Api;
  readonly schedule: Schedule;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: DriftwatchStackProps = {}) {
    super(scope, id, props);
    const root = props.sourceRoot ?? REPO_ROOT;
    const settings = (this.settings = readSettings(this));
    this.encryption = settings.kms ? new Encryption(this, 'Encryption') : undefined;
    const encryptionKey = this.encryption?.key;
    const common = { root, logRetention: settings.logRetention, encryptionKey, reserveConcurrency: settings.reserveConcurrency };

    this.data = new Data(this, 'Data', { operatorKeyHash: settings.operatorKeyHash, secretVersionId: settings.secretVersionId, encryptionKey });
    // What functions/shared/config.ts reads; queue URLs go only to each queue's declared senders, secrets
    // and table actions only to the functions that declare them (functions/shared/function-access.ts).
    const environment = { ...this.data.environment, MAIL_TRANSPORT: 'ses', MAIL_FROM: settings.mailFrom };
    const access: AccessSources = { table: this.data.table, indexes: TABLE_INDEXES, secrets: this.data.secretEnvironment, mailFrom: settings.mailFrom };
    const declarations = props.queues ?? QUEUES;

    this.queues = new QueuesAndWorkers(this, 'Queues', { ...common, declarations, environment, access });

    this.api = new Api(this, 'Api', { ...common, entry: ENTRIES.api, environment, corsOrigins: settings.corsOrigins });
    grantDeclaredAccess(this.api.fn, apiFunction, access);
    this.queues.connectSender(this.api.fn, 'api');
    this.schedule = new Schedule(this, 'Schedule', { ...common, entry: ENTRIES.schedule, environment });
    grantDeclaredAccess(this.schedule.fn, scheduleFunction, access);
    this.queues.connectSender(this.schedule.fn, 'schedule');
    // Links in mail: the console when one is named, else the API itself (not known to the API function: a cycle).
    for (const worker of Object.values(this.queues.workers)) worker.addEnvironment('CONSOLE_URL', settings.consoleUrl ?? this.api.stage.url);

    this.alarms = new Alarms(this, 'Alarms', {
      functions: { api: this.api.fn, schedule: this.schedule.fn, ...this.queues.workers },
      deadLetterQueues: { ...this.queues.deadLetterQueues, schedule: this.schedule.deadLetterQueue },
      messageAge: Object.fromEntries(
        declarations.filter((d) => d.maxMessageAgeSeconds).map((d) => [d.name, { queue: this.queues.queues[d.name]!, seconds: d.maxMessageAgeSeconds! }]),
      ),
      httpApi: this.api.httpApi,
      table: this.data.table,
      indexes: TABLE_INDEXES,
      email: settings.alarmEmail,
      encryptionKey,
    });

    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'SecretArn', {
      value: this.data.secret.secretArn,
      description: 'Holds masterSecret (generated) and operatorKeyHash (set it: see docs/operations.md)',
    });
    for (const def of declarations) {
      new CfnOutput(this, `DlqUrl${pascal(def.name)}`, { value: this.queues.deadLetterQueues[def.name]!.queueUrl });
    }
    acknowledgeNagFindings(this);

    new CfnOutput(this, 'DlqUrlSchedule', { value: this.schedule.deadLetterQueue.queueUrl, description: 'Ticks that failed every retry' });
  }
}

const pascal = (name: string) => name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
