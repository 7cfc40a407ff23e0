import { createMiddleware } from 'hono/factory';
import { logger } from '../../shared/logger.ts';

/**
 * One structured line per request: method, route, status, duration, our request id, the tenant once the
 * credential named one, and API Gateway's request id (`apiRequestId`, under Lambda), which its JSON access
 * log carries too: the two lines join in Logs Insights. Never bodies or headers.
 */
export const accessLog = createMiddleware(async (c, next) => {
  const started = performance.now();
  await next();
  const requestId = c.get('requestId' as never) as string | undefined;
  const tenantId = c.get('tenantId' as never) as string | undefined;
  const apiRequestId = (c.env as { requestContext?: { requestId?: string } } | undefined)?.requestContext?.requestId;
  logger.info('request', {
    requestId,
    ...(apiRequestId ? { apiRequestId } : {}),
    ...(tenantId ? { tenantId } : {}),
    method: c.req.method,
    path: c.req.routePath ?? c.req.path,
    status: c.res.status,
    ms: Math.round(performance.now() - started),
  });
});
