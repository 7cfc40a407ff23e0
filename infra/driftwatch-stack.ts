import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { QUEUES } from '../functions/queues/queues.ts';
import type { QueueDeclaration } from '../functions/queues/define-queue.ts';
import { Alarms } from './constructs/alarms.ts';
import { Api } from './constructs/api.ts';
import { Data } from './constructs/data.ts';
import { QueuesAndWorkers } from './constructs/queues-and-workers.ts';
import { Schedule } from './constructs/schedule.ts';

/** The repository root: entries and the lockfile are resolved from here. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Lambda entry files of the API and the schedule, relative to the repo root (workers: their queue declarations). */
export const ENTRIES = {
  api: 'functions/api/lambda.ts',
  schedule: 'functions/schedule/schedule.handler.ts',
} as const;

export const DEFAULT_MAIL_FROM = 'alerts@example.com';

export interface DriftwatchStackProps extends StackProps {
  /** Where entries and the lockfile live; defaults to this repository. */
  sourceRoot?: string;
  /** Queue declarations to deploy (queue, DLQ, worker); defaults to functions/queues/queues.ts. */
  queues?: readonly QueueDeclaration[];
}

/**
 * Driftwatch in one stack. Stateful resources (table, secret, queues) are made first and handed to the
 * stateless ones (functions, API, schedule), which receive only the grants they need.
 *
 * CDK context (`-c key=value` or cdk.json): `operatorKeyHash` (64 hex; otherwise read from the secret),
 * `secretVersionId` (pin the secret version the functions resolve), `mailFrom`, `alarmEmail`, `consoleUrl` (what
 * alert mail links to; default the HTTP API's URL).
 */
export class DriftwatchStack extends Stack {
  readonly data: Data;
  readonly queues: QueuesAndWorkers;
  readonly api: Api;
  readonly schedule: Schedule;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: DriftwatchStackProps = {}) {
    super(scope, id, props);
    const root = props.sourceRoot ?? REPO_ROOT;
    const operatorKeyHash = optionalContext(this, 'operatorKeyHash', /^[0-9a-f]{64}$/, 'the sha256 hex (64 lowercase hex characters) of the operator key');
    const secretVersionId = optionalContext(this, 'secretVersionId', /^[\w-]{32,64}$/, 'a Secrets Manager version id');
    const mailFrom = optionalContext(this, 'mailFrom', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an email address') ?? DEFAULT_MAIL_FROM;
    const alarmEmail = optionalContext(this, 'alarmEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an email address');
    const consoleUrl = optionalContext(this, 'consoleUrl', /^https?:\/\/\S+$/, 'an http(s) URL');

    this.data = new Data(this, 'Data', { operatorKeyHash, secretVersionId });
    // What functions/shared/config.ts reads; queue URLs go only to each queue's declared senders.
    const environment = { ...this.data.environment, MAIL_TRANSPORT: 'ses', MAIL_FROM: mailFrom };
    const declarations = props.queues ?? QUEUES;

    this.queues = new QueuesAndWorkers(this, 'Queues', { root, table: this.data.table, declarations, environment, mailFrom });

    this.api = new Api(this, 'Api', {
      root,
      entry: ENTRIES.api,
      table: this.data.table,
      environment,
    });
    this.queues.connectSender(this.api.fn, 'api');
    this.schedule = new Schedule(this, 'Schedule', {
      root,
      entry: ENTRIES.schedule,
      table: this.data.table,
      environment,
    });
    this.queues.connectSender(this.schedule.fn, 'schedule');
    // Only what seals (the API, on create and PATCH) and opens (the label-sync worker, to sign) a webhook secret gets its key.
    for (const fn of [this.api.fn, this.queues.workers['label-sync']]) {
      for (const [name, value] of Object.entries(this.data.webhookKeyEnvironment)) fn?.addEnvironment(name, value);
    }
    // Links in mail: the console when one is named, else the API itself (not known to the API function: a cycle).
    for (const worker of Object.values(this.queues.workers)) worker.addEnvironment('CONSOLE_URL', consoleUrl ?? this.api.stage.url);

    this.alarms = new Alarms(this, 'Alarms', {
      functions: { api: this.api.fn, schedule: this.schedule.fn, ...this.queues.workers },
      deadLetterQueues: this.queues.deadLetterQueues,
      httpApi: this.api.httpApi,
      email: alarmEmail,
    });

    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'SecretArn', {
      value: this.data.secret.secretArn,
      description: 'Holds masterSecret (generated) and operatorKeyHash (set it: see docs/operations.md)',
    });
    for (const def of declarations) {
      new CfnOutput(this, `DlqUrl${pascal(def.name)}`, { value: this.queues.deadLetterQueues[def.name]!.queueUrl });
    }
  }
}

/** A context value, checked at synth time so a typo fails `cdk synth` rather than the deployed functions. */
function optionalContext(scope: Construct, key: string, pattern: RegExp, what: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new Error(`CDK context "${key}" must be ${what}; got ${JSON.stringify(value)}`);
  }
  return value;
}

const pascal = (name: string) => name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
