import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import type { LocalStack } from '../../functions/local/stack.ts';
import { TABLE_INDEXES } from '../../functions/store/table.ts';
import { run, type RunResult } from './proc.ts';
import type { Proc } from './types.ts';

/**
 * The local stack inside the bench process, with a meter on the DynamoDB document client (requests
 * by command, consumed capacity via ReturnConsumedCapacity=TOTAL) that tells the API's calls from the
 * queue workers' (an AsyncLocalStorage set around each worker invocation), and agents driven as child
 * processes of the agent bundle.
 */

const source = new AsyncLocalStorage<string>();

/** Runs `work` with its DynamoDB and SQS requests counted under `name` (e.g. "schedule" for a tick run in the bench process). */
export const asSource = <T>(name: string, work: () => Promise<T>): Promise<T> => source.run(name, work);

/** SQS requests by command, per source (senders only: the local pollers have their own client). */
export class SqsMeter {
  readonly bySource = new Map<string, Record<string, number>>();

  record(src: string, command: string): void {
    const t = this.bySource.get(src) ?? {};
    t[command] = (t[command] ?? 0) + 1;
    this.bySource.set(src, t);
  }

  snapshot(): Map<string, Record<string, number>> {
    return new Map([...this.bySource].map(([k, v]) => [k, { ...v }]));
  }

  since(before: Map<string, Record<string, number>>): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [src, now] of this.bySource) {
      const d: Record<string, number> = {};
      for (const [cmd, n] of Object.entries(now)) if (n - (before.get(src)?.[cmd] ?? 0) > 0) d[cmd] = n - (before.get(src)?.[cmd] ?? 0);
      if (Object.keys(d).length) out[src] = d;
    }
    return out;
  }
}

export interface Tally {
  requests: number;
  byCommand: Record<string, number>;
  rcu: number;
  wcu: number;
  /** Requests whose answer carried no ConsumedCapacity (dynalite leaves some out). */
  noCapacity: number;
  /**
   * dynalite's ConsumedCapacity covers the table only; real DynamoDB also charges each GSI write. This
   * estimates that share for puts of items carrying GSI keys (ceil(item size / 1 KB) each, projection ALL);
   * updates that move GSI keys are not included.
   */
  gsiWcuEstimate: number;
}

const emptyTally = (): Tally => ({ requests: 0, byCommand: {}, rcu: 0, wcu: 0, noCapacity: 0, gsiWcuEstimate: 0 });

const utf8 = (s: string) => Buffer.byteLength(s);

/** DynamoDB's item size rules, approximately, for a plain (unmarshalled) value. */
function valueSize(v: unknown): number {
  if (v === null || v === undefined || typeof v === 'boolean') return 1;
  if (typeof v === 'string') return utf8(v);
  if (typeof v === 'number' || typeof v === 'bigint') return Math.ceil(String(v).replace(/[-.e+]/g, '').length / 2) + 1;
  if (v instanceof Uint8Array) return v.length;
  if (v instanceof Set) return [...v].reduce((n: number, x) => n + valueSize(x), 0);
  if (Array.isArray(v)) return 3 + v.reduce((n: number, x) => n + 1 + valueSize(x), 0);
  if (typeof v === 'object') return 3 + Object.entries(v as Record<string, unknown>).reduce((n, [k, x]) => n + 1 + utf8(k) + valueSize(x), 0);
  return 1;
}

/** An item's size as DynamoDB counts it (attribute names and values), approximately. */
export const itemSize = (item: Record<string, unknown>) => Object.entries(item).reduce((n, [k, x]) => n + utf8(k) + valueSize(x), 0);

/** GSI write units a put of these items costs on DynamoDB (one GSI, projection ALL). */
function gsiUnits(command: string, input: any): number {
  const items: Record<string, unknown>[] = [];
  if (command === 'PutItemCommand' && input?.Item) items.push(input.Item);
  if (command === 'BatchWriteItemCommand') {
    for (const requests of Object.values((input?.RequestItems ?? {}) as Record<string, any[]>)) {
      for (const r of requests) if (r?.PutRequest?.Item) items.push(r.PutRequest.Item);
    }
  }
  // One index write per index the item is in (every index projects ALL attributes).
  return items.reduce((n, i) => n + TABLE_INDEXES.filter((index) => i[index.partitionKey] !== undefined).length * Math.ceil(itemSize(i) / 1024), 0);
}

/** Commands that can answer ConsumedCapacity (the document client's context names the low-level command). */
const CAPACITY_COMMANDS = new Set(
  ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'TransactGetItems', 'TransactWriteItems', 'Get', 'Put', 'Update', 'Delete', 'BatchGet', 'BatchWrite', 'TransactGet', 'TransactWrite'].map(
    (c) => `${c}Command`,
  ),
);
const WRITES = /Put|Update|Delete|BatchWrite|TransactWrite/;

export class DdbMeter {
  readonly bySource = new Map<string, Tally>();

  record(src: string, command: string, capacity: unknown, failed: boolean, gsiWcu = 0): void {
    let t = this.bySource.get(src);
    if (!t) this.bySource.set(src, (t = emptyTally()));
    t.requests += 1;
    t.gsiWcuEstimate += gsiWcu;
    t.byCommand[command] = (t.byCommand[command] ?? 0) + 1;
    if (failed) return;
    const list = Array.isArray(capacity) ? capacity : capacity ? [capacity] : [];
    if (list.length === 0 && CAPACITY_COMMANDS.has(command)) t.noCapacity += 1;
    for (const c of list as Array<{ CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number }>) {
      if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
        t.rcu += c.ReadCapacityUnits ?? 0;
        t.wcu += c.WriteCapacityUnits ?? 0;
      } else if (WRITES.test(command)) t.wcu += c.CapacityUnits ?? 0;
      else t.rcu += c.CapacityUnits ?? 0;
    }
  }

  snapshot(): Map<string, Tally> {
    return new Map([...this.bySource].map(([k, v]) => [k, { ...v, byCommand: { ...v.byCommand } }]));
  }

  /** What happened since `before`, per source ("api", "worker:scan-ingest", ...). */
  since(before: Map<string, Tally>): Record<string, Tally> {
    const out: Record<string, Tally> = {};
    for (const [src, now] of this.bySource) {
      const b = before.get(src) ?? emptyTally();
      const d: Tally = {
        requests: now.requests - b.requests,
        byCommand: {},
        rcu: now.rcu - b.rcu,
        wcu: now.wcu - b.wcu,
        noCapacity: now.noCapacity - b.noCapacity,
        gsiWcuEstimate: now.gsiWcuEstimate - b.gsiWcuEstimate,
      };
      for (const [cmd, n] of Object.entries(now.byCommand)) if (n - (b.byCommand[cmd] ?? 0) > 0) d.byCommand[cmd] = n - (b.byCommand[cmd] ?? 0);
      if (d.requests > 0) out[src] = { ...d, rcu: round1(d.rcu), wcu: round1(d.wcu) };
    }
    return out;
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export interface WorkerRun {
  queue: string;
  records: number;
  startMs: number;
  endMs: number;
  bodies: unknown[];
}

/** Time spent inside the API's fetch handler (the Lambda's work, dynalite included), per request. */
export interface HandlerClock {
  ms: number;
  requests: number;
}

export interface BenchStack {
  stack: LocalStack;
  meter: DdbMeter;
  sqsMeter: SqsMeter;
  /** Summed over requests to /v1/agent/*: what an agent waits for besides the network. */
  agentApiClock: HandlerClock;
  /** performance.now() when the API answered 200 to a scan's `complete` (the upload was accepted), by scan id. */
  completedAt: Map<string, number>;
  workerRuns: WorkerRun[];
  /** Resolves when a worker run of `queue` whose message body satisfies `match` ends. */
  waitForWorker(queue: string, match: (body: any) => boolean, timeoutMs?: number): Promise<WorkerRun>;
  api<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: T }>;
}

export async function startBenchStack(dataDir: string): Promise<BenchStack> {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const workerRuns: WorkerRun[] = [];
  const waiters: Array<{ queue: string; match: (b: any) => boolean; resolve: (r: WorkerRun) => void }> = [];

  // Wrap every worker as the stack's pollers load it: tag their DynamoDB calls and time them.
  const wrapWorker = (queue: string, handler: (event: SQSEvent) => Promise<unknown>) =>
    (event: SQSEvent) =>
      source.run(`worker:${queue}`, async () => {
        const bodies = event.Records.map((r) => {
          try {
            return JSON.parse(r.body);
          } catch {
            return r.body;
          }
        });
        const startMs = performance.now();
        try {
          return await handler(event);
        } finally {
          const runInfo: WorkerRun = { queue, records: event.Records.length, startMs, endMs: performance.now(), bodies };
          workerRuns.push(runInfo);
          for (const w of [...waiters]) {
            if (w.queue === queue && bodies.some(w.match)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(runInfo);
            }
          }
        }
      });

  const { startStack } = await import('../../functions/local/stack.ts');
  const stack = await startStack({ port: 0, dataDir, scheduleTimer: false, wrapWorker: wrapWorker as never });

  const { getDb, getSqs } = await import('../../functions/shared/clients.ts');
  const meter = new DdbMeter();
  const sqsMeter = new SqsMeter();
  getSqs().middlewareStack.add(
    (next, context) => async (args) => {
      sqsMeter.record(source.getStore() ?? 'api', String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'benchSqsMeter' },
  );
  getDb().doc.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName);
      const input = args.input as { ReturnConsumedCapacity?: string };
      if (CAPACITY_COMMANDS.has(command) && input.ReturnConsumedCapacity === undefined) input.ReturnConsumedCapacity = 'TOTAL';
      const src = source.getStore() ?? 'api';
      const gsi = gsiUnits(command, args.input);
      try {
        const out = await next(args);
        meter.record(src, command, (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity, false, gsi);
        return out;
      } catch (error) {
        meter.record(src, command, undefined, true);
        throw error;
      }
    },
    { step: 'initialize', name: 'benchMeter' },
  );

  // Time the API handler itself: the stack looks up app.fetch on every request, so wrapping it here works.
  const agentApiClock: HandlerClock = { ms: 0, requests: 0 };
  const completedAt = new Map<string, number>();
  const COMPLETE = /^\/v1\/agent\/scans\/([^/]+)\/complete$/;
  const { app } = (await import('../../functions/api/app.ts')) as unknown as { app: { fetch: (req: Request, ...rest: unknown[]) => Response | Promise<Response> } };
  const appFetch = app.fetch;
  app.fetch = async (req: Request, ...rest: unknown[]) => {
    const t0 = performance.now();
    let status = 0;
    try {
      const res = await appFetch(req, ...rest);
      status = res.status;
      return res;
    } finally {
      const path = new URL(req.url).pathname;
      const complete = COMPLETE.exec(path);
      if (complete && status === 200) completedAt.set(decodeURIComponent(complete[1]!), performance.now());
      if (path.startsWith('/v1/agent/')) {
        agentApiClock.ms += performance.now() - t0;
        agentApiClock.requests += 1;
      }
    }
  };

  const api = async <T>(method: string, path: string, body?: unknown, token = stack.credentials.adminKey) => {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any = text;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, json: json as T };
  };

  const waitForWorker = (queue: string, match: (body: any) => boolean, timeoutMs = 120_000): Promise<WorkerRun> => {
    const done = workerRuns.find((r) => r.queue === queue && r.bodies.some(match));
    if (done) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${queue} worker run matched within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ queue, match, resolve: (r) => (clearTimeout(timer), resolve(r)) });
    });
  };

  return { stack, meter, sqsMeter, agentApiClock, completedAt, workerRuns, waitForWorker, api };
}

/** One enrolled agent (its own state dir) with one policy over one directory. */
export interface AgentHandle {
  name: string;
  stateDir: string;
  serverId: string;
  policyId: string;
  dir: string;
}

export interface RequestLog {
  count: number;
  /** Request body bytes as sent (after gzip), all requests of the process. */
  bodyBytes: number;
  byRoute: Record<string, { count: number; bytes: number }>;
}

export interface ScanRun {
  json: any;
  run: RunResult;
  proc: Proc;
  /** Seconds from spawn until the agent logged "delivered" (its upload accepted). */
  deliveredS: number | null;
  /** Seconds the API handlers spent on this agent's requests until "delivered" (server work it waited for). */
  apiUntilDeliveredS: number | null;
  /** The same over the whole process (status polls included). */
  apiS: number;
  scanId: string | null;
  requests: RequestLog;
  ddb: Record<string, Tally>;
  /** The scan-ingest worker run of this scan, when there was one. */
  ingest?: { startS: number; endS: number; durationS: number };
}

const REQUEST_LINE = /debug: (GET|POST|PUT|PATCH|DELETE) (\S+) \((\d+) bytes( gzip)?\)/;
const DELIVERED_LINE = /info: scan (\S+) \(.*\) delivered:/;

function routeOf(path: string): string {
  return path.replace(/\/scn_[^/]+|\/[0-9A-Za-z_-]{20,}/g, '/{id}');
}

/** A tenant's keys: the stack's default tenant, or a fresh one (its own node store: a real first upload). */
export interface TenantKeys {
  tenantId: string;
  adminKey: string;
  enrollmentKey: string;
}

export async function newTenant(bs: BenchStack, name: string): Promise<TenantKeys> {
  const r = await bs.api('POST', '/v1/tenants', { name }, bs.stack.credentials.operatorKey);
  if (r.status !== 201) throw new Error(`POST /v1/tenants: ${r.status} ${JSON.stringify(r.json)}`);
  return { tenantId: r.json.tenant.id, adminKey: r.json.adminKey, enrollmentKey: r.json.enrollmentKey };
}

export async function enrollAgent(
  bs: BenchStack,
  opts: { name: string; dir: string; agentBin: string; workDir: string; fullRehashEvery?: number; tenant?: TenantKeys },
): Promise<AgentHandle> {
  const adminKey = opts.tenant?.adminKey ?? bs.stack.credentials.adminKey;
  const enrollmentKey = opts.tenant?.enrollmentKey ?? bs.stack.credentials.enrollmentKey;
  const policy = await bs.api('POST', '/v1/policies', {
    name: `bench-${opts.name}`,
    platform: 'linux',
    state: 'on',
    ...(opts.fullRehashEvery ? { fullRehashEvery: opts.fullRehashEvery } : {}),
    targets: [{ path: opts.dir }],
  }, adminKey);
  if (policy.status !== 201 && policy.status !== 200) throw new Error(`POST /v1/policies: ${policy.status} ${JSON.stringify(policy.json)}`);
  const tag = `bench-${opts.name}`;
  const group = await bs.api('POST', '/v1/server-groups', { name: `bench ${opts.name}`, tag, policyIds: [policy.json.id] }, adminKey);
  if (group.status !== 201 && group.status !== 200) throw new Error(`POST /v1/server-groups: ${group.status} ${JSON.stringify(group.json)}`);
  const stateDir = join(opts.workDir, 'agents', opts.name);
  rmSync(stateDir, { recursive: true, force: true });
  const enrolled = await run(
    process.execPath,
    [opts.agentBin, 'enroll', '--api', bs.stack.apiUrl, '--key', enrollmentKey, '--tag', tag, '--hostname', `bench-${opts.name}`, '--state-dir', stateDir],
  );
  const serverId = JSON.parse(enrolled.stdout.trim().split('\n').pop()!).serverId as string;
  return { name: opts.name, stateDir, serverId, policyId: policy.json.id, dir: opts.dir };
}

/** Runs `agent scan [--full]` as a child process and collects what it cost. */
export async function agentScan(
  bs: BenchStack,
  agent: AgentHandle,
  opts: { agentBin: string; full?: boolean; nodeArgs?: string[]; onDelivered?: (scanId: string) => void },
): Promise<ScanRun> {
  const before = bs.meter.snapshot();
  const clock0 = bs.agentApiClock.ms;
  let apiUntilDeliveredS: number | null = null;
  const requests: RequestLog = { count: 0, bodyBytes: 0, byRoute: {} };
  let deliveredS: number | null = null;
  let scanId: string | null = null;
  const spawnedAt = performance.now();
  const result = await run(process.execPath, [...(opts.nodeArgs ?? []), opts.agentBin, 'scan', ...(opts.full ? ['--full'] : []), '--state-dir', agent.stateDir], {
    env: { ...process.env, DRIFTWATCH_LOG: 'debug' },
    check: false,
    onStderrLine: (line, atMs) => {
      const req = REQUEST_LINE.exec(line);
      if (req) {
        const route = `${req[1]} ${routeOf(req[2]!)}`;
        const bytes = Number(req[3]);
        requests.count += 1;
        requests.bodyBytes += bytes;
        const r = (requests.byRoute[route] ??= { count: 0, bytes: 0 });
        r.count += 1;
        r.bytes += bytes;
      }
      const delivered = DELIVERED_LINE.exec(line);
      if (delivered) {
        deliveredS = atMs / 1000;
        apiUntilDeliveredS = (bs.agentApiClock.ms - clock0) / 1000;
        scanId = delivered[1]!;
        opts.onDelivered?.(scanId);
      }
    },
  });
  if (result.code !== 0) throw new Error(`agent scan exited with ${result.code}: ${result.stderr.slice(-3000)}`);
  const json = JSON.parse(result.stdout.trim().split('\n').pop()!);
  scanId ??= json.scanId ?? null;
  const out: ScanRun = {
    json,
    run: result,
    proc: result.proc,
    deliveredS,
    apiUntilDeliveredS,
    apiS: (bs.agentApiClock.ms - clock0) / 1000,
    scanId,
    requests,
    ddb: {},
  };
  if (scanId) {
    const ingest = bs.workerRuns.find((r) => r.queue === 'scan-ingest' && r.bodies.some((b: any) => b?.scanId === scanId));
    if (ingest) {
      out.ingest = {
        startS: (ingest.startMs - spawnedAt) / 1000,
        endS: (ingest.endMs - spawnedAt) / 1000,
        durationS: (ingest.endMs - ingest.startMs) / 1000,
      };
    }
  }
  out.ddb = bs.meter.since(before);
  return out;
}

/** Every event of `scanId` on `serverId`, via GET /v1/events (newest first, 500 a page). */
export async function eventsOfScan(bs: BenchStack, serverId: string, scanId: string): Promise<any[]> {
  const found: any[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const q: URLSearchParams = new URLSearchParams({ serverId, limit: '500', ...(cursor ? { cursor } : {}) });
    const res: { status: number; json: any } = await bs.api('GET', `/v1/events?${q}`);
    if (res.status !== 200) throw new Error(`GET /v1/events: ${res.status} ${JSON.stringify(res.json)}`);
    for (const e of res.json.items) if (e.scanId === scanId) found.push(e);
    cursor = res.json.nextCursor;
    if (!cursor) break;
  }
  return found;
}

export function readCredentialToken(stateDir: string): string {
  return JSON.parse(readFileSync(join(stateDir, 'credential.json'), 'utf8')).credential;
}
