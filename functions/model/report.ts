import { z } from '@hono/zod-openapi';
import { TimestampSchema } from './enums.ts';

/** A weekly report of one policy's label history (CONTRACT "GET /v1/reports"). */
export const ReportSchema = z
  .object({
    id: z.string(),
    policyId: z.string(),
    from: TimestampSchema.openapi({ description: 'The previous report time (or when reports were enabled for the policy).' }),
    to: TimestampSchema.openapi({ description: 'The report time this report was written for.' }),
    rowCount: z.number().int().openapi({ description: 'Label history records in the CSV.' }),
    createdAt: TimestampSchema,
    sizeBytes: z.number().int().openapi({ description: 'Size of the zip file.' }),
    fileName: z.string().openapi({ description: 'Name of the zip file (the CSV inside has the same name ending in .csv).' }),
  })
  .openapi('Report', {
    description:
      'Written at the tenant\'s weekly report time for each policy with `reports: true`: every label history record of the policy written since ' +
      'the previous report (so after a change of the report time one report is longer or shorter than a week, never gapped or overlapping), ' +
      'as a zipped UTF-8 CSV (RFC 4180, CRLF, with a byte order mark for spreadsheets).',
  });
export type Report = z.infer<typeof ReportSchema>;
