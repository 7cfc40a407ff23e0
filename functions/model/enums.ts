import { z } from '@hono/zod-openapi';

/**
 * Every enumeration of the stored and served shapes, declared once. Those the agent shares live in
 * functions/contract/enums.ts and are re-exported here, so server code imports enums from one place.
 */
export {
  CpuUsageSchema,
  EntryAttributeSchema,
  EntryTypeSchema,
  HashAlgorithmSchema,
  PlatformSchema,
  PolicyStateSchema,
  ScanKindSchema,
  ScanStatusSchema,
  TimestampSchema,
  WatchingSchema,
  type Platform,
  type ScanKind,
  type ScanStatus,
} from '../contract/enums.ts';

export const ChangeTypeSchema = z.enum(['added', 'removed', 'modified', 'renamed']).openapi('ChangeType');
export type ChangeType = z.infer<typeof ChangeTypeSchema>;

export const SeveritySchema = z.enum(['critical', 'normal']).openapi('Severity');
export type Severity = z.infer<typeof SeveritySchema>;

export const EventSourceSchema = z.enum(['scan', 'real-time']).openapi('EventSource');

export const DAYS_OF_WEEK = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export const DayOfWeekSchema = z.enum(DAYS_OF_WEEK).openapi('DayOfWeek');
export type DayOfWeek = z.infer<typeof DayOfWeekSchema>;

export const ScheduleFrequencySchema = z.enum(['off', 'hourly', 'daily', 'weekly']).openapi('ScheduleFrequency');

export const FimStateSchema = z.enum(['inherit', 'off', 'on', 'real-time']).openapi('FimState');
export type FimState = z.infer<typeof FimStateSchema>;

/** A server's status as served: `offline` is derived from lastSeenAt when read. */
export const ServerStatusSchema = z.enum(['active', 'offline', 'deactivated']).openapi('ServerStatus');

export const ROLES = ['read-only', 'user', 'author', 'admin'] as const;
export const RoleSchema = z.enum(ROLES).openapi('Role');
export type Role = z.infer<typeof RoleSchema>;

/** Who applied a label: a user's API key or a rule. */
export const AppliedByTypeSchema = z.enum(['user', 'rule']).openapi('AppliedByType');

/** `HH:MM` in UTC. */
export const HhMmSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (UTC)');

/** What a label history record says happened. */
export const LabelActionSchema = z.enum(['applied', 'removed', 'note-changed']).openapi('LabelAction');
export type LabelAction = z.infer<typeof LabelActionSchema>;

/** Event fields a rule criterion can test (CONTRACT "Rule"). */
export const RuleFieldSchema = z.enum(['path', 'changeType', 'hostname', 'severity', 'user', 'process', 'detectedAt']).openapi('RuleField');
export type RuleField = z.infer<typeof RuleFieldSchema>;

/** How a rule criterion compares; `gt`/`lt` apply to `detectedAt` only. */
export const RuleOperatorSchema = z.enum(['eq', 'neq', 'contains', 'startsWith', 'endsWith', 'glob', 'gt', 'lt']).openapi('RuleOperator');
export type RuleOperator = z.infer<typeof RuleOperatorSchema>;

/**
 * What an audit entry records (functions/model/audit.ts). Append new actions at the end; each names
 * what happened, not who did it (that is the entry's actor).
 */
export const AUDIT_ACTIONS = [
  'server.enrolled',
  'enrollment.rate-limited',
  'enrollment-key.rotated',
  'api-key.created',
  'api-key.revoked',
  'admin-key.issued',
  'sync-destination.created',
  'sync-destination.updated',
  'sync-destination.deleted',
] as const;
export const AuditActionSchema = z.enum(AUDIT_ACTIONS).openapi('AuditAction');
export type AuditAction = z.infer<typeof AuditActionSchema>;

/** Who did what an audit entry records: a tenant API key, the operator, the enrollment key, an agent. */
export const AuditActorTypeSchema = z.enum(['api-key', 'operator', 'enrollment-key', 'agent']).openapi('AuditActorType');
export type AuditActorType = z.infer<typeof AuditActorTypeSchema>;

/** What a sync destination receives: the contract's events (`driftwatch`) or OCSF File System Activity records. */
export const SyncFormatSchema = z.enum(['driftwatch', 'ocsf']).openapi('SyncFormat');
export type SyncFormat = z.infer<typeof SyncFormatSchema>;

/** How a sync destination is reached; webhooks are the only kind so far. */
export const SyncDestinationTypeSchema = z.enum(['webhook']).openapi('SyncDestinationType');
