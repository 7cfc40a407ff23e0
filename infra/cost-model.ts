/**
 * What Driftwatch costs on AWS, from measured usage: `npm run bench -- --only server-month` measures one
 * server's day on the local stack (bench/benchmarks/80-server-month.ts) and prices it here; README "Cost per
 * server" shows the arithmetic. Plain data and arithmetic: no CDK, no SDK.
 */

/**
 * Public on-demand list prices, US East (N. Virginia), us-east-1, in USD, as AWS's pricing pages gave them in
 * 2025 (DynamoDB on-demand after its November 2024 reduction). Not re-read live on the day of the run: this
 * machine reaches no AWS page. Free tiers are left out (a production account outgrows them).
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: '2025 list prices (DynamoDB after the 2024-11-01 reduction)',
  /** HTTP API, first 300 million requests a month; a request is metered per 512 KB. */
  httpApiPerMillion: 1.0,
  /** Lambda on arm64 (Graviton), first 7.5 billion GB-seconds a month. */
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand: a write request unit is 1 KB written (each GSI write too), a read request unit 4 KB read (eventually consistent: half). */
  dynamoPerMillionWru: 0.625,
  dynamoPerMillionRru: 0.125,
  dynamoStoragePerGbMonth: 0.25,
  /** Continuous backups (point-in-time recovery), per GB of table. */
  dynamoPitrPerGbMonth: 0.2,
  /** SQS standard queue, per request (every 64 KB of payload is one). */
  sqsPerMillion: 0.4,
  /** SES outbound mail. */
  sesPerThousandMails: 0.1,
  /** CloudWatch Logs standard ingestion (storage, $0.03 per GB-month compressed, is negligible here). */
  logsPerGbIngested: 0.5,
  /** X-Ray traces recorded. */
  xrayPerMillionTraces: 5.0,
  /** Data transfer out to the internet (responses), first 10 TB tier. */
  transferOutPerGb: 0.09,
  cloudwatchAlarmPerMonth: 0.1,
  /** A dashboard beyond an account's first three. */
  dashboardPerMonth: 3.0,
  secretPerMonth: 0.4,
} as const;

const GB = 1024 ** 3;
const MILLION = 1e6;

/** A Lambda function's invocations of one kind, with their measured mean duration and the function's memory. */
export interface LambdaUse {
  invocations: number;
  meanMs: number;
  memoryMb: number;
}

/** What one server causes in a day, as measured (bench/benchmarks/80-server-month.ts). */
export interface ServerDay {
  /** HTTP API requests (check-ins, scan uploads, status polls). */
  apiRequests: number;
  lambda: Record<string, LambdaUse>;
  /** DynamoDB write and read request units (GSI writes included). */
  wru: number;
  rru: number;
  sqsRequests: number;
  mails: number;
  /** Bytes written to CloudWatch Logs (access log, function log lines, Lambda's START/END/REPORT). */
  logBytes: number;
  /** Response bytes sent to agents. */
  responseBytes: number;
}

/** One line of the bill, per server-month. */
export interface CostLine {
  item: string;
  usd: number;
  arithmetic: string;
}

/** Days in the billing month of these figures (AWS bills by calendar month; 30 keeps the arithmetic readable). */
export const DAYS_PER_MONTH = 30;

const money = (usd: number) => `$${usd.toFixed(usd < 0.001 ? 6 : 4)}`;
const count = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n < 1 ? n.toPrecision(2) : n.toLocaleString('en-US', { maximumFractionDigits: 1 }));

/** The variable cost of one server for a month, line by line, from one measured day. */
export function serverMonth(day: ServerDay, storedBytes: number): CostLine[] {
  const m = DAYS_PER_MONTH;
  const lines: CostLine[] = [];
  const api = day.apiRequests * m;
  lines.push({ item: 'API Gateway HTTP API requests', usd: (api / MILLION) * PRICES.httpApiPerMillion, arithmetic: `${count(day.apiRequests)}/day x ${m} = ${count(api)} x $${PRICES.httpApiPerMillion}/M` });
  const invocations = Object.values(day.lambda).reduce((n, l) => n + l.invocations, 0) * m;
  lines.push({ item: 'Lambda requests', usd: (invocations / MILLION) * PRICES.lambdaPerMillionRequests, arithmetic: `${count(invocations / m)}/day x ${m} = ${count(invocations)} x $${PRICES.lambdaPerMillionRequests}/M` });
  const gbSeconds = Object.values(day.lambda).reduce((s, l) => s + (l.invocations * l.meanMs * l.memoryMb) / 1024 / 1000, 0) * m;
  const parts = Object.entries(day.lambda)
    .filter(([, l]) => l.invocations > 0)
    .map(([name, l]) => `${name} ${count(l.invocations)} x ${l.meanMs.toFixed(0)} ms x ${l.memoryMb / 1024} GB`)
    .join(' + ');
  lines.push({ item: 'Lambda duration (arm64)', usd: gbSeconds * PRICES.lambdaArmPerGbSecond, arithmetic: `(${parts}) x ${m} = ${gbSeconds.toFixed(1)} GB-s x $${PRICES.lambdaArmPerGbSecond}` });
  lines.push({ item: 'DynamoDB writes', usd: ((day.wru * m) / MILLION) * PRICES.dynamoPerMillionWru, arithmetic: `${count(day.wru)} WRU/day x ${m} x $${PRICES.dynamoPerMillionWru}/M` });
  lines.push({ item: 'DynamoDB reads', usd: ((day.rru * m) / MILLION) * PRICES.dynamoPerMillionRru, arithmetic: `${count(day.rru)} RRU/day x ${m} x $${PRICES.dynamoPerMillionRru}/M` });
  const storagePrice = PRICES.dynamoStoragePerGbMonth + PRICES.dynamoPitrPerGbMonth;
  lines.push({ item: 'DynamoDB storage + PITR', usd: (storedBytes / GB) * storagePrice, arithmetic: `${(storedBytes / 1024 / 1024).toFixed(2)} MB x $${storagePrice}/GB-month` });
  lines.push({ item: 'SQS requests', usd: ((day.sqsRequests * m) / MILLION) * PRICES.sqsPerMillion, arithmetic: `${count(day.sqsRequests)}/day x ${m} x $${PRICES.sqsPerMillion}/M` });
  lines.push({ item: 'SES mail', usd: ((day.mails * m) / 1000) * PRICES.sesPerThousandMails, arithmetic: `${count(day.mails)}/day x ${m} x $${PRICES.sesPerThousandMails}/1,000` });
  lines.push({ item: 'CloudWatch Logs ingestion', usd: ((day.logBytes * m) / GB) * PRICES.logsPerGbIngested, arithmetic: `${count(day.logBytes)} B/day x ${m} x $${PRICES.logsPerGbIngested}/GB` });
  lines.push({ item: 'Data transfer out', usd: ((day.responseBytes * m) / GB) * PRICES.transferOutPerGb, arithmetic: `${count(day.responseBytes)} B/day x ${m} x $${PRICES.transferOutPerGb}/GB` });
  return lines;
}

/** What the deployment costs a month whatever its size: the minute tick, idle queue polling, alarms, secrets. */
export function fixedMonth(opts: { tick: LambdaUse & { rru: number; wru: number }; queues: number; alarmMetrics: number; secrets: number }): CostLine[] {
  const minutes = DAYS_PER_MONTH * 24 * 60;
  const tickGbS = (minutes * opts.tick.meanMs * opts.tick.memoryMb) / 1024 / 1000;
  // Lambda polls each queue with 5 long polls (20 s) while it is idle: 15 ReceiveMessage a minute per queue.
  const polls = opts.queues * 15 * minutes;
  return [
    {
      item: 'schedule tick (Lambda + DynamoDB)',
      usd: (minutes / MILLION) * PRICES.lambdaPerMillionRequests + tickGbS * PRICES.lambdaArmPerGbSecond + ((opts.tick.rru * minutes) / MILLION) * PRICES.dynamoPerMillionRru + ((opts.tick.wru * minutes) / MILLION) * PRICES.dynamoPerMillionWru,
      arithmetic: `${count(minutes)} ticks x ($${PRICES.lambdaPerMillionRequests}/M + ${opts.tick.meanMs.toFixed(0)} ms x ${opts.tick.memoryMb / 1024} GB + ${count(opts.tick.rru)} RRU + ${count(opts.tick.wru)} WRU)`,
    },
    { item: 'SQS idle polling by Lambda', usd: (polls / MILLION) * PRICES.sqsPerMillion, arithmetic: `${opts.queues} queues x 15/min x ${count(minutes)} min = ${count(polls)} x $${PRICES.sqsPerMillion}/M` },
    { item: 'CloudWatch alarms + dashboard', usd: opts.alarmMetrics * PRICES.cloudwatchAlarmPerMonth + PRICES.dashboardPerMonth, arithmetic: `${opts.alarmMetrics} alarm metrics x $${PRICES.cloudwatchAlarmPerMonth} + $${PRICES.dashboardPerMonth}` },
    { item: 'Secrets Manager', usd: opts.secrets * PRICES.secretPerMonth, arithmetic: `${opts.secrets} x $${PRICES.secretPerMonth}` },
  ];
}

/**
 * X-Ray for a month of `invocations` Lambda invocations (active tracing on every function): Lambda samples
 * with X-Ray's default rule, the first request each second (the reservoir, for the account) and 5% of the rest.
 */
export function xrayMonth(invocations: number): CostLine {
  const seconds = DAYS_PER_MONTH * 86_400;
  const reservoir = Math.min(seconds, invocations);
  const traces = reservoir + 0.05 * Math.max(0, invocations - reservoir);
  return {
    item: 'X-Ray traces',
    usd: (traces / MILLION) * PRICES.xrayPerMillionTraces,
    arithmetic: `${count(reservoir)} (1/s) + 5% x ${count(Math.max(0, invocations - reservoir))} = ${count(Math.round(traces))} traces x $${PRICES.xrayPerMillionTraces}/M`,
  };
}

/** Lambda invocations a server causes in a month. */
export const invocationsPerMonth = (day: ServerDay): number => Object.values(day.lambda).reduce((n, l) => n + l.invocations, 0) * DAYS_PER_MONTH;

/** A fleet of `servers` for a month: each server's lines times `servers`, the fixed lines, and X-Ray over all invocations. */
export function fleetMonth(day: ServerDay, storedBytes: number, servers: number, fixed: readonly CostLine[]): { lines: CostLine[]; usd: number; perServer: number } {
  const variable = serverMonth(day, storedBytes).map((l) => ({ ...l, usd: l.usd * servers, arithmetic: `${servers.toLocaleString('en-US')} x (${l.arithmetic})` }));
  const tickInvocations = DAYS_PER_MONTH * 24 * 60;
  const lines = [...variable, ...fixed, xrayMonth(servers * invocationsPerMonth(day) + tickInvocations)];
  const usd = total(lines);
  return { lines, usd, perServer: usd / servers };
}

/** The sum of some lines. */
export const total = (lines: readonly CostLine[]): number => lines.reduce((s, l) => s + l.usd, 0);

/** Formats a line's amount for tables. */
export const usd = money;
