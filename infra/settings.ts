import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export const DEFAULT_MAIL_FROM = 'alerts@example.com';
export const DEFAULT_LOG_RETENTION_DAYS = 30;

/**
 * Everything a deployment chooses, from CDK context (`-c key=value` or cdk.json `context`). Each value is
 * checked at synth time, so a typo fails `cdk synth` rather than the deployed functions. README "Deploy"
 * and docs/operations.md list them.
 */
export interface Settings {
  /** Names a second deployment in the same account (`Driftwatch-<stage>`); none for the main one. */
  stage: string | undefined;
  /** SES identity (address; its domain identity is allowed too) that mail is sent from. */
  mailFrom: string;
  /** Subscribed to the alarm topic. */
  alarmEmail: string | undefined;
  /** Base URL that alert mail links to; default the HTTP API's URL. */
  consoleUrl: string | undefined;
  /** sha256 hex of the operator key; otherwise read from the secret. */
  operatorKeyHash: string | undefined;
  /** Pins the secret version the functions resolve. */
  secretVersionId: string | undefined;
  /** Browser origins allowed by CORS (comma-separated in context); none: no CORS (agents and scripts need none). */
  corsOrigins: string[];
  /** Retention of every log group (functions and API access logs). */
  logRetention: RetentionDays;
  /** A customer-managed KMS key for the table, queues, alarm topic, logs and function environments. */
  kms: boolean;
  /** Reserved concurrency for the API (a cap), scan-ingest (a guarantee) and the schedule (one tick at a time). */
  reserveConcurrency: boolean;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const RETENTIONS = new Set<number>(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0));

/** Reads and checks every context value of the stack. */
export function readSettings(scope: Construct): Settings {
  const retention = optional(scope, 'logRetentionDays', /^\d+$/, 'a number of days CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 180, 365, ...)');
  if (retention !== undefined && !RETENTIONS.has(Number(retention))) {
    throw new Error(`CDK context "logRetentionDays" must be one of ${[...RETENTIONS].sort((a, b) => a - b).join(', ')}; got ${retention}`);
  }
  const origins = optional(scope, 'corsOrigins', /^https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*$/, 'comma-separated http(s) origins, e.g. https://console.example.com');
  return {
    stage: stageOf(scope),
    mailFrom: optional(scope, 'mailFrom', EMAIL, 'an email address') ?? DEFAULT_MAIL_FROM,
    alarmEmail: optional(scope, 'alarmEmail', EMAIL, 'an email address'),
    consoleUrl: optional(scope, 'consoleUrl', /^https?:\/\/\S+$/, 'an http(s) URL'),
    operatorKeyHash: optional(scope, 'operatorKeyHash', /^[0-9a-f]{64}$/, 'the sha256 hex (64 lowercase hex characters) of the operator key'),
    secretVersionId: optional(scope, 'secretVersionId', /^[\w-]{32,64}$/, 'a Secrets Manager version id'),
    corsOrigins: origins ? origins.split(',').map((o) => o.replace(/\/$/, '')) : [],
    logRetention: (retention === undefined ? DEFAULT_LOG_RETENTION_DAYS : Number(retention)) as RetentionDays,
    kms: flag(scope, 'kms', false),
    reserveConcurrency: flag(scope, 'reserveConcurrency', true),
  };
}

/** The `stage` context value: lowercase letters, digits and dashes, so it fits stack and queue names. */
export function stageOf(scope: Construct): string | undefined {
  return optional(scope, 'stage', /^[a-z][a-z0-9-]{0,19}$/, 'lowercase letters, digits and dashes (at most 20), starting with a letter');
}

function optional(scope: Construct, key: string, pattern: RegExp, what: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !pattern.test(text)) throw new Error(`CDK context "${key}" must be ${what}; got ${JSON.stringify(value)}`);
  return text;
}

/** A boolean context value: true/false (strings from `-c`, booleans from cdk.json). */
function flag(scope: Construct, key: string, fallback: boolean): boolean {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`CDK context "${key}" must be true or false; got ${JSON.stringify(value)}`);
}
