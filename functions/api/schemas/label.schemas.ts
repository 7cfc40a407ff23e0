import { z } from '@hono/zod-openapi';
import { LabelActionSchema } from '../../model/enums.ts';
import { IdSchema } from './common.schemas.ts';

const iso = z.iso.datetime({ offset: true });
const q = (name: string, description: string) => ({ param: { name, in: 'query' as const }, description });
const id = z.string().min(1).max(64);

const fields = {
  name: z.string().trim().min(1).max(100),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a #rrggbb color'),
  description: z.string().max(1000),
  notify: z.boolean(),
};

export const CreateLabelSchema = z
  .strictObject({
    ...fields,
    description: fields.description.optional(),
    notify: fields.notify.default(false).openapi({ description: 'Send events with this label to the sync destinations.' }),
    policyId: id.optional().openapi({ description: 'Make it a label of this policy only.' }),
  })
  .openapi('CreateLabel');
export type CreateLabel = z.infer<typeof CreateLabelSchema>;

export const PatchLabelSchema = z
  .strictObject({
    name: fields.name.optional(),
    color: fields.color.optional(),
    description: fields.description.nullable().optional().openapi({ description: '`null` clears it.' }),
    notify: fields.notify.optional(),
  })
  .openapi('PatchLabel');
export type PatchLabel = z.infer<typeof PatchLabelSchema>;

export const LabelEventsSchema = z
  .strictObject({
    eventIds: z.array(id).min(1).max(500),
    labelId: id,
    note: z.string().max(2000).optional(),
  })
  .openapi('LabelEvents');

export const LabelNoteSchema = z.strictObject({ note: z.string().max(2000).nullable().openapi({ description: '`null` (or "") removes the note.' }) }).openapi('LabelNote');

export const EventLabelParamsSchema = z.object({
  id: IdSchema.openapi({ param: { name: 'id', in: 'path', description: "The event's id." } }),
  labelId: IdSchema.openapi({ param: { name: 'labelId', in: 'path', description: "The label's id (`lbl_expected`, ...)." } }),
});

export const LabelListQuerySchema = z.object({
  policyId: id.optional().openapi(q('policyId', 'Labels usable on this policy\'s events: tenant-wide ones and its own.')),
});

/** The filters of GET /v1/label-history. */
export const LabelHistoryQuerySchema = z.object({
  from: iso.optional().openapi(q('from', 'Recorded at or after (ISO-8601).')),
  to: iso.optional().openapi(q('to', 'Recorded at or before (ISO-8601).')),
  labelId: id.optional().openapi(q('labelId', 'Only records of this label.')),
  policyId: id.optional().openapi(q('policyId', 'Only records of this policy\'s events.')),
  eventId: id.optional().openapi(q('eventId', 'Only records of this event.')),
  action: LabelActionSchema.optional().openapi(q('action', 'applied, removed or note-changed.')),
});
