import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alertsQueue, QUEUES, scanIngestQueue } from '../../functions/queues/queues.ts';
import { visibilityTimeoutSeconds, defineQueue, dlqName, queueUrlEnv, queueVisibilityEnv, type QueueDeclaration } from '../../functions/queues/define-queue.ts';
import * as zm from 'zod/mini';
import { TABLE_INDEXES, TABLE_KEY, TTL_ATTRIBUTE } from '../../functions/store/table.ts';
import { AGENT_ROUTES, API_RESERVED_CONCURRENCY, API_THROTTLE } from '../../infra/constructs/api.ts';
import { apiFunction } from '../../functions/api/api.function.ts';
import { scheduleFunction } from '../../functions/schedule/schedule.function.ts';
import type { FunctionAccess } from '../../functions/shared/function-access.ts';
import { OPERATOR_KEY_HASH_PLACEHOLDER } from '../../infra/constructs/data.ts';
import { API_5XX_RATE_PERCENT } from '../../infra/constructs/alarms.ts';
import { DEFAULT_WORKER_CONCURRENCY, QUEUE_RETENTION } from '../../infra/constructs/queues-and-workers.ts';
import { DEFAULT_LOG_RETENTION_DAYS, stageOf } from '../../infra/settings.ts';
import { DEFAULT_MAIL_FROM, DriftwatchStack, ENTRIES } from '../../infra/driftwatch-stack.ts';

type Json = Record<string, any>;

/** A queue declared only in this test: adding a queue must be one declaration. */
const EXAMPLE_QUEUE = defineQueue({
  name: 'example-export',
  message: zm.object({ tenantId: zm.string() }),
  worker: 'functions/workers/example-export.worker.ts',
  senders: ['schedule'],
  maxReceiveCount: 5,
  workerTimeoutSeconds: 60,
  batchSize: 10,
  tableAccess: ['Query', 'PutItem'],
});

/**
 * NodejsFunction insists that its entry and lockfile exist even when bundling is skipped, and the real
 * entries are not this test's subject: a scratch root holds empty stand-ins for them.
 */
function scratchRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'driftwatch-infra-'));
  writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3}\n');
  const entries = [ENTRIES.api, ENTRIES.schedule, ...QUEUES.map((q) => q.worker), EXAMPLE_QUEUE.worker];
  for (const entry of entries) {
    mkdirSync(dirname(join(root, entry as string)), { recursive: true });
    writeFileSync(join(root, entry as string), 'export const handler = async () => undefined;\n');
  }
  return root;
}

const root = scratchRoot();
afterAll(() => rmSync(root, { recursive: true, force: true }));

function synth(context: Json = {}, queues?: readonly QueueDeclaration[]) {
  // Skipping bundling keeps synth fast and independent of esbuild and of the entries' contents.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new DriftwatchStack(app, 'Driftwatch', { sourceRoot: root, queues });
  return { stack, template: Template.fromStack(stack) };
}

const { stack, template } = synth();
const logicalId = (fn: { node: { defaultChild?: unknown } }) => stack.getLogicalId(fn.node.defaultChild as CfnFunction);
const queueId = (q: Queue) => stack.getLogicalId(q.node.defaultChild as any);

/** The API, the schedule and every worker, by declared name. */
const functionNames = () => ['api', 'schedule', ...QUEUES.map((q) => q.name)];
const functionOf = (name: string) => (name === 'api' ? stack.api.fn : name === 'schedule' ? stack.schedule.fn : stack.queues.workers[name]!);
const declarationOf = (name: string): FunctionAccess => (name === 'api' ? apiFunction : name === 'schedule' ? scheduleFunction : QUEUES.find((q) => q.name === name)!);

function resources(t: Template, type: string): [string, Json][] {
  return Object.entries(t.findResources(type));
}

describe('data', () => {
  it('creates the table and every index from functions/store/table.ts, on demand, with PITR, TTL and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEY.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: TABLE_KEY.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEY.sortKey, AttributeType: 'S' },
          ...TABLE_INDEXES.flatMap((index) => [
            { AttributeName: index.partitionKey, AttributeType: 'S' },
            { AttributeName: index.sortKey, AttributeType: 'S' },
          ]),
        ]),
        // Every index the store queries (gsi2: servers, owed ingests, events by policy; gsi3: label sync).
        GlobalSecondaryIndexes: TABLE_INDEXES.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    });
  });

  it('generates the master secret beside a placeholder operator key hash, and retains it', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        GenerateSecretString: Match.objectLike({
          GenerateStringKey: 'masterSecret',
          SecretStringTemplate: JSON.stringify({ operatorKeyHash: OPERATOR_KEY_HASH_PLACEHOLDER }),
          PasswordLength: 64,
        }),
      }),
    });
  });

  it('generates the webhook key, a secret of its own, and retains it', () => {
    const webhookKey = template.toJSON().Resources[stack.getLogicalId(stack.data.webhookKey.node.defaultChild as any)];
    expect(webhookKey).toMatchObject({ Type: 'AWS::SecretsManager::Secret', DeletionPolicy: 'Retain', Properties: { GenerateSecretString: { PasswordLength: 64 } } });
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
  });
});

describe('queues', () => {
  const queues = resources(template, 'AWS::SQS::Queue');

  it('has a queue and a DLQ for each entry of QUEUES, the schedule\'s DLQ, and nothing else', () => {
    expect(queues).toHaveLength(2 * QUEUES.length + 1);
    expect(queues.map(([, q]) => q.Properties.QueueName)).toContain('Driftwatch-schedule-dlq');
  });

  it('keep messages 4 days in a queue and 14 in a DLQ: a message moved to a DLQ keeps its first enqueue time', () => {
    for (const def of QUEUES) {
      const [, queue] = queues.find(([, r]) => r.Properties.QueueName === `Driftwatch-${def.name}`)!;
      const [, dlq] = queues.find(([, r]) => r.Properties.QueueName === `Driftwatch-${dlqName(def.name)}`)!;
      expect(queue.Properties.MessageRetentionPeriod).toBe(QUEUE_RETENTION.toSeconds());
      // Ten days in the DLQ even for a message that sat its whole retention in the queue.
      expect(dlq.Properties.MessageRetentionPeriod - queue.Properties.MessageRetentionPeriod).toBeGreaterThanOrEqual(10 * 24 * 3600);
    }
  });

  it.each(QUEUES.map((q) => [q.name, q] as const))('%s: SSE, visibility 6x worker timeout, DLQ redrive', (name, def) => {
    const [, queue] = queues.find(([, r]) => r.Properties.QueueName === `Driftwatch-${name}`) ?? [];
    expect(queue, `queue ${name}`).toBeDefined();
    expect(queue!.Properties.SqsManagedSseEnabled).toBe(true);
    expect(queue!.Properties.VisibilityTimeout).toBe(6 * def.workerTimeoutSeconds);
    expect(queue!.Properties.RedrivePolicy.maxReceiveCount).toBe(def.maxReceiveCount);

    const dlqId = queue!.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];
    const dlq = template.toJSON().Resources[dlqId];
    expect(dlq.Properties).toMatchObject({
      QueueName: `Driftwatch-${dlqName(name)}`,
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('refuses plain-HTTP access to every queue', () => {
    const policies = resources(template, 'AWS::SQS::QueuePolicy');
    const covered = policies
      .filter(([, p]) =>
        p.Properties.PolicyDocument.Statement.some(
          (s: Json) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        ),
      )
      .flatMap(([, p]) => p.Properties.Queues.map((q: Json) => q.Ref));
    expect(new Set(covered)).toEqual(new Set(queues.map(([id]) => id)));
  });
});

describe('workers', () => {
  it('wires one worker per declared queue, with partial batch responses and the declared batch size', () => {
    const mappings = resources(template, 'AWS::Lambda::EventSourceMapping');
    const wired = QUEUES.map((q) => q.name);
    expect(wired).toEqual(expect.arrayContaining(['scan-dispatch', 'scan-ingest']));
    expect(mappings).toHaveLength(wired.length);
    for (const name of wired) {
      const def = QUEUES.find((q) => q.name === name)!;
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [queueId(stack.queues.queues[name]!), 'Arn'] },
        FunctionName: { Ref: logicalId(stack.queues.workers[name]!) },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BatchSize: def.batchSize,
        MaximumBatchingWindowInSeconds: Match.anyValue(),
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Timeout: def.workerTimeoutSeconds,
        Description: `Driftwatch ${name} worker`,
      });
    }
  });

  it('adds a queue and its worker with one declaration', () => {
    const { stack: withSync, template: t } = synth({}, [...QUEUES, EXAMPLE_QUEUE]);
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', QUEUES.length + 1);
    const scheduleEnv = t.toJSON().Resources[withSync.getLogicalId(withSync.schedule.fn.node.defaultChild as any)].Properties.Environment.Variables;
    expect(scheduleEnv[queueUrlEnv('example-export')]).toEqual({ Ref: withSync.getLogicalId(withSync.queues.queues['example-export']!.node.defaultChild as any) });
    // Its DLQ and its worker are watched with no edit of the alarms: DLQ depth, errors, throttles, dashboard.
    const json = t.toJSON();
    const alarmsOf = Object.values(json.Resources as Json).filter((r: Json) => r.Type === 'AWS::CloudWatch::Alarm').map((r: Json) => JSON.stringify(r.Properties.Dimensions ?? []));
    const dlq = withSync.getLogicalId(withSync.queues.deadLetterQueues['example-export']!.node.defaultChild as any);
    const worker = withSync.getLogicalId(withSync.queues.workers['example-export']!.node.defaultChild as any);
    expect(alarmsOf.filter((d) => d.includes(`"${dlq}"`))).toHaveLength(1);
    expect(alarmsOf.filter((d) => d.includes(`"${worker}"`))).toHaveLength(2);
    const [dashboard] = Object.values(json.Resources as Json).filter((r: Json) => r.Type === 'AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(dashboard.Properties.DashboardBody)).toContain(dlq);
  });

  it('the reports queue reaches the schedule only (its one sender)', () => {
    const envOf = (fn: { node: { defaultChild?: unknown } }) => template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables;
    expect(envOf(stack.schedule.fn)[queueUrlEnv('reports')]).toEqual({ Ref: queueId(stack.queues.queues.reports!) });
    expect(envOf(stack.api.fn)[queueUrlEnv('reports')]).toBeUndefined();
    expect(envOf(stack.queues.workers.reports!)[queueUrlEnv('reports')]).toBeUndefined();
  });

  it('the alerts queue reaches its declared senders only, and only the alerts worker may send mail', () => {
    const envOf = (fn: { node: { defaultChild?: unknown } }) => template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables;
    const alertsUrl = { Ref: queueId(stack.queues.queues.alerts!) };
    expect(envOf(stack.queues.workers['scan-ingest']!)[queueUrlEnv('alerts')]).toEqual(alertsUrl);
    expect(envOf(stack.api.fn)[queueUrlEnv('alerts')]).toEqual(alertsUrl);
    expect(envOf(stack.schedule.fn)[queueUrlEnv('alerts')]).toEqual(alertsUrl);
    expect(envOf(stack.queues.workers['scan-dispatch']!)[queueUrlEnv('alerts')]).toBeUndefined();
    expect(envOf(stack.queues.workers.alerts!).CONSOLE_URL).toBeDefined();
    const alertsRole = stack.getLogicalId(stack.queues.workers.alerts!.role!.node.defaultChild as any);
    const sesStatements = resources(template, 'AWS::IAM::Policy').flatMap(([, p]) =>
      p.Properties.PolicyDocument.Statement.filter((s: Json) => [s.Action].flat().includes('ses:SendEmail')).map(
        (s: Json) => ({ roles: p.Properties.Roles.map((r: Json) => r.Ref), resource: s.Resource }),
      ),
    );
    expect(sesStatements).toHaveLength(1);
    expect(sesStatements[0].roles).toEqual([alertsRole]);
    expect(JSON.stringify(sesStatements[0].resource)).toContain(`:identity/${DEFAULT_MAIL_FROM}`);
    expect(JSON.stringify(sesStatements[0].resource)).not.toContain('identity/*');
  });

  it('links alert mail to the consoleUrl context when given', () => {
    const { stack: s2, template: t } = synth({ consoleUrl: 'https://console.example.com' });
    const env = t.toJSON().Resources[s2.getLogicalId(s2.queues.workers.alerts!.node.defaultChild as any)].Properties.Environment.Variables;
    expect(env.CONSOLE_URL).toBe('https://console.example.com');
    expect(() => synth({ consoleUrl: 'not a url' })).toThrow(/consoleUrl/);
  });
});

describe('functions', () => {
  const functions = resources(template, 'AWS::Lambda::Function');

  it('are the API, the schedule and one worker per queue, all Node 22 on arm64 with a one-month log group', () => {
    expect(functions).toHaveLength(2 + QUEUES.length);
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref;
      expect(template.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBe(30);
    }
  });

  it('get every variable functions/shared/config.ts reads, and the URL of exactly the queues they send to', () => {
    const byId = new Map<string, string>([
      [logicalId(stack.api.fn), 'api'],
      [logicalId(stack.schedule.fn), 'schedule'],
      ...Object.entries(stack.queues.workers).map(([name, fn]) => [logicalId(fn), name] as [string, string]),
    ]);
    for (const [id, fn] of functions) {
      const env = fn.Properties.Environment.Variables;
      expect(env.TABLE_NAME).toEqual({ Ref: stack.getLogicalId(stack.data.table.node.defaultChild as any) });
      const name = byId.get(id)!;
      for (const def of QUEUES) {
        if (def.senders.includes(name as never)) {
          expect(env[queueUrlEnv(def.name)], `${name}: ${def.name}`).toEqual({ Ref: queueId(stack.queues.queues[def.name]!) });
          // Its senders' sweeps wait exactly the queue's visibility timeout before they call a message lost.
          expect(env[queueVisibilityEnv(def.name)], `${name}: ${def.name}`).toBe(String(visibilityTimeoutSeconds(def)));
        } else expect(env[queueUrlEnv(def.name)], `${name}: ${def.name}`).toBeUndefined();
      }
      // Secrets only where declared (functions/shared/function-access.ts): the webhook key only in the API
      // (which seals) and label-sync (which opens), by their declarations.
      const secrets = declarationOf(name).secrets ?? [];
      const references: Record<string, RegExp> = {
        DRIFTWATCH_MASTER_SECRET: /\{\{resolve:secretsmanager:.*:SecretString:masterSecret::\}\}/,
        OPERATOR_KEY_HASH: /\{\{resolve:secretsmanager:.*:SecretString:operatorKeyHash::\}\}/,
        WEBHOOK_SECRET_KEY: /\{\{resolve:secretsmanager:.*:SecretString:::\}\}/,
      };
      for (const [variable, reference] of Object.entries(references)) {
        if (secrets.includes(variable as never)) expect(JSON.stringify(env[variable]), `${name}: ${variable}`).toMatch(reference);
        else expect(env[variable], `${name}: ${variable}`).toBeUndefined();
      }
      expect(env).toMatchObject({
        MAIL_TRANSPORT: 'ses',
        MAIL_FROM: DEFAULT_MAIL_FROM,
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'driftwatch',
      });
    }
  });

  it('take the operator key hash, the secret version and the sender from context', () => {
    const hash = 'ab'.repeat(32);
    const versionId = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
    const { stack: s2, template: t } = synth({ operatorKeyHash: hash, mailFrom: 'fim@corp.example', secretVersionId: versionId });
    for (const [, fn] of resources(t, 'AWS::Lambda::Function')) expect(fn.Properties.Environment.Variables.MAIL_FROM).toBe('fim@corp.example');
    const apiEnv = t.toJSON().Resources[s2.getLogicalId(s2.api.fn.node.defaultChild as any)].Properties.Environment.Variables;
    expect(apiEnv.OPERATOR_KEY_HASH).toBe(hash);
    expect(JSON.stringify(apiEnv.DRIFTWATCH_MASTER_SECRET)).toContain(`:SecretString:masterSecret::${versionId}}}`);
  });

  it('fail synth on a malformed context value', () => {
    expect(() => synth({ operatorKeyHash: 'not-a-hash' })).toThrow(/operatorKeyHash/);
    expect(() => synth({ mailFrom: 'nobody' })).toThrow(/mailFrom/);
  });
});

describe('permissions', () => {
  const policies = resources(template, 'AWS::IAM::Policy');
  const statementsOf = (fn: { role?: { node: { defaultChild?: unknown } } }) => {
    const role = stack.getLogicalId(fn.role!.node.defaultChild as any);
    return policies
      .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
  };
  const actionsOf = (statement: Json): string[] => [statement.Action].flat();
  const tableId = stack.getLogicalId(stack.data.table.node.defaultChild as any);
  const sendsTo = (fn: Parameters<typeof statementsOf>[0]) =>
    QUEUES.filter((def) =>
      statementsOf(fn).some(
        (s) =>
          actionsOf(s).includes('sqs:SendMessage') &&
          JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [queueId(stack.queues.queues[def.name]!), 'Arn'] }),
      ),
    ).map((def) => def.name);

  it('have no statement with a wildcard action, anywhere in the stack, with or without the kms flag', () => {
    for (const t of [template, synth({ kms: 'true' }).template]) {
      const all = resources(t, 'AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
      expect(all.length).toBeGreaterThan(0);
      for (const statement of all) for (const action of actionsOf(statement)) expect(action, JSON.stringify(statement)).not.toMatch(/\*/);
    }
  });

  it('grant nothing on Resource "*" but the X-Ray writes of active tracing', () => {
    for (const t of [template, synth({ kms: 'true' }).template]) {
      const onStar = resources(t, 'AWS::IAM::Policy')
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
        .filter((st) => [st.Resource].flat().includes('*'));
      expect(onStar.length).toBeGreaterThan(0);
      for (const st of onStar) expect(actionsOf(st).every((a) => a.startsWith('xray:')), JSON.stringify(st)).toBe(true);
    }
  });

  it('write logs to their own log group only (no AWSLambdaBasicExecutionRole)', () => {
    expect(JSON.stringify(resources(template, 'AWS::IAM::Role'))).not.toContain('AWSLambdaBasicExecutionRole');
    for (const name of functionNames()) {
      const logs = statementsOf(functionOf(name)).filter((st) => actionsOf(st).some((a) => a.startsWith('logs:')));
      expect(logs.flatMap(actionsOf).sort(), name).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      const logGroupId = template.toJSON().Resources[logicalId(functionOf(name))].Properties.LoggingConfig.LogGroup.Ref;
      expect(logs.map((st) => st.Resource)).toEqual([{ 'Fn::GetAtt': [logGroupId, 'Arn'] }]);
    }
  });

  it.each(functionNames().map((n) => [n] as const))('%s: exactly its declared table actions, on the table and its indexes only', (name) => {
    const dynamo = statementsOf(functionOf(name)).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(new Set(dynamo.flatMap(actionsOf))).toEqual(new Set(declarationOf(name).tableAccess.map((a) => `dynamodb:${a}`)));
    for (const statement of dynamo) {
      const resources = [statement.Resource].flat();
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) expect(JSON.stringify(resource)).toContain(tableId);
    }
  });

  it('never grant Scan, and DeleteItem only to the functions whose code deletes', () => {
    const deleters = functionNames().filter((n) => statementsOf(functionOf(n)).some((s) => actionsOf(s).includes('dynamodb:DeleteItem')));
    expect(deleters.sort()).toEqual(functionNames().filter((n) => declarationOf(n).tableAccess.includes('DeleteItem')).sort());
    expect(deleters).not.toContain('scan-ingest');
    expect(JSON.stringify(policies)).not.toContain('dynamodb:Scan');
  });

  it('let each function send only to the queues that declare it a sender', () => {
    const declared = (name: string) => QUEUES.filter((q) => q.senders.includes(name as never)).map((q) => q.name);
    expect(new Set(sendsTo(stack.api.fn))).toEqual(new Set(['scan-ingest', 'scan-dispatch', 'label-cleanup', 'alerts', 'label-sync']));
    for (const name of functionNames()) expect(new Set(sendsTo(functionOf(name))), name).toEqual(new Set(declared(name)));
  });

  it.each(functionNames().map((n) => [n] as const))('%s: its SQS statements name only its own queue (to receive) and the queues it sends to', (name) => {
    const allowed = new Set([
      ...(stack.queues.queues[name] ? [queueId(stack.queues.queues[name]!)] : []),
      // The schedule records a tick that failed every retry in its own DLQ.
      ...(name === 'schedule' ? [queueId(stack.schedule.deadLetterQueue)] : []),
      ...QUEUES.filter((q) => q.senders.includes(name as never)).map((q) => queueId(stack.queues.queues[q.name]!)),
    ]);
    const sqs = statementsOf(functionOf(name)).filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    const named = new Set(sqs.flatMap((s) => [s.Resource].flat().map((r: Json) => r['Fn::GetAtt']?.[0] ?? JSON.stringify(r))));
    expect(named).toEqual(allowed);
    const receives = sqs.filter((s) => actionsOf(s).includes('sqs:ReceiveMessage')).flatMap((s) => [s.Resource].flat().map((r: Json) => r['Fn::GetAtt']?.[0]));
    expect(receives).toEqual(stack.queues.queues[name] ? [queueId(stack.queues.queues[name]!)] : []);
  });

  it('do not let the functions read the secret at runtime (CloudFormation resolves it)', () => {
    const all = functionNames().flatMap((n) => statementsOf(functionOf(n)));
    expect(JSON.stringify(all)).not.toContain('secretsmanager:');
  });
});

describe('api', () => {
  it('is an HTTP API whose $default route proxies to the API function (payload 2.0)', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    const integrations = resources(template, 'AWS::ApiGatewayV2::Integration');
    expect(integrations).toHaveLength(1);
    const [integrationId, integration] = integrations[0];
    expect(integration.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalId(stack.api.fn), 'Arn'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$default',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(stack.api.fn), 'Arn'] },
    });
  });

  it('throttles the auto-deployed $default stage and outputs its URL', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: Match.objectLike({
        ThrottlingRateLimit: API_THROTTLE.rateLimit,
        ThrottlingBurstLimit: API_THROTTLE.burstLimit,
      }),
    });
    template.hasOutput('ApiUrl', Match.anyValue());
  });
});

describe('schedule', () => {
  it('invokes the schedule function every minute', () => {
    const rules = resources(template, 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0];
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(rule.Properties.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [logicalId(stack.schedule.fn), 'Arn'] });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(stack.schedule.fn), 'Arn'] },
    });
  });
});

describe('alarms', () => {
  const alarms = resources(template, 'AWS::CloudWatch::Alarm');
  const topicId = stack.getLogicalId(stack.alarms.topic.node.defaultChild as any);
  const fnIds = () => resources(template, 'AWS::Lambda::Function').map(([id]) => id);

  it('fire on one message in each DLQ, the schedule\'s included', () => {
    const dlqAlarms = alarms.filter(([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlqAlarms).toHaveLength(QUEUES.length + 1);
    const watched = dlqAlarms.map(([, a]) => a.Properties.Dimensions[0].Value['Fn::GetAtt'][0]);
    const dlqIds = [...QUEUES.map((q) => queueId(stack.queues.deadLetterQueues[q.name]!)), queueId(stack.schedule.deadLetterQueue)];
    expect(new Set(watched)).toEqual(new Set(dlqIds));
    for (const [, a] of dlqAlarms) {
      expect(a.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: topicId }],
      });
    }
  });

  it.each(['Errors', 'Throttles'])('fire on each function\'s %s', (metricName) => {
    const watched = alarms.filter(([, a]) => a.Properties.MetricName === metricName).map(([, a]) => a.Properties.Dimensions[0].Value.Ref);
    expect(new Set(watched)).toEqual(new Set(fnIds()));
    expect(watched).toHaveLength(fnIds().length);
  });

  it('fire on the API\'s 5xx rate, not on a single 5xx', () => {
    const [[, rate]] = alarms.filter(([, a]) => JSON.stringify(a.Properties.Metrics ?? []).includes('"5xx"'));
    expect(rate.Properties.Threshold).toBe(API_5XX_RATE_PERCENT);
    const expression = rate.Properties.Metrics.find((m: Json) => m.Expression).Expression as string;
    expect(expression).toMatch(/100 \* errors \/ requests/);
    const metrics = rate.Properties.Metrics.filter((m: Json) => m.MetricStat).map((m: Json) => m.MetricStat.Metric);
    expect(metrics.map((m: Json) => m.MetricName).sort()).toEqual(['5xx', 'Count']);
    for (const m of metrics) expect(m.Namespace).toBe('AWS/ApiGateway');
  });

  it('fire on DynamoDB throttling of the table and of every index', () => {
    const [[, throttles]] = alarms.filter(([, a]) => JSON.stringify(a.Properties.Metrics ?? []).includes('ThrottleEvents'));
    const metrics = throttles.Properties.Metrics.filter((m: Json) => m.MetricStat).map((m: Json) => m.MetricStat.Metric);
    expect(metrics).toHaveLength(2 * (1 + TABLE_INDEXES.length));
    const indexes = new Set(metrics.flatMap((m: Json) => m.Dimensions.filter((d: Json) => d.Name === 'GlobalSecondaryIndexName').map((d: Json) => d.Value)));
    expect(indexes).toEqual(new Set(TABLE_INDEXES.map((i) => i.indexName)));
  });

  it('fire when the oldest scan-ingest message waits too long, for every queue that declares a limit', () => {
    const ageAlarms = alarms.filter(([, a]) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage');
    const declared = QUEUES.filter((q) => (q as QueueDeclaration).maxMessageAgeSeconds);
    expect(declared.map((q) => q.name)).toContain('scan-ingest');
    expect(ageAlarms).toHaveLength(declared.length);
    const ingest = ageAlarms.find(([, a]) => a.Properties.Dimensions[0].Value['Fn::GetAtt'][0] === queueId(stack.queues.queues['scan-ingest']!))!;
    expect(ingest[1].Properties.Threshold).toBe(scanIngestQueue.maxMessageAgeSeconds);
  });

  it('all notify the topic, when they fire and when they recover', () => {
    expect(alarms.length).toBeGreaterThan(0);
    for (const [, a] of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('are on a dashboard with the metrics they watch', () => {
    const [[, dashboard]] = resources(template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const needle of ['"alarms\\":', 'ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', 'Throttles', 'Errors', '5xx', 'ThrottleEvents', 'ConsumedWriteCapacityUnits']) {
      expect(body, needle).toContain(needle);
    }
  });

  it('subscribe the alarm email from context, and no one by default', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const { template: t } = synth({ alarmEmail: 'oncall@corp.example' });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@corp.example' });
  });
});

describe('protection from floods', () => {
  const reservedOf = (t: Template, s: DriftwatchStack, fn: { node: { defaultChild?: unknown } }) =>
    t.toJSON().Resources[s.getLogicalId(fn.node.defaultChild as CfnFunction)].Properties.ReservedConcurrentExecutions;

  it('caps every worker\'s event source at its declared maximum concurrency (or the default)', () => {
    for (const def of QUEUES as readonly QueueDeclaration[]) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: logicalId(stack.queues.workers[def.name]!) },
        ScalingConfig: { MaximumConcurrency: def.maxConcurrency ?? DEFAULT_WORKER_CONCURRENCY },
      });
    }
    expect(scanIngestQueue.maxConcurrency).toBeGreaterThan(alertsQueue.maxConcurrency!);
  });

  it('reserves concurrency for scan-ingest (an API flood cannot starve it), caps the API, runs one tick at a time', () => {
    expect(reservedOf(template, stack, stack.queues.workers['scan-ingest']!)).toBe(scanIngestQueue.reservedConcurrency);
    expect(reservedOf(template, stack, stack.api.fn)).toBe(API_RESERVED_CONCURRENCY);
    expect(reservedOf(template, stack, stack.schedule.fn)).toBe(1);
    for (const name of ['scan-dispatch', 'alerts', 'label-cleanup']) expect(reservedOf(template, stack, stack.queues.workers[name]!), name).toBeUndefined();
    // An account with a small concurrency quota can turn reservations off; the event sources' caps stay.
    const { stack: s2, template: t } = synth({ reserveConcurrency: 'false' });
    for (const fn of [s2.api.fn, s2.schedule.fn, ...Object.values(s2.queues.workers)]) expect(reservedOf(t, s2, fn)).toBeUndefined();
    expect(resources(t, 'AWS::Lambda::EventSourceMapping').every(([, m]) => m.Properties.ScalingConfig.MaximumConcurrency >= 2)).toBe(true);
  });

  it('throttles each agent route on its own, inside the stage\'s limit', () => {
    const routes = resources(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    const [[, stage]] = resources(template, 'AWS::ApiGatewayV2::Stage');
    for (const r of AGENT_ROUTES) {
      const key = `${r.method} ${r.path}`;
      expect(routes).toContain(key);
      expect(stage.Properties.RouteSettings[key]).toEqual({ ThrottlingRateLimit: r.throttle.rateLimit, ThrottlingBurstLimit: r.throttle.burstLimit });
      expect(r.throttle.rateLimit).toBeLessThan(API_THROTTLE.rateLimit);
    }
    expect(routes).toContain('$default');
    expect(routes.map((k: string) => k.split(' ')[1] ?? k).filter((p: string) => p.startsWith('/v1/agent'))).toHaveLength(AGENT_ROUTES.length);
    // The stage is created after the routes its settings name.
    const routeIds = resources(template, 'AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.RouteKey !== '$default').map(([id]) => id);
    const [[, stageResource]] = Object.entries(template.findResources('AWS::ApiGatewayV2::Stage'));
    expect(stageResource.DependsOn).toEqual(expect.arrayContaining(routeIds));
  });

  it('writes a JSON access log line per request: request id, route, status, latency', () => {
    const [[, stage]] = resources(template, 'AWS::ApiGatewayV2::Stage');
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status', responseLatency: '$context.responseLatency' });
    expect(stage.Properties.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(stack.api.accessLogs.node.defaultChild as any), 'Arn'] });
  });

  it('traces every function with X-Ray', () => {
    for (const [, fn] of resources(template, 'AWS::Lambda::Function')) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('retries a failed tick within two minutes, then sends it to the schedule DLQ (undelivered, or failed in the function)', () => {
    const [[, rule]] = resources(template, 'AWS::Events::Rule');
    const dlqArn = { 'Fn::GetAtt': [queueId(stack.schedule.deadLetterQueue), 'Arn'] };
    expect(rule.Properties.Targets[0]).toMatchObject({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 }, DeadLetterConfig: { Arn: dlqArn } });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack.schedule.fn) },
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 120,
      DestinationConfig: { OnFailure: { Destination: dlqArn } },
    });
  });
});

describe('settings from context', () => {
  it('log retention applies to every log group, access logs included; a value CloudWatch refuses fails synth', () => {
    for (const [, group] of resources(template, 'AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(DEFAULT_LOG_RETENTION_DAYS);
    const { template: t } = synth({ logRetentionDays: '90' });
    const groups = resources(t, 'AWS::Logs::LogGroup');
    expect(groups).toHaveLength(2 + QUEUES.length + 1);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(90);
    expect(() => synth({ logRetentionDays: '31' })).toThrow(/logRetentionDays/);
  });

  it('CORS only for the origins given', () => {
    const [[, api]] = resources(template, 'AWS::ApiGatewayV2::Api');
    expect(api.Properties.CorsConfiguration).toBeUndefined();
    const { template: t } = synth({ corsOrigins: 'https://console.example.com,https://admin.example.com' });
    const [[, withCors]] = resources(t, 'AWS::ApiGatewayV2::Api');
    expect(withCors.Properties.CorsConfiguration.AllowOrigins).toEqual(['https://console.example.com', 'https://admin.example.com']);
    expect(withCors.Properties.CorsConfiguration.AllowHeaders).toContain('authorization');
    expect(() => synth({ corsOrigins: '*' })).toThrow(/corsOrigins/);
  });

  it('a stage is a name that fits stack and queue names; flags are true or false', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], stage: 'staging' } });
    expect(stageOf(app)).toBe('staging');
    expect(() => stageOf(new App({ context: { stage: 'Prod!' } }))).toThrow(/stage/);
    expect(() => synth({ kms: 'yes' })).toThrow(/kms/);
  });
});

describe('encryption', () => {
  it('is free by default: no customer-managed key, SQS-managed SSE, DynamoDB\'s own key', () => {
    template.resourceCountIs('AWS::KMS::Key', 0);
    for (const [, q] of resources(template, 'AWS::SQS::Queue')) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
  });

  it('with -c kms=true, one retained rotating key encrypts the table, queues, topic, logs and function environments', () => {
    const { stack: s2, template: t } = synth({ kms: 'true' });
    const keys = resources(t, 'AWS::KMS::Key');
    expect(keys).toHaveLength(1);
    const [keyId, key] = keys[0];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(t.toJSON().Resources[keyId].DeletionPolicy).toBe('Retain');
    const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
    const [[, table]] = resources(t, 'AWS::DynamoDB::Table');
    expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn });
    for (const [, q] of resources(t, 'AWS::SQS::Queue')) expect(q.Properties.KmsMasterKeyId).toEqual(keyArn);
    const [[, topic]] = resources(t, 'AWS::SNS::Topic');
    expect(topic.Properties.KmsMasterKeyId).toEqual(keyArn);
    for (const [, group] of resources(t, 'AWS::Logs::LogGroup')) expect(group.Properties.KmsKeyId).toEqual(keyArn);
    for (const [, fn] of resources(t, 'AWS::Lambda::Function')) expect(fn.Properties.KmsKeyArn).toEqual(keyArn);
    // Services that write to encrypted resources on the stack's behalf may use the key.
    const services = JSON.stringify(key.Properties.KeyPolicy);
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com', 'logs.']) expect(services).toContain(service);
    // A reader of the table (every function) may decrypt with the key; only writers may encrypt.
    const policies = resources(t, 'AWS::IAM::Policy');
    const roleOf = (fn: { role?: { node: { defaultChild?: unknown } } }) => s2.getLogicalId(fn.role!.node.defaultChild as any);
    const kmsActionsOf = (fn: Parameters<typeof roleOf>[0]) =>
      policies
        .filter(([, p]) => p.Properties.Roles.some((r: Json) => r.Ref === roleOf(fn)))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
        .filter((st) => JSON.stringify(st.Resource) === JSON.stringify(keyArn))
        .flatMap((st) => [st.Action].flat());
    for (const fn of [s2.api.fn, s2.schedule.fn, ...Object.values(s2.queues.workers)]) expect(kmsActionsOf(fn)).toContain('kms:Decrypt');
  });
});
