import { z } from '@hono/zod-openapi';
import { OPTIONAL_ATTRIBUTES } from '../contract/entry.ts';
import { ScanKindSchema, ScanStatusSchema, TimestampSchema } from './enums.ts';

export const ScanStatsSchema = z
  .object({
    filesScanned: z.number().int(),
    added: z.number().int(),
    modified: z.number().int(),
    removed: z.number().int(),
    renamed: z.number().int(),
    /** Entries the agent listed but could not record (their metadata could not be read). */
    skipped: z.number().int().optional(),
    /** Entries recorded with `unreadable` (metadata known, content or listing not). */
    unreadable: z.number().int().optional(),
  })
  .openapi('ScanStats');

/** One scan of one server (CONTRACT "Scan"). */
export const ScanSchema = z
  .object({
    id: z.string(),
    serverId: z.string(),
    kind: ScanKindSchema,
    status: ScanStatusSchema,
    requestedAt: TimestampSchema,
    startedAt: TimestampSchema.optional(),
    completedAt: TimestampSchema.optional(),
    stats: ScanStatsSchema.optional(),
    /** Attributes the agent could not record on this host (no getfattr): not compared in this scan. */
    unsupportedAttributes: z.array(z.enum(OPTIONAL_ATTRIBUTES)).optional(),
    error: z.string().optional(),
    /** When the agent's upload was recorded (`complete`); from then on the backend owes the events. */
    uploadedAt: TimestampSchema.optional(),
    /** Of a running scan: seconds since it started, when it was served. */
    runningSeconds: z.number().int().nonnegative().optional(),
  })
  .openapi('Scan');
export type Scan = z.infer<typeof ScanSchema>;
export type ScanStats = z.infer<typeof ScanStatsSchema>;
