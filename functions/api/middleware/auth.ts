import { createMiddleware } from 'hono/factory';
import { secret } from '../../shared/config.ts';
import { ForbiddenError, UnauthorizedError } from '../../shared/problem.ts';
import { hashSecret, safeEqual } from '../../shared/secrets.ts';
import type { Role } from '../../model/enums.ts';
import { enrollmentKeyExpired } from '../../domain/enrollment-key-expiry.ts';
import { getApiKey } from '../../store/api-keys.ts';
import { getServerWithInbox } from '../../store/servers.ts';
import { getTenant, getTenantForAgent, isCurrentEnrollmentKey, type TenantItem } from '../../store/tenants.ts';
import type { AgentIdentity } from '../../use-cases/agent-identity.ts';

/**
 * Who is calling. The tenant id always comes from the verified credential; handlers read it from
 * `c.var.tenantId` and never from the path or body, which is what keeps tenants apart.
 */
export type Principal =
  | { kind: 'operator' }
  | { kind: 'user'; tenantId: string; keyId: string; role: Role }
  | { kind: 'agent'; tenantId: string; identity: AgentIdentity }
  | { kind: 'enrollment'; tenantId: string; tenant: TenantItem; generation: number };

export type AuthEnv = { Variables: { principal: Principal; tenantId: string; requestId: string } };

/** Who may call a route: one credential kind, or a tenant API key with at least this role. */
export type Access = 'operator' | 'enrollment' | 'agent' | Role;

const RANK: Record<Role, number> = { 'read-only': 0, user: 1, author: 2, admin: 3 };
const ID = /^[a-z]{3}_[0-9a-z]{10,40}$/;

function bearer(header: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) throw new UnauthorizedError();
  return match[1]!;
}

/** Splits `prefix_<a>.<b>.<secret>`; anything malformed is simply an invalid key. */
function parts(token: string, prefix: string): [string, string, string] {
  const body = token.slice(prefix.length).split('.');
  if (body.length !== 3 || body.some((p) => p.length === 0 || p.length > 128)) throw new UnauthorizedError();
  return body as [string, string, string];
}

/** Verifies a credential of any kind; a missing, malformed or unknown one is a 401. */
export async function identify(token: string): Promise<Principal> {
  if (token.startsWith('dwo_')) {
    if (!safeEqual(hashSecret(token), secret('OPERATOR_KEY_HASH'))) throw new UnauthorizedError();
    return { kind: 'operator' };
  }
  if (token.startsWith('dwe_')) {
    const [tenantId, generation, secret] = parts(token, 'dwe_');
    if (!ID.test(tenantId) || !/^\d{1,9}$/.test(generation)) throw new UnauthorizedError();
    const tenant = await getTenant(tenantId);
    if (!tenant || !isCurrentEnrollmentKey(tenant, Number(generation), secret)) throw new UnauthorizedError('The enrollment key is not valid (rotated?).');
    if (enrollmentKeyExpired(tenant, new Date())) {
      throw new UnauthorizedError('The enrollment key expired (setting enrollmentKeyMaxAgeDays); an admin gets a new one with POST /v1/enrollment-key/rotate.');
    }
    return { kind: 'enrollment', tenantId, tenant, generation: Number(generation) };
  }
  if (token.startsWith('dwa_')) return verifyAgent(token);
  if (token.startsWith('dwk_')) {
    const [tenantId, keyId, secret] = parts(token, 'dwk_');
    if (!ID.test(tenantId) || !ID.test(keyId)) throw new UnauthorizedError();
    const key = await getApiKey(tenantId, keyId);
    if (!key || !safeEqual(hashSecret(secret), key.secretHash)) throw new UnauthorizedError();
    return { kind: 'user', tenantId, keyId, role: key.role };
  }
  throw new UnauthorizedError();
}

/**
 * Agent credential `dwa_<tenant>.<server>.<secret>`: the server with its inbox (one Query), and the tenant
 * (usually from this instance's short cache: getTenantForAgent), in parallel.
 */
async function verifyAgent(token: string): Promise<Principal> {
  const [tenantId, serverId, secret] = parts(token, 'dwa_');
  if (!ID.test(tenantId) || !ID.test(serverId)) throw new UnauthorizedError();
  const [found, tenant] = await Promise.all([getServerWithInbox(tenantId, serverId), getTenantForAgent(tenantId)]);
  if (!found || !tenant || found.server.state !== 'active' || !safeEqual(hashSecret(secret), found.server.secretHash)) {
    throw new UnauthorizedError('The agent credential is not valid (server deactivated?).');
  }
  return { kind: 'agent', tenantId, identity: { tenantId, server: found.server, inbox: found.inbox, tenant } };
}

/** Whether a verified principal may use a route with this access. */
export function allows(access: Access, principal: Principal): boolean {
  if (access === 'operator' || access === 'enrollment' || access === 'agent') return principal.kind === access;
  return principal.kind === 'user' && RANK[principal.role] >= RANK[access];
}

/** Who may call a route of each access, in words (403 answers and the reference say it). */
export const WHO: Record<Access, string> = {
  operator: 'the operator key',
  enrollment: 'an enrollment key',
  agent: 'an agent credential',
  'read-only': 'a tenant API key',
  user: 'a tenant API key with role user or above',
  author: 'a tenant API key with role author or above',
  admin: 'a tenant API key with role admin',
};

/**
 * Route middleware: a missing or invalid credential is 401; a valid one that this route does not take
 * (another kind, or a role too low) is 403 naming what the route needs.
 */
export function authorize(access: Access) {
  return createMiddleware<AuthEnv>(async function authorizeRoute(c, next) {
    const principal = await identify(bearer(c.req.header('authorization')));
    if (!allows(access, principal)) throw new ForbiddenError(`This route needs ${WHO[access]}.`);
    c.set('principal', principal);
    if (principal.kind !== 'operator') c.set('tenantId', principal.tenantId);
    await next();
  });
}

/** The verified agent of an `agent` route. */
export function agentOf(principal: Principal): AgentIdentity {
  if (principal.kind !== 'agent') throw new ForbiddenError();
  return principal.identity;
}

/** Who a tenant API key's action is recorded as (label history `appliedBy`). */
export function actorOf(principal: Principal): { type: 'user'; id: string } {
  if (principal.kind !== 'user') throw new ForbiddenError();
  return { type: 'user', id: principal.keyId };
}

/** The tenant of an `enrollment` route, as read while verifying the enrollment key (not read again). */
export function enrollingTenantOf(principal: Principal): TenantItem {
  if (principal.kind !== 'enrollment') throw new ForbiddenError();
  return principal.tenant;
}
