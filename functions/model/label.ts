import { z } from '@hono/zod-openapi';
import { AppliedByTypeSchema, ChangeTypeSchema, LabelActionSchema, TimestampSchema } from './enums.ts';

/** A label users and rules put on events (CONTRACT "POST/GET /v1/labels"). */
export const LabelSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    color: z.string().openapi({ example: '#d93f0b' }),
    description: z.string().optional(),
    /** Events with this label go to the tenant's sync destinations. */
    notify: z.boolean(),
    /** Set for a label that belongs to one policy; absent for a tenant-wide label. */
    policyId: z.string().optional(),
    /** One of the five labels every tenant starts with. */
    builtIn: z.boolean(),
    createdAt: TimestampSchema.optional(),
    updatedAt: TimestampSchema.optional(),
  })
  .openapi('Label');
export type Label = z.infer<typeof LabelSchema>;

/** The five labels every tenant has (Tanium's defaults): fixed ids, so every tenant, new or old, has them. */
export const DEFAULT_LABELS: readonly Label[] = [
  { id: 'lbl_important', name: 'Important', color: '#d93f0b', description: 'Needs attention.', notify: true, builtIn: true },
  { id: 'lbl_suspicious', name: 'Suspicious', color: '#b60205', description: 'May be malicious: investigate.', notify: true, builtIn: true },
  { id: 'lbl_expected', name: 'Expected', color: '#0e8a16', description: 'A known, wanted change.', notify: false, builtIn: true },
  { id: 'lbl_ignored', name: 'Ignored', color: '#8b949e', description: 'Noise: no action needed.', notify: false, builtIn: true },
  { id: 'lbl_planned', name: 'Planned', color: '#1d76db', description: 'Part of a planned change window.', notify: false, builtIn: true },
];

/** Who applied (or removed, or re-noted) a label: a user's API key id, or a rule id. */
export const AppliedBySchema = z.object({ type: AppliedByTypeSchema, id: z.string() }).openapi('AppliedBy');
export type AppliedBy = z.infer<typeof AppliedBySchema>;

/** One entry of the label history (CONTRACT "GET /v1/label-history"): an application, a removal or a note change. */
export const LabelRecordSchema = z
  .object({
    /** Time-ordered (by appliedAt). */
    id: z.string(),
    action: LabelActionSchema,
    eventId: z.string(),
    labelId: z.string(),
    /** The label's name when the record was made (kept after the label is renamed or deleted). */
    labelName: z.string(),
    note: z.string().nullable(),
    appliedBy: AppliedBySchema,
    /** When this happened (for a removal or a note change: when it was removed or re-noted). */
    appliedAt: TimestampSchema,
    policyId: z.string(),
    serverId: z.string(),
    event: z.object({ path: z.string(), hostname: z.string(), changeType: ChangeTypeSchema, detectedAt: TimestampSchema }),
  })
  .openapi('LabelRecord');
export type LabelRecord = z.infer<typeof LabelRecordSchema>;
