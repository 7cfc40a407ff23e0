import { z } from '@hono/zod-openapi';
import { EntryTypeSchema, HashAlgorithmSchema } from './enums.ts';

/** Wire schema of one file's recorded state (CONTRACT "Entry"); the TS type lives in entry.ts. */
export const EntrySchema = z
  .strictObject({
    type: EntryTypeSchema,
    size: z.number().int().nonnegative(),
    mode: z.string().regex(/^[0-7]{4}$/),
    uid: z.number().int().nonnegative(),
    gid: z.number().int().nonnegative(),
    mtime: z.string().max(40).openapi({ format: 'date-time', description: 'Last content change (ISO-8601 UTC, milliseconds).' }),
    ctime: z.string().max(40).openapi({ format: 'date-time', description: 'Last metadata change: a ctime change without an mtime change is how a reset mtime shows.' }),
    inode: z.number().int().nonnegative(),
    hash: z
      .strictObject({
        algorithm: HashAlgorithmSchema,
        value: z.string().regex(/^[0-9a-f]{32,128}$/),
      })
      .optional(),
    linkTarget: z.string().max(4096).optional(),
  })
  .openapi('Entry');
