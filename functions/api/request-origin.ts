import type { Context } from 'hono';
import { encodeWireName } from '../contract/wire-path.ts';
import type { AuditActor, RequestOrigin } from '../model/audit.ts';
import type { Caller } from '../use-cases/record-audit.ts';
import type { AuthEnv, Principal } from './middleware/auth.ts';

/**
 * What the runtime tells us about the caller's connection. In Lambda, hono/aws-lambda passes the API
 * Gateway event's `requestContext`, whose `http.sourceIp` is the peer API Gateway saw; under
 * @hono/node-server (the local stack) `incoming` is the request's socket. X-Forwarded-For is never
 * read: any client can write it.
 */
interface Bindings {
  requestContext?: { http?: { sourceIp?: string } };
  incoming?: { socket?: { remoteAddress?: string } };
}

/** The address the request came from, from whichever runtime serves it; undefined when neither says. */
export function sourceAddress(c: Context): string | undefined {
  const env = c.env as Bindings | undefined;
  return env?.requestContext?.http?.sourceIp ?? env?.incoming?.socket?.remoteAddress;
}

/** Where a request came from, for the audit trail. The user agent is the caller's own text: control characters are escaped (`\xHH`). */
export function requestOrigin(c: Context): RequestOrigin {
  const userAgent = c.req.header('user-agent');
  return { sourceIp: sourceAddress(c), userAgent: userAgent === undefined ? undefined : encodeWireName(userAgent.slice(0, 256)) };
}

/** The audit actor of a verified credential. */
export function auditActor(principal: Principal): AuditActor {
  switch (principal.kind) {
    case 'operator':
      return { type: 'operator' };
    case 'user':
      return { type: 'api-key', id: principal.keyId };
    case 'agent':
      return { type: 'agent', id: principal.identity.server.id };
    case 'enrollment':
      return { type: 'enrollment-key', keyGeneration: principal.generation };
  }
}

/** The verified caller of a route and where the request came from, for use cases that audit. */
export function callerOf(c: Context<AuthEnv>): Caller {
  return { actor: auditActor(c.var.principal), origin: requestOrigin(c) };
}
