import { z } from '@hono/zod-openapi';
import { ENTRY_ATTRIBUTES } from './entry.ts';

/**
 * The enumerations the agent shares with the server, declared once. The agent imports their types only
 * (`import type`), so its bundle carries no zod; functions/model/enums.ts adds the server-only ones.
 */
export const PlatformSchema = z.enum(['linux', 'windows']).openapi('Platform');
export type Platform = z.infer<typeof PlatformSchema>;

export const ScanKindSchema = z.enum(['baseline', 'scheduled', 'on-demand', 'agent-start', 'real-time']).openapi('ScanKind');
export type ScanKind = z.infer<typeof ScanKindSchema>;

export const ScanStatusSchema = z.enum(['pending', 'running', 'completed', 'failed']).openapi('ScanStatus');
export type ScanStatus = z.infer<typeof ScanStatusSchema>;

export const PolicyStateSchema = z.enum(['off', 'on', 'real-time']).openapi('PolicyState');
export const HashAlgorithmSchema = z.enum(['sha256', 'sha512', 'sha1', 'md5']).openapi('HashAlgorithm');
export const CpuUsageSchema = z.enum(['high', 'medium', 'low']).openapi('CpuUsage');

/** What a target compares (CONTRACT "Target" attributes); the list itself is plain TS in entry.ts for the agent. */
export const EntryAttributeSchema = z.enum(ENTRY_ATTRIBUTES).openapi('EntryAttribute');

export const EntryTypeSchema = z.enum(['file', 'directory', 'symlink', 'other']).openapi('EntryType');

/** An ISO-8601 timestamp in UTC, as served (`format: date-time` in the reference). */
export const TimestampSchema = z.string().openapi({ format: 'date-time', example: '2026-12-01T12:00:00.000Z' });

/** Whether real-time watching works on a host (reported by its agent). */
export const WatchingSchema = z.enum(['active', 'unavailable', 'off']).openapi('Watching');
