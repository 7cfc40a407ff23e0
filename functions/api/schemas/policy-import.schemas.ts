import { z } from '@hono/zod-openapi';
import { ImportFormatSchema } from '../../model/target-import.ts';

/** The query of POST /v1/policies/{id}/targets/import (strict: an unknown parameter is a 400 naming it). */
export const ImportTargetsQuerySchema = z
  .strictObject({
    format: ImportFormatSchema.optional().openapi({
      param: { name: 'format', in: 'query' },
      description: 'Required with text/plain (`aide`); otherwise taken from the Content-Type (text/csv: watchlist, application/xml: ossec).',
    }),
    dryRun: z
      .enum(['true', 'false'])
      .optional()
      .openapi({ param: { name: 'dryRun', in: 'query' }, description: '`true`: answer what would be added, change nothing.' }),
  });

/** The bodies the import reads (documented; the handler reads the raw text). */
export const ImportBodySchema = z.string().openapi({ description: 'The file, as text (UTF-8 unless the Content-Type names another charset).' });
