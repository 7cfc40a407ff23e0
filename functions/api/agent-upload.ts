import { gunzipSync } from 'node:zlib';
import type { Context } from 'hono';
import { AppError, UnsupportedMediaTypeError, ValidationError } from '../shared/problem.ts';
import { NodesRequestSchema, type NodesRequest } from '../contract/agent.schemas.ts';
import { fieldErrors } from './router.ts';

/** A decompressed node upload may be at most this large (gzip bombs stop here, not in memory). */
export const MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;

/**
 * Reads a node upload: JSON, optionally `Content-Encoding: gzip`. Done by hand rather than by the
 * route validator because the validator cannot see through the compression.
 */
export async function readNodesRequest(c: Context): Promise<NodesRequest> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new UnsupportedMediaTypeError('Send application/json (optionally gzip-encoded).');
  const raw = Buffer.from(await c.req.arrayBuffer());
  const encoding = (c.req.header('content-encoding') ?? 'identity').toLowerCase();
  let text: string;
  try {
    if (encoding === 'gzip') text = gunzipSync(raw, { maxOutputLength: MAX_DECOMPRESSED_BYTES }).toString('utf8');
    else if (encoding === 'identity') text = raw.toString('utf8');
    else throw new UnsupportedMediaTypeError(`Content-Encoding ${encoding} is not supported; use gzip.`);
  } catch (error) {
    if (error instanceof AppError) throw error;
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new AppError(413, 'payload-too-large', 'Payload too large', `Decompressed body exceeds ${MAX_DECOMPRESSED_BYTES} bytes.`);
    throw new ValidationError('The body is not valid gzip.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError(400, 'malformed', 'Malformed request', 'The body is not valid JSON.');
  }
  const parsed = NodesRequestSchema.safeParse(json);
  if (!parsed.success) throw new ValidationError('The node upload is invalid.', fieldErrors(parsed.error));
  return parsed.data;
}
