import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QUEUES } from '../../functions/queues/queues.ts';
import { visibilityTimeoutSeconds, defineQueue, dlqName, queueUrlEnv, queueVisibilityEnv, type QueueDeclaration } from '../../functions/queues/define-queue.ts';
import * as zm from 'zod/mini';
import { GSI1, TABLE_KEY, TTL_ATTRIBUTE } from '../../functions/store/table.ts';
import { API_THROTTLE } from '../../infra/constructs/api.ts';
import { OPERATOR_KEY_HASH_PLACEHOLDER } from '../../infra/constructs/data.ts';
import { DEFAULT_MAIL_FROM, DriftwatchStack, ENTRIES } from '../../infra/driftwatch-stack.ts';

type Json = Record<string, any>;

/** A queue declared only in this test: adding a queue must be one declaration. */
/** A queue that does not exist (yet): the example of adding one. */
const EXAMPLE_QUEUE = defineQueue({
  name: 'example-digest' as never,
  message: zm.object({ tenantId: zm.string() }),
  worker: 'functions/workers/example-digest.worker.ts',
  senders: ['schedule'],
  maxReceiveCount: 5,
  workerTimeoutSeconds: 60,
  batchSize: 10,
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

function resources(t: Template, type: string): [string, Json][] {
  return Object.entries(t.findResources(type));
}

describe('data', () => {
  it('creates the table from functions/store/table.ts, on demand, with PITR, TTL and retained', () => {
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
          { AttributeName: GSI1.partitionKey, AttributeType: 'S' },
          { AttributeName: GSI1.sortKey, AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: [
          {
            IndexName: GSI1.indexName,
            KeySchema: [
              { AttributeName: GSI1.partitionKey, KeyType: 'HASH' },
              { AttributeName: GSI1.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
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
});

describe('queues', () => {
  const queues = resources(template, 'AWS::SQS::Queue');

  it('has a queue and a DLQ for each entry of QUEUES, and nothing else', () => {
    expect(queues).toHaveLength(2 * QUEUES.length);
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
    const { stack: withExample, template: t } = synth({}, [...QUEUES, EXAMPLE_QUEUE]);
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', QUEUES.length + 1);
    const scheduleEnv = t.toJSON().Resources[withExample.getLogicalId(withExample.schedule.fn.node.defaultChild as any)].Properties.Environment.Variables;
    expect(scheduleEnv[queueUrlEnv('example-digest' as never)]).toEqual({ Ref: withExample.getLogicalId((withExample.queues.queues as Record<string, any>)['example-digest']!.node.defaultChild as any) });
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
      expect(JSON.stringify(env.DRIFTWATCH_MASTER_SECRET)).toMatch(/\{\{resolve:secretsmanager:.*:SecretString:masterSecret::\}\}/);
      // The webhook signing secrets' key: only the functions that seal (API) or open (label-sync) them.
      if (name === 'api' || name === 'label-sync') expect(JSON.stringify(env.WEBHOOK_SECRET_KEY), name).toMatch(/\{\{resolve:secretsmanager:.*:SecretString:::\}\}/);
      else expect(env.WEBHOOK_SECRET_KEY, name).toBeUndefined();
      expect(JSON.stringify(env.OPERATOR_KEY_HASH)).toMatch(/\{\{resolve:secretsmanager:.*:SecretString:operatorKeyHash::\}\}/);
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
    const { template: t } = synth({ operatorKeyHash: hash, mailFrom: 'fim@corp.example', secretVersionId: versionId });
    for (const [, fn] of resources(t, 'AWS::Lambda::Function')) {
      const env = fn.Properties.Environment.Variables;
      expect(env.OPERATOR_KEY_HASH).toBe(hash);
      expect(env.MAIL_FROM).toBe('fim@corp.example');
      expect(JSON.stringify(env.DRIFTWATCH_MASTER_SECRET)).toContain(`:SecretString:masterSecret::${versionId}}}`);
    }
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
  const allFunctions = () => [stack.api.fn, stack.schedule.fn, ...Object.values(stack.queues.workers)];
  const sendsTo = (fn: Parameters<typeof statementsOf>[0]) =>
    QUEUES.filter((def) =>
      statementsOf(fn).some(
        (s) =>
          [s.Action].flat().includes('sqs:SendMessage') &&
          JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [queueId(stack.queues.queues[def.name]!), 'Arn'] }),
      ),
    ).map((def) => def.name);

  it('give every function read/write on the table, never on Resource "*"', () => {
    const tableId = stack.getLogicalId(stack.data.table.node.defaultChild as any);
    for (const fn of allFunctions()) {
      const dynamo = statementsOf(fn!).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
      expect(dynamo.length).toBeGreaterThan(0);
      expect(JSON.stringify(dynamo)).toContain(tableId);
      expect(dynamo.flatMap((s) => [s.Resource].flat())).not.toContain('*');
    }
    const anyDynamoOnStar = policies.some(([, p]) =>
      p.Properties.PolicyDocument.Statement.some(
        (s: Json) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')) && [s.Resource].flat().includes('*'),
      ),
    );
    expect(anyDynamoOnStar).toBe(false);
  });

  it('let each function send only to the queues that declare it a sender', () => {
    const declared = (name: string) => QUEUES.filter((q) => q.senders.includes(name as never)).map((q) => q.name);
    expect(new Set(sendsTo(stack.api.fn))).toEqual(new Set(['scan-ingest', 'scan-dispatch', 'label-cleanup', 'alerts', 'label-sync']));
    expect(new Set(sendsTo(stack.api.fn))).toEqual(new Set(declared('api')));
    expect(new Set(sendsTo(stack.schedule.fn))).toEqual(new Set(declared('schedule')));
    for (const [name, worker] of Object.entries(stack.queues.workers)) {
      expect(new Set(sendsTo(worker!)), name).toEqual(new Set(declared(name)));
    }
  });

  it('do not let the functions read the secret at runtime (CloudFormation resolves it)', () => {
    const all = allFunctions().flatMap((fn) => statementsOf(fn!));
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

  it('fire on one message in each DLQ', () => {
    const dlqAlarms = alarms.filter(([, a]) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(dlqAlarms).toHaveLength(QUEUES.length);
    const watched = dlqAlarms.map(([, a]) => a.Properties.Dimensions[0].Value['Fn::GetAtt'][0]);
    const dlqIds = QUEUES.map((q) => queueId(stack.queues.deadLetterQueues[q.name]!));
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

  it('fire on each function\'s Errors and on API 5xx', () => {
    const errorAlarms = alarms.filter(([, a]) => a.Properties.MetricName === 'Errors');
    const watched = errorAlarms.map(([, a]) => a.Properties.Dimensions[0].Value.Ref);
    const fnIds = resources(template, 'AWS::Lambda::Function').map(([id]) => id);
    expect(new Set(watched)).toEqual(new Set(fnIds));
    const api = alarms.filter(([, a]) => a.Properties.MetricName === '5xx');
    expect(api).toHaveLength(1);
    expect(api[0][1].Properties.Namespace).toBe('AWS/ApiGateway');
    for (const [, a] of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it('subscribe the alarm email from context, and no one by default', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const { template: t } = synth({ alarmEmail: 'oncall@corp.example' });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@corp.example' });
  });
});
