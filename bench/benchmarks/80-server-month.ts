import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertsQueue, QUEUES, scanIngestQueue } from '../../functions/queues/queues.ts';
import { TABLE_INDEXES, TABLE_KEY } from '../../functions/store/table.ts';
import { ACCESS_LOG_FORMAT } from '../../infra/constructs/api.ts';
import { DAYS_PER_MONTH, fixedMonth, fleetMonth, PRICES, serverMonth, total, usd, xrayMonth, type CostLine, type ServerDay } from '../../infra/cost-model.ts';
import { asSource, enrollAgent, itemSize, newTenant, readCredentialToken, type Tally } from '../lib/stack.ts';
import type { Benchmark, Row } from '../lib/types.ts';

/**
 * What one server costs on AWS a month (issue 17), from what it makes the backend do in a day, measured on the
 * local stack: 288 check-ins (every 5 minutes), one scan of the 20,000-file tree with 10 changed files, the
 * ingest of its events and the alert mail they cause; plus the minute tick. Request counts, DynamoDB capacity
 * (the meter's ReturnConsumedCapacity figures, GSI writes estimated), SQS requests, mails, handler time and
 * the bytes the tenant's items take; priced by infra/cost-model.ts (README "Cost per server").
 */

const CHECK_INS_PER_DAY = 24 * 12;
const MEASURED_CHECK_INS = 40;
/** Memory of each function (infra/constructs: the API and the schedule 1024 MB, workers 512 MB). */
const MEMORY_MB = { api: 1024, schedule: 1024, worker: 512 } as const;
/**
 * Lambda's own lines per invocation (START, END, REPORT; ~380 bytes) and the function's `request` log line
 * (~350 bytes): estimates of what CloudWatch Logs ingests, not measured here (the local stack logs elsewhere).
 */
const PLATFORM_LOG_BYTES = 380;
const FUNCTION_LOG_LINE_BYTES = 350;
/** Response headers API Gateway sends with each answer (date, content-type, length, request id, apigw id). */
const RESPONSE_HEADER_BYTES = 250;
/**
 * A scheduled scan's share of the dispatch worker at fleet scale, from README "Performance" (dispatch-10k:
 * one group of 10,000 servers, 941 DynamoDB requests, ~30,000 WCU, 27.7 s of worker time): per server.
 */
const DISPATCH_SHARE = { wru: 3, rru: 0.1, invocations: 0.01, workerMs: 2.8 };

const wruOf = (t: Tally | undefined) => (t ? t.wcu + t.gsiWcuEstimate : 0);
const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand']);
/** Read units: dynalite leaves the capacity out of some answers (an empty Query); DynamoDB bills at least 0.5 RRU for every read. */
const rruOf = (t: Tally | undefined) => (t ? Math.max(t.rcu, 0.5 * Object.entries(t.byCommand).reduce((n, [c, k]) => n + (READS.has(c) ? k : 0), 0)) : 0);
const sum = (tallies: Record<string, Tally>, pick: (t: Tally) => number) => Object.values(tallies).reduce((n, t) => n + pick(t), 0);

/** One access log line as API Gateway writes it (the stack's format with a check-in's values). */
function accessLogLineBytes(): number {
  const sample: Record<keyof typeof ACCESS_LOG_FORMAT, string> = {
    requestId: 'ab1CdEfGhIjKlMnO=',
    routeKey: 'POST /v1/agent/check-in',
    method: 'POST',
    path: '/v1/agent/check-in',
    status: '200',
    responseLatency: '24',
    integrationLatency: '22',
    responseLength: '212',
    ip: '203.0.113.17',
    userAgent: 'driftwatch-agent/1.0.0 node/22.11.0 linux',
    requestTime: '01/Dec/2026:12:00:00 +0000',
    error: '-',
    integrationError: '-',
  };
  return Buffer.byteLength(JSON.stringify(sample)) + 1;
}

export const benchmark: Benchmark = {
  name: 'server-month',
  description: 'AWS cost per server-month: a day of check-ins, a 20k-file scan with 10 changes, ingest, mail, the tick; priced',
  async run(ctx) {
    const bs = await ctx.stack();
    // A tenant of its own: its items are this one server's, and its first scan a real first upload.
    const tenant = await newTenant(bs, 'bench server-month');
    const tenantId = tenant.tenantId;
    const keyOf = tenant.adminKey;
    const handle = await enrollAgent(bs, { name: 'server-month', dir: ctx.tree('small').dir, agentBin: (await ctx.agentBin()).path, workDir: ctx.workDir, tenant });
    const agent = { ...handle, tree: ctx.tree('small') };
    const token = readCredentialToken(agent.stateDir);
    ctx.log('server-month: baseline of the small tree for a tenant of its own');
    await ctx.scanWith(agent);

    // An alert profile on the agent's group: its changes are mailed, as a watched production server's are.
    const profile = await bs.api<{ id: string }>('POST', '/v1/alert-profiles', { name: 'ops', recipients: ['ops@example.com'], severities: ['critical', 'normal'] }, keyOf);
    const groups = await bs.api<{ items: Array<{ id: string; tag: string }> }>('GET', '/v1/server-groups?limit=100', undefined, keyOf);
    const group = groups.json.items.find((g) => g.tag === `bench-${agent.name}`);
    if (profile.status !== 201 || !group) throw new Error(`alert profile ${profile.status} / group ${group ? 'found' : 'missing'}`);
    const patched = await bs.api('PATCH', `/v1/server-groups/${group.id}`, { alertProfileIds: [profile.json.id] }, keyOf);
    if (patched.status !== 200) throw new Error(`PATCH group: ${patched.status} ${JSON.stringify(patched.json)}`);

    // Check-ins: the steady state (the agent's config version already known).
    let configVersion: string | undefined;
    const checkIn = async () => {
      const res = await fetch(`${bs.stack.apiUrl}/v1/agent/check-in`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ agentVersion: '1', ...(configVersion ? { configVersion } : {}) }),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`check-in: ${res.status} ${text}`);
      configVersion = (JSON.parse(text) as { configVersion?: string }).configVersion ?? configVersion;
      return Buffer.byteLength(text);
    };
    await checkIn();
    await checkIn();
    const ddb0 = bs.meter.snapshot();
    const clock0 = { ...bs.agentApiClock };
    let checkInBytes = 0;
    for (let i = 0; i < MEASURED_CHECK_INS; i++) checkInBytes += await checkIn();
    const checkInDdb = bs.meter.since(ddb0).api;
    const checkInMs = (bs.agentApiClock.ms - clock0.ms) / MEASURED_CHECK_INS;
    const perCheckIn = { rru: rruOf(checkInDdb) / MEASURED_CHECK_INS, wru: wruOf(checkInDdb) / MEASURED_CHECK_INS, requests: (checkInDdb?.requests ?? 0) / MEASURED_CHECK_INS, bytes: checkInBytes / MEASURED_CHECK_INS };

    // The day's scan: 10 files changed, scanned, uploaded, ingested, alerted, mailed.
    const mailFile = join(ctx.workDir, 'stack', 'mail.jsonl');
    const mails = () => (existsSync(mailFile) ? readFileSync(mailFile, 'utf8').split('\n').filter(Boolean).length : 0);
    const mails0 = mails();
    const sqs0 = bs.sqsMeter.snapshot();
    const scanDdb0 = bs.meter.snapshot();
    const runs0 = bs.workerRuns.length;
    ctx.mutate('small', { modify: 10, add: 0, remove: 0 }, 80);
    const scan = await ctx.scanWith(agent);
    if (!scan.scanId) throw new Error('the agent reported no scan id');
    await bs.waitForWorker(alertsQueue.name, (b) => b?.tenantId === tenantId, 60_000).catch(() => undefined);
    await bs.stack.drain();
    const scanDdb = bs.meter.since(scanDdb0);
    const sqs = bs.sqsMeter.since(sqs0);
    const mailed = mails() - mails0;
    const workerRuns = bs.workerRuns.slice(runs0);
    const workerMs = (queue: string) => workerRuns.filter((r) => r.queue === queue).reduce((n, r) => n + (r.endMs - r.startMs), 0);
    const workerInvocations = (queue: string) => workerRuns.filter((r) => r.queue === queue).length;
    const scanApiRequests = scan.requests.count;
    const sends = sum(Object.fromEntries(Object.entries(sqs).map(([k, v]) => [k, { requests: Object.values(v).reduce((a, b) => a + b, 0) } as Tally])), (t) => t.requests);
    // Each message a worker receives also costs its DeleteMessageBatch (the receive replaces an idle poll).
    const workerBatches = workerInvocations(scanIngestQueue.name) + workerInvocations(alertsQueue.name);

    // The minute tick, as the schedule function runs it (DynamoDB counted under "schedule").
    const { scheduleTick } = await import('../../functions/use-cases/schedule-tick.ts');
    const tickDdb0 = bs.meter.snapshot();
    const t0 = performance.now();
    await asSource('schedule', () => scheduleTick(new Date()));
    const tickMs = performance.now() - t0;
    const tickDdb = bs.meter.since(tickDdb0).schedule;
    await bs.stack.drain();

    // The tenant's items (one server: its tree nodes, scans, events...), with their GSI copies and DynamoDB's 100 bytes of overhead per item.
    const storedBytes = await tenantBytes(tenantId);

    const day: ServerDay = {
      apiRequests: CHECK_INS_PER_DAY + scanApiRequests,
      lambda: {
        api: { invocations: CHECK_INS_PER_DAY + scanApiRequests, meanMs: (CHECK_INS_PER_DAY * checkInMs + scan.apiS * 1000) / (CHECK_INS_PER_DAY + scanApiRequests), memoryMb: MEMORY_MB.api },
        'scan-ingest': { invocations: workerInvocations(scanIngestQueue.name), meanMs: workerMs(scanIngestQueue.name) / Math.max(1, workerInvocations(scanIngestQueue.name)), memoryMb: MEMORY_MB.worker },
        alerts: { invocations: workerInvocations(alertsQueue.name), meanMs: workerMs(alertsQueue.name) / Math.max(1, workerInvocations(alertsQueue.name)), memoryMb: MEMORY_MB.worker },
        'scan-dispatch (share)': { invocations: DISPATCH_SHARE.invocations, meanMs: DISPATCH_SHARE.workerMs / DISPATCH_SHARE.invocations, memoryMb: MEMORY_MB.worker },
      },
      wru: CHECK_INS_PER_DAY * perCheckIn.wru + sum(scanDdb, wruOf) + DISPATCH_SHARE.wru,
      rru: CHECK_INS_PER_DAY * perCheckIn.rru + sum(scanDdb, rruOf) + DISPATCH_SHARE.rru,
      sqsRequests: sends + workerBatches,
      mails: mailed,
      logBytes: (CHECK_INS_PER_DAY + scanApiRequests) * (accessLogLineBytes() + FUNCTION_LOG_LINE_BYTES + PLATFORM_LOG_BYTES) + workerBatches * (PLATFORM_LOG_BYTES + FUNCTION_LOG_LINE_BYTES),
      responseBytes: CHECK_INS_PER_DAY * (perCheckIn.bytes + RESPONSE_HEADER_BYTES) + scanApiRequests * (RESPONSE_HEADER_BYTES + 200),
    };
    const alarmMetrics = QUEUES.length + 1 + 2 * (QUEUES.length + 2) + 2 + 2 * (1 + TABLE_INDEXES.length) + QUEUES.filter((q) => q.maxMessageAgeSeconds).length;
    const fixed = fixedMonth({ tick: { invocations: 1, meanMs: tickMs, memoryMb: MEMORY_MB.schedule, rru: rruOf(tickDdb), wru: wruOf(tickDdb) }, queues: QUEUES.length, alarmMetrics, secrets: 2 });
    const perServer = serverMonth(day, storedBytes);
    const marginal = total(perServer) + xrayMonth(0).usd + (0.05 * day.lambda.api!.invocations * DAYS_PER_MONTH * PRICES.xrayPerMillionTraces) / 1e6;
    const fleets = [1, 100, 1_000, 10_000].map((n) => ({ n, ...fleetMonth(day, storedBytes, n, fixed) }));
    const biggest = [...perServer].sort((a, b) => b.usd - a.usd);
    const at1000 = fleets.find((f) => f.n === 1_000)!;
    const lineText = (l: CostLine) => `${l.item} ${usd(l.usd)} (${l.arithmetic})`;

    const rows: Row[] = [
      {
        id: 'cost.server-day.requests',
        label: 'one server-day: API requests / DynamoDB WRU / RRU / SQS requests / mails',
        value: day.apiRequests,
        unit: 'count',
        notes:
          `${CHECK_INS_PER_DAY} check-ins (${perCheckIn.requests.toFixed(2)} DynamoDB requests, ${perCheckIn.rru.toFixed(2)} RRU, ${perCheckIn.wru.toFixed(2)} WRU, ${checkInMs.toFixed(1)} ms handler, ${perCheckIn.bytes.toFixed(0)} B answer each) + ` +
          `${scanApiRequests} scan requests (${Object.entries(scan.requests.byRoute).map(([r, v]) => `${r} x${v.count}`).join(', ')}); ` +
          `${day.wru.toFixed(1)} WRU, ${day.rru.toFixed(1)} RRU, ${day.sqsRequests} SQS requests, ${day.mails} mail(s); scan DynamoDB by source: ${Object.entries(scanDdb).map(([s, t]) => `${s} ${t.requests} req ${wruOf(t).toFixed(0)} WRU ${rruOf(t).toFixed(1)} RRU`).join('; ')}`,
        data: { day, perCheckIn, checkInMs, scanDdb, sqs, mailed, workerRuns: workerRuns.length, storedBytes },
      },
      {
        id: 'cost.tick',
        label: 'one schedule tick (fixed per deployment)',
        value: tickDdb?.requests ?? 0,
        unit: 'count',
        notes: `${tickMs.toFixed(0)} ms, ${rruOf(tickDdb)} RRU, ${wruOf(tickDdb)} WRU: ${Object.entries(tickDdb?.byCommand ?? {}).map(([c, n]) => `${c.replace(/Command$/, '')} ${n}`).join(', ')}`,
        data: { tickDdb, tickMs },
      },
      {
        id: 'cost.stored-bytes',
        label: 'bytes stored per server (20k-file baseline + one day, GSI copies and item overhead included)',
        value: storedBytes,
        unit: 'B',
      },
      {
        id: 'cost.server-month.marginal',
        label: `AWS cost per server-month, marginal (${PRICES.region}, ${PRICES.asOf})`,
        value: marginal,
        unit: 'USD',
        target: { text: '<= $0.02 per server-month (issue 17)', met: marginal <= 0.02 },
        notes: `largest: ${biggest.slice(0, 3).map(lineText).join('; ')}`,
        data: { lines: perServer },
      },
      ...fleets.map(
        (f): Row => ({
          id: `cost.fleet.${f.n}`,
          label: `AWS cost per month, ${f.n.toLocaleString('en-US')} server(s) (fixed costs and X-Ray shared)`,
          value: f.usd,
          unit: 'USD',
          notes: `${usd(f.perServer)} per server-month`,
          ...(f.n === 1_000 ? { target: { text: '<= $0.02 per server-month at 1,000 servers', met: f.perServer <= 0.02 } } : {}),
          data: { lines: f.lines },
        }),
      ),
    ];
    ctx.log(`server-month: ${usd(marginal)} marginal, ${usd(at1000.perServer)} per server at 1,000 servers; fixed: ${fixed.map(lineText).join('; ')}`);
    return rows;
  },
};

/** Bytes the tenant's items take in DynamoDB: each item, again in each index it is in (projection ALL), plus 100 bytes each. */
async function tenantBytes(tenantId: string): Promise<number> {
  const [{ getDb }, { ScanCommand }] = await Promise.all([import('../../functions/shared/clients.ts'), import('@aws-sdk/lib-dynamodb')]);
  const { doc } = getDb();
  const { config } = await import('../../functions/shared/config.ts');
  let bytes = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({ TableName: config().TABLE_NAME, FilterExpression: 'begins_with(#pk, :t)', ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey }, ExpressionAttributeValues: { ':t': `T#${tenantId}` }, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      const copies = 1 + TABLE_INDEXES.filter((index) => item[index.partitionKey] !== undefined).length;
      bytes += copies * (itemSize(item) + 100);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return bytes;
}
