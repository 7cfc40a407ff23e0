import { z } from '@hono/zod-openapi';
import { alertProfileFields } from '../../model/alert-profile.ts';

/** Request shapes of alert profiles (the served shape is in functions/model/alert-profile.ts). */
export const CreateAlertProfileSchema = z
  .strictObject({
    ...alertProfileFields,
    severities: alertProfileFields.severities.default(['critical', 'normal']),
  })
  .openapi('CreateAlertProfile');

export const PatchAlertProfileSchema = z
  .strictObject({
    name: alertProfileFields.name.optional(),
    recipients: alertProfileFields.recipients.optional(),
    severities: alertProfileFields.severities.optional(),
  })
  .openapi('PatchAlertProfile');

/** The answer of `POST /v1/alert-profiles/{id}/test`. */
export const AlertTestSchema = z
  .object({
    recipients: z.array(z.string()).openapi({ description: 'Who the test mail is being sent to.' }),
    digestId: z.string().openapi({ description: 'The delivery, for support: its mails go out once each.' }),
  })
  .openapi('AlertProfileTest');
