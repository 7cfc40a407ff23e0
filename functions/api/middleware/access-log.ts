import { createMiddleware } from 'hono/factory';
import { logger } from '../../shared/logger.ts';

/** One structured line per request: method, route, status, duration, request id. Never bodies or headers. */
export const accessLog = createMiddleware(async (c, next) => {
  const started = performance.now();
  await next();
  const requestId = c.get('requestId' as never) as string | undefined;
  logger.info('request', {
    requestId,
    method: c.req.method,
    path: c.req.routePath ?? c.req.path,
    status: c.res.status,
    ms: Math.round(performance.now() - started),
  });
});
