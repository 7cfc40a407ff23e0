import { z } from '@hono/zod-openapi';

/** Shapes every route shares: problems, list pages and their query, id path parameters. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

export const ListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ param: { name: 'limit', in: 'query' }, description: 'Items per page (1-500, default 50).' }),
  cursor: z.string().max(2048).optional().openapi({ param: { name: 'cursor', in: 'query' }, description: 'The `nextCursor` of the previous page.' }),
});

/**
 * The query of a list route: limit and cursor plus the route's filters. Strict: an unknown parameter (a
 * typo such as `changetype`) is a 400 naming it, so a filter typo never looks like a result.
 */
export function listQuery<T extends z.ZodRawShape = {}>(filters?: z.ZodObject<T>) {
  return ListQuerySchema.extend((filters?.shape ?? {}) as T).strict();
}

/** An object's id, as answered when it was created. */
export const IdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/);

/** The `{id}` path parameter of a route about one `what` (a policy, a server group, ...). */
export function idParam(what: string) {
  return z.object({ id: IdSchema.openapi({ param: { name: 'id', in: 'path', description: `The ${what}'s id.` } }) });
}

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** A JSON request body that must be present and valid (a missing or non-JSON body is a 400, not skipped). */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { 'application/json': { schema } } } as const;
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ProblemSchema } } });

/** The error answers every authenticated route may give. */
export const errorResponses = {
  400: problem('Invalid request: see `errors` for the fields (also a query parameter or a body the route does not take, or JSON that is not UTF-8 or holds NUL).'),
  401: problem('Missing or invalid credential.'),
  403: problem('The credential\'s role does not allow this.'),
  404: problem('No such object (or it belongs to another tenant).'),
  413: problem('Body larger than the documented limit.'),
  415: problem('A Content-Encoding the route does not decode, or a body of a type it does not read.'),
  429: {
    ...problem('Too many invalid credentials from this address this minute (valid ones still pass).'),
    headers: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' as const } } },
  },
  503: {
    ...problem('DynamoDB or SQS is throttling or failing right now; nothing was changed that a retry would not finish. Retry after Retry-After.'),
    headers: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' as const } } },
  },
} as const;

/** A 415 answer, for routes that read other bodies than JSON. */
export const unsupportedMediaResponse = (description: string) => ({ 415: problem(description) });

/** A 429 answer with Retry-After, for routes that have a limit per time or per object. */
export const tooManyRequestsResponse = (description: string) => ({
  429: { ...problem(description), headers: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' as const } } } },
});

/** A 409 answer, for routes that have one. */
export const conflictResponse = (description: string) => ({ 409: problem(description) });

export const noContent = { 204: { description: 'Done, nothing to return.' } } as const;
