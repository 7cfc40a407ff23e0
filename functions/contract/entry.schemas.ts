import { z } from '@hono/zod-openapi';
import { EntryTypeSchema, HashAlgorithmSchema } from './enums.ts';

/** Longest wire path: deeper than PATH_MAX is walked (agent/scan/walk.ts), and escapes take four characters a byte. */
export const MAX_WIRE_PATH = 32768;

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
    // A target of PATH_MAX bytes, each escaped as \xHH, is four times as long.
    linkTarget: z.string().max(MAX_WIRE_PATH).optional(),
    nlink: z.number().int().nonnegative().optional(),
    xattrs: z
      .record(z.string().min(1).max(255), z.string().max(1024))
      .refine((x) => Object.keys(x).length <= 256, 'at most 256 extended attributes')
      .optional(),
    acl: z.string().max(16384).optional(),
    caps: z.string().max(4096).optional(),
    unreadable: z.string().regex(/^E[A-Z0-9]{1,31}$/, 'an error code such as EACCES').optional(),
  })
  .openapi('Entry');
