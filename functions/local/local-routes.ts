import { Hono } from 'hono';
import { z } from 'zod';
import { onError, onNotFound, problemResponse } from '../api/middleware/errors.ts';
import { fieldErrors } from '../api/router.ts';
import { AppError, ValidationError } from '../shared/problem.ts';
import { DrainTimeoutError } from './drain.ts';
import type { LocalLog } from './local-log.ts';
import type { Mail } from './mail-sink.ts';

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** `POST /_local/tick` body: the instant the schedule runs at (default now). */
export const TickBodySchema = z.strictObject({
  time: z
    .string()
    .refine((value) => ISO_8601.test(value) && !Number.isNaN(Date.parse(value)), 'Expected an ISO-8601 timestamp, e.g. 2025-01-05T00:00:00Z.')
    .optional(),
});

/** The queues did not empty in time: 503, with the contract's `drained: false`. */
class DrainTimeoutProblem extends AppError {
  constructor(detail: string) {
    super(503, 'drain-timeout', 'Queues not drained', detail);
  }

  override toProblem(): Record<string, unknown> {
    return { ...super.toProblem(), drained: false };
  }
}

const ALLOWED = { '/_local/tick': 'POST', '/_local/drain': 'POST', '/_local/mail': 'GET' } as const;

/**
 * The local-only routes of CONTRACT.md (mounted by the stack, never in the Lambda build, no auth):
 * bodies checked with zod, errors as application/problem+json through the API's own error handler.
 */
export function localRoutes(deps: { drain: () => Promise<void>; tick: (time: Date) => Promise<void>; mails: () => Mail[]; log: LocalLog }): Hono {
  const local = new Hono();
  const drained = async (work: () => Promise<void>) => {
    try {
      await work();
      return Response.json({ drained: true });
    } catch (error) {
      if (!(error instanceof DrainTimeoutError)) throw error;
      deps.log('warn', error.message);
      throw new DrainTimeoutProblem(error.message);
    }
  };

  local.post('/_local/tick', async (c) => {
    const body = TickBodySchema.safeParse(await jsonBody(c.req.raw));
    if (!body.success) throw new ValidationError('The request body is invalid.', fieldErrors(body.error));
    const time = body.data.time ? new Date(body.data.time) : new Date();
    return drained(() => deps.tick(time));
  });
  local.post('/_local/drain', () => drained(deps.drain));
  local.get('/_local/mail', (c) => c.json(deps.mails()));
  for (const [path, allow] of Object.entries(ALLOWED)) {
    local.all(path, (c) => {
      const response = problemResponse(c, new AppError(405, 'method-not-allowed', 'Method not allowed', `${c.req.method} is not allowed on ${path}; use ${allow}.`));
      response.headers.set('allow', allow);
      return response;
    });
  }
  local.notFound(onNotFound);
  local.onError(onError);
  return local;
}

/** The body as JSON; an empty body is `{}` (every field of a local route is optional). */
async function jsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError('The body must be JSON, e.g. {"time": "2025-01-05T00:00:00Z"}.');
  }
}
