import { z } from '@hono/zod-openapi';
import { groupFields } from '../../model/server-group.ts';

/** Request shapes of server groups (the served shape is in functions/model/server-group.ts). */
export const CreateGroupSchema = z
  .strictObject({
    ...groupFields,
    policyIds: groupFields.policyIds.default([]),
    alertProfileIds: groupFields.alertProfileIds.default([]),
    scanSchedule: groupFields.scanSchedule.default({ frequency: 'off' }),
    scanOnAgentStart: groupFields.scanOnAgentStart.default(false),
  })
  .openapi('CreateServerGroup');

export const PatchGroupSchema = z
  .strictObject({
    name: groupFields.name.optional(),
    description: groupFields.description.nullable(),
    tag: groupFields.tag.nullable(),
    policyIds: groupFields.policyIds.optional(),
    alertProfileIds: groupFields.alertProfileIds.optional(),
    scanSchedule: groupFields.scanSchedule.optional(),
    scanOnAgentStart: groupFields.scanOnAgentStart.optional(),
  })
  .openapi('PatchServerGroup');
