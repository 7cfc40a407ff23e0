import { App } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { APIGatewayProxyStructuredResultV2, SQSBatchResponse } from 'aws-lambda';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFunction } from '../../functions/api/api.function.ts';
import { QUEUES } from '../../functions/queues/queues.ts';
import { scheduleFunction } from '../../functions/schedule/schedule.function.ts';
import type { FunctionAccess } from '../../functions/shared/function-access.ts';
import { hashSecret } from '../../functions/shared/secrets.ts';
import { bundleLambda } from '../../infra/bundling.ts';
import { AGENT_ROUTES } from '../../infra/constructs/api.ts';
import { DriftwatchStack, REPO_ROOT } from '../../infra/driftwatch-stack.ts';
import { httpApiEvent, scheduledEvent, sqsEvent } from '../helpers/events.ts';
import { apiClient, startTestStack, type Api, type ApiResponse, type TestStack } from '../helpers/stack.ts';
import { completeOverWire, enrollOverWire, uploadOverWire, wireTree } from '../helpers/wire-scan.ts';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { startLambdaProcess, type LambdaProcess } from './lambda-runtime.ts';

/**
 * Every Lambda handler as it is deployed: bundled by the stack's own esbuild settings (infra/bundling.ts),
 * each bundle run in a process of its own with exactly the environment the synthesized template gives that
 * function (so a secret or a queue URL it was not given is missing, as in the cloud), and invoked with the
 * events AWS sends: API Gateway v2 HTTP events for the API, SQSEvents from the local stack's real queues for
 * every worker, an EventBridge scheduled event for the schedule. The bundles talk to the local stack's
 * DynamoDB and SQS through recording proxies, so what each one sends is checked against its declaration.
 */
const FUNCTIONS: Array<{ name: string; entry: string; access: FunctionAccess }> = [
  { name: 'api', entry: apiFunction.entry, access: apiFunction },
  { name: 'schedule', entry: scheduleFunction.entry, access: scheduleFunction },
  ...QUEUES.map((q) => ({ name: q.name, entry: q.worker, access: q as FunctionAccess })),
];

type Json = Record<string, any>;

let workDir: string;
let stack: TestStack;
const fns: Record<string, LambdaProcess> = {};
const bundleBytes: Record<string, number> = {};
/** The API, as a client would call it through API Gateway: each request an HTTP API event to the API bundle. */
let api: Api;
let admin: string;
/** A SIEM's webhook endpoint on 127.0.0.1, for the label-sync bundle. */
let siem: WebhookReceiver;

/** The environment variables the stack gives each function, from the synthesized template. */
function templateEnvironments(): Record<string, Json> {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const cdk = new DriftwatchStack(app, 'Driftwatch');
  const resources = app.synth().getStackByName(cdk.stackName).template.Resources as Json;
  const envOf = (fn: { node: { defaultChild?: unknown } }) => resources[cdk.getLogicalId(fn.node.defaultChild as CfnFunction)].Properties.Environment.Variables as Json;
  const out: Record<string, Json> = { api: envOf(cdk.api.fn), schedule: envOf(cdk.schedule.fn) };
  for (const [name, worker] of Object.entries(cdk.queues.workers)) out[name] = envOf(worker);
  const refs: Record<string, string> = { [cdk.getLogicalId(cdk.data.table.node.defaultChild as never)]: 'table' };
  for (const [name, queue] of Object.entries(cdk.queues.queues)) refs[cdk.getLogicalId(queue.node.defaultChild as never)] = `queue:${name}`;
  return Object.fromEntries(Object.entries(out).map(([name, env]) => [name, { env, refs }]));
}

/** A template value as the local stack has it; anything the test cannot place fails, so new wiring is noticed. */
function localValue(fn: string, variable: string, value: unknown, refs: Record<string, string>): string {
  const text = JSON.stringify(value);
  const secrets = JSON.parse(readFileSync(join(stack.dataDir, 'secrets.json'), 'utf8')) as { masterSecret: string; operatorKey: string };
  if (text.includes(':SecretString:masterSecret:')) return secrets.masterSecret;
  if (text.includes(':SecretString:operatorKeyHash:')) return hashSecret(secrets.operatorKey);
  // The webhook key, a secret of its own (the whole SecretString); locally a key file beside secrets.json.
  if (text.includes(':SecretString:::')) return (JSON.parse(readFileSync(join(stack.dataDir, 'webhook-key.json'), 'utf8')) as { webhookSecretKey: string }).webhookSecretKey;
  // SES does not exist here: mail goes to the local stack's SMTP sink, the one deliberate difference.
  if (variable === 'MAIL_TRANSPORT') return stack.endpoints.smtp;
  if (variable === 'CONSOLE_URL') return stack.apiUrl;
  if (typeof value === 'string') return value;
  const ref = refs[(value as Json)?.Ref];
  if (ref === 'table') return 'driftwatch';
  if (ref?.startsWith('queue:')) return stack.queueUrls[ref.slice('queue:'.length)]!;
  throw new Error(`${fn}: no local value for ${variable} = ${text}`);
}

/** An `Api` whose every request is an API Gateway v2 event handed to the API bundle. */
function bundleApi(fn: LambdaProcess): Api {
  return async (method, path, request = {}) => {
    const headers: Record<string, string> = { ...request.headers };
    if (request.key !== undefined) headers.authorization = `Bearer ${request.key}`;
    let body: string | Uint8Array | undefined;
    if (request.raw !== undefined) body = typeof request.raw === 'string' ? request.raw : new Uint8Array(request.raw as ArrayBufferLike);
    else if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] ??= 'application/json';
    }
    const routeKey = AGENT_ROUTES.find((r) => (r.method === 'ANY' || r.method === method.toUpperCase()) && new RegExp(`^${r.path.replace('{proxy+}', '.+')}$`).test(path.split('?')[0]!));
    const out = await fn.invoke<APIGatewayProxyStructuredResultV2>(httpApiEvent(method, path, { headers, body, routeKey: routeKey ? `${routeKey.method} ${routeKey.path}` : '$default' }), 25);
    const bytes = Buffer.from(out.body ?? '', out.isBase64Encoded ? 'base64' : 'utf8');
    const text = bytes.toString('utf8');
    const responseHeaders = new Headers(out.headers as Record<string, string>);
    const json = /json/.test(responseHeaders.get('content-type') ?? '') && text ? JSON.parse(text) : undefined;
    return { status: out.statusCode ?? 200, json, text, bytes, headers: responseHeaders } as ApiResponse;
  };
}

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'driftwatch-bundles-'));
  // The bundles, each in the directory that would be zipped (with the files shipped beside it), built as the stack builds them.
  await Promise.all(
    FUNCTIONS.map(async (f) => {
      const { bundle } = await bundleLambda(REPO_ROOT, f.entry, join(workDir, f.name));
      bundleBytes[f.name] = statSync(bundle).size;
    }),
  );
  const environments = templateEnvironments();
  // The local stack, whose queue pollers hand each worker's SQSEvents to that worker's bundle.
  stack = await startTestStack({
    wrapWorker: (queue) => (event) => fns[queue]!.invoke<SQSBatchResponse>(event, QUEUES.find((q) => q.name === queue)!.workerTimeoutSeconds),
  });
  admin = stack.credentials.adminKey;
  for (const f of FUNCTIONS) {
    const { env, refs } = environments[f.name]!;
    const environment = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, localValue(f.name, k, v, refs)]));
    // The other deliberate difference: sync destinations on 127.0.0.1 (the test's receiver) are allowed here.
    if (environment.WEBHOOK_SECRET_KEY) environment.SYNC_ALLOW_LOOPBACK = 'true';
    fns[f.name] = await startLambdaProcess({ name: f.name, bundle: join(workDir, f.name, 'index.mjs'), environment, endpoints: stack.endpoints, workDir });
  }
  api = bundleApi(fns.api!);
}, 300_000);

afterAll(async () => {
  await siem?.close();
  for (const fn of Object.values(fns)) await fn.stop();
  await stack?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the deployed bundles, invoked with real events against the local stack', () => {
  let policyId: string;
  let groupId: string;
  let eventId: string;

  it('api: serves an API Gateway v2 event, and refuses a bad one with problem+json', async () => {
    const keys = await api('GET', '/v1/api-keys?limit=5', { key: admin });
    expect(keys.status).toBe(200);
    expect(Array.isArray(keys.json.items)).toBe(true);
    const bad = await api('POST', '/v1/policies', { key: admin, body: { name: 'x', platform: 'linux', targets: [], surprise: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const policy = await api('POST', '/v1/policies', { key: admin, body: { name: 'bundled', platform: 'linux', reports: true, targets: [{ path: '/etc' }] } });
    expect(policy.status).toBe(201);
    policyId = policy.json.id;
    const profile = await api('POST', '/v1/alert-profiles', { key: admin, body: { name: 'ops', recipients: ['ops@example.com'], severities: ['critical', 'normal'] } });
    expect(profile.status).toBe(201);
    const group = await api('POST', '/v1/server-groups', { key: admin, body: { name: 'bundled', tag: 'bundled', policyIds: [policyId], alertProfileIds: [profile.json.id] } });
    expect(group.status).toBe(201);
    groupId = group.json.id;
  });

  it('scan-ingest and alerts: an agent\'s scans, uploaded through the API bundle, become events and one alert mail', async () => {
    const agent = await enrollOverWire(api, stack.credentials.enrollmentKey, 'bundled-1', 'bundled');
    const baseline = await uploadOverWire(api, agent, policyId, wireTree('/etc', 40, () => 'v1'));
    expect((await completeOverWire(api, agent, policyId, baseline, 40)).status).toBe(200);
    await stack.drain();
    const changed = await uploadOverWire(api, agent, policyId, wireTree('/etc', 40, (i) => (i < 3 ? 'v2' : 'v1')));
    expect((await completeOverWire(api, agent, policyId, changed, 40)).status).toBe(200);
    await stack.drain();
    const events = await api('GET', `/v1/events?serverId=${agent.serverId}`, { key: admin });
    expect(events.json.items.map((e: Json) => e.changeType)).toEqual(['modified', 'modified', 'modified']);
    eventId = events.json.items[0].id;
    const mail = (await stack.mail()).filter((m) => m.to.includes('ops@example.com'));
    expect(mail).toHaveLength(1);
    expect(mail[0]!.text).toContain('/etc/f0000');
    expect(fns['scan-ingest']!.invocations).toBeGreaterThanOrEqual(2);
    expect(fns.alerts!.invocations).toBeGreaterThanOrEqual(1);
  });

  it('scan-dispatch: a group scan requested through the API bundle is dispatched by the dispatch bundle', async () => {
    const requested = await api('POST', `/v1/server-groups/${groupId}/scans`, { key: admin });
    expect(requested.status).toBe(202);
    const [promised] = requested.json.scans as Json[];
    await stack.drain();
    expect(fns['scan-dispatch']!.invocations).toBeGreaterThanOrEqual(1);
    // The API answered the ids the worker gives: the dispatched scan exists (read through the in-process API).
    const scan = await apiClient(stack.apiUrl)('GET', `/v1/scans/${promised!.id}`, { key: admin });
    expect(scan.status).toBe(200);
    expect(scan.json).toMatchObject({ id: promised!.id, kind: 'on-demand' });
  });

  it('label-cleanup: a deleted label is taken off its events by the cleanup bundle', async () => {
    const label = await api('POST', '/v1/labels', { key: admin, body: { name: 'bundled', color: '#336699', notify: false } });
    expect(label.status).toBe(201);
    expect((await api('POST', '/v1/events/labels', { key: admin, body: { eventIds: [eventId], labelId: label.json.id } })).status).toBe(200);
    expect((await api('DELETE', `/v1/labels/${label.json.id}`, { key: admin })).status).toBe(204);
    await stack.drain();
    const event = await api('GET', `/v1/events/${eventId}`, { key: admin });
    expect(JSON.stringify(event.json)).not.toContain(label.json.id);
    expect(fns['label-cleanup']!.invocations).toBeGreaterThanOrEqual(1);
  });

  it('label-sync: a notify label is delivered to a sync destination by the label-sync bundle, with the secret the API bundle sealed', async () => {
    siem = await startReceiver();
    const destination = await api('POST', '/v1/sync-destinations', { key: admin, body: { name: 'SIEM', type: 'webhook', url: siem.url, secret: 'bundled-secret-0123456789abcdef' } });
    expect(destination.status, destination.text).toBe(201);
    expect((await api('POST', '/v1/events/labels', { key: admin, body: { eventIds: [eventId], labelId: 'lbl_important' } })).status).toBe(200);
    expect((await api('POST', `/v1/sync-destinations/${destination.json.id}/send-now`, { key: admin })).status).toBe(202);
    await stack.drain();
    expect(siem.requests).toHaveLength(1);
    expect(siem.requests[0]!.headers['x-driftwatch-signature']).toMatch(/^sha256=[0-9a-f]{64}/);
    expect(siem.requests[0]!.json.events.map((e: Json) => e.id)).toEqual([eventId]);
    expect(fns['label-sync']!.invocations).toBeGreaterThanOrEqual(1);
  });

  it('reports: at the weekly report time the schedule bundle\'s tick has the reports bundle write the policy\'s report', async () => {
    // The default report time: Sunday 00:00 UTC; the next one after now.
    const sunday = new Date();
    sunday.setUTCHours(0, 0, 0, 0);
    do sunday.setUTCDate(sunday.getUTCDate() + 1);
    while (sunday.getUTCDay() !== 0);
    await expect(fns.schedule!.invoke(scheduledEvent(sunday), 55)).resolves.toBeNull();
    await stack.drain();
    const reports = await api('GET', `/v1/reports?policyId=${policyId}`, { key: admin });
    expect(reports.status, reports.text).toBe(200);
    expect(reports.json.items).toHaveLength(1);
    expect(reports.json.items[0]).toMatchObject({ policyId, to: sunday.toISOString() });
    expect(reports.json.items[0].rowCount).toBeGreaterThanOrEqual(1);
    expect(fns.reports!.invocations).toBeGreaterThanOrEqual(1);
  });

  it('schedule: an EventBridge scheduled event runs the tick (it reads the table, nothing fails)', async () => {
    const before = fns.schedule!.calls.length;
    await expect(fns.schedule!.invoke(scheduledEvent(new Date()), 55)).resolves.toBeNull();
    expect(fns.schedule!.calls.length).toBeGreaterThan(before);
    await stack.drain();
  });

  it('scan-ingest: a malformed record fails alone, reported in batchItemFailures; the stray one beside it is done', async () => {
    const event = sqsEvent('scan-ingest', ['not json', { tenantId: stack.credentials.tenantId, scanId: 'scn_never_uploaded' }]);
    const out = await fns['scan-ingest']!.invoke<SQSBatchResponse>(event);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
  });

  it.each(QUEUES.map((q) => [q.name] as const))('%s: a batch of malformed records fails the invocation (SQS delivers it again, then to the DLQ)', async (name) => {
    await expect(fns[name]!.invoke(sqsEvent(name, ['not json', '{"unknown":1}']))).rejects.toThrow(/All records failed processing/);
  });

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))('%s: was invoked, and sent only the DynamoDB actions and messages its declaration names', (name, f) => {
    const fn = fns[name]!;
    expect(fn.invocations).toBeGreaterThan(0);
    const dynamo = new Set(fn.calls.filter((c) => c.service === 'dynamodb').map((c) => c.operation));
    expect(dynamo.size).toBeGreaterThan(0);
    for (const operation of dynamo) expect(f.access.tableAccess, `${name} sent ${operation}`).toContain(operation);
    const mayReach = new Set(QUEUES.filter((q) => (q.senders as readonly string[]).includes(name)).map((q) => stack.queueUrls[q.name]!));
    for (const call of fn.calls.filter((c) => c.service === 'sqs')) {
      expect(['SendMessage', 'SendMessageBatch']).toContain(call.operation);
      expect(mayReach.has(call.queueUrl ?? ''), `${name} sent to ${call.queueUrl}`).toBe(true);
    }
  });

  it('workers carry no hono (DESIGN.md: worker bundles are smaller than the API\'s)', () => {
    for (const q of QUEUES) expect(bundleBytes[q.name]!, q.name).toBeLessThan(bundleBytes.api!);
  });
});
