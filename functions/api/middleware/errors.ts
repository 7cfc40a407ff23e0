import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError, TooManyRequestsError, ValidationError } from '../../shared/problem.ts';
import { awsUnavailable } from './aws-unavailable.ts';
import { InvalidCursorError } from '../../store/cursor.ts';
import { DECLARED_ROUTES } from '../router.ts';
import { logger } from '../../shared/logger.ts';

const PROBLEM = 'application/problem+json';

export function problemResponse(c: Context, error: AppError): Response {
  const headers: Record<string, string> = { 'content-type': PROBLEM };
  if (error instanceof TooManyRequestsError || error instanceof ServiceUnavailableError) headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
  return c.body(JSON.stringify(error.toProblem()), error.status as 400, headers);
}

/**
 * The app's onError: our errors render as themselves, hono's HTTP errors (malformed JSON, body limit)
 * keep their status with a generic problem, AWS throttling or failing is a 503 with Retry-After, and anything
 * else is a 500 that says nothing about why.
 */
export function onError(error: Error, c: Context): Response {
  if (error instanceof AppError) return problemResponse(c, error);
  if (error instanceof InvalidCursorError) return problemResponse(c, new ValidationError(error.message, [{ path: 'cursor', message: 'invalid cursor' }]));
  if (error instanceof HTTPException) {
    const status = error.status;
    if (status === 413) return problemResponse(c, new PayloadTooLargeError(0));
    const title = status === 400 ? 'Malformed request' : 'Request error';
    const detail = status === 400 && /JSON/i.test(error.message) ? 'The body is not valid JSON.' : error.message || title;
    return problemResponse(c, new AppError(status, status === 400 ? 'malformed' : 'http', title, detail));
  }
  const unavailable = awsUnavailable(error);
  if (unavailable) {
    logger.warn('aws service unavailable', { requestId: c.get('requestId' as never), error: { name: error.name, message: error.message } });
    return problemResponse(c, unavailable);
  }
  // The name, message and the frame that threw are enough to find it; a whole stack trace in a log
  // line is noise and can carry request data.
  const at = error.stack?.split('\n').find((line) => line.trimStart().startsWith('at '))?.trim();
  logger.error('unhandled error', { requestId: c.get('requestId' as never), error: { name: error.name, message: error.message, at } });
  return problemResponse(c, new AppError(500, 'internal', 'Internal error', 'Something went wrong on our side; the request id is in X-Request-Id.'));
}

/** No route matched: a 405 with `Allow` when the path exists under other methods, else a 404. */
export function onNotFound(c: Context): Response {
  const allowed = [...new Set(DECLARED_ROUTES.filter((r) => r.pattern.test(c.req.path)).map((r) => r.method))];
  if (allowed.length > 0) {
    const response = problemResponse(c, new AppError(405, 'method-not-allowed', 'Method not allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(', ')}.`));
    response.headers.set('Allow', allowed.join(', '));
    return response;
  }
  return problemResponse(c, new NotFoundError('route'));
}
