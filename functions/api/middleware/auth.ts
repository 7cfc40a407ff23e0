import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { createMiddleware } from 'hono/factory';
import { getDb } from '../../shared/clients.ts';
import { config } from '../../shared/config.ts';
import { ForbiddenError, UnauthorizedError } from '../../shared/problem.ts';
import { hashSecret, safeEqual } from '../../shared/secrets.ts';
import { getApiKey, type Role } from '../../store/api-keys.ts';
import { keys } from '../../store/keys.ts';
import { getTenant, isCurrentEnrollmentKey, type TenantItem } from '../../store/tenants.ts';
import type { ServerItem } from '../../store/servers.ts';
import { withoutKeys } from '../../store/db.ts';
import { requiredRole, roleAllows } from './roles.ts';

/**
 * Who is calling. The tenant id always comes from the verified credential; handlers read it from
 * here and never from the path or body, which is what keeps tenants apart.
 */
export type Principal =
  | { kind: 'operator' }
  | { kind: 'user'; tenantId: string; keyId: string; role: Role }
  | { kind: 'agent'; tenantId: string; serverId: string; server: ServerItem; tenant: TenantItem }
  | { kind: 'enrollment'; tenant: TenantItem };

export type AuthEnv = { Variables: { principal: Principal; requestId: string } };

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

/** Classifies the route, then verifies the credential kind it needs (and the role, for tenant routes). */
export const authenticate = createMiddleware<AuthEnv>(async (c, next) => {
  const path = c.req.path;
  if (!path.startsWith('/v1/')) return next();
  const token = bearer(c.req.header('authorization'));
  if (path === '/v1/tenants' || path.startsWith('/v1/tenants/')) {
    if (!token.startsWith('dwo_') || !safeEqual(hashSecret(token), config().OPERATOR_KEY_HASH)) throw new UnauthorizedError();
    c.set('principal', { kind: 'operator' });
  } else if (path === '/v1/agent/enroll') {
    if (!token.startsWith('dwe_')) throw new UnauthorizedError('An enrollment key is required.');
    const [tenantId, generation, secret] = parts(token, 'dwe_');
    if (!ID.test(tenantId) || !/^\d{1,9}$/.test(generation)) throw new UnauthorizedError();
    const tenant = await getTenant(tenantId);
    if (!tenant || !isCurrentEnrollmentKey(tenant, Number(generation), secret)) throw new UnauthorizedError('The enrollment key is not valid (rotated?).');
    c.set('principal', { kind: 'enrollment', tenant });
  } else if (path.startsWith('/v1/agent/')) {
    if (!token.startsWith('dwa_')) throw new UnauthorizedError('An agent credential is required.');
    c.set('principal', await verifyAgent(token));
  } else {
    if (!token.startsWith('dwk_')) throw new UnauthorizedError();
    const [tenantId, keyId, secret] = parts(token, 'dwk_');
    if (!ID.test(tenantId) || !ID.test(keyId)) throw new UnauthorizedError();
    const key = await getApiKey(tenantId, keyId);
    if (!key || !safeEqual(hashSecret(secret), key.secretHash)) throw new UnauthorizedError();
    if (!roleAllows(key.role, requiredRole(c.req.method, path))) throw new ForbiddenError();
    c.set('principal', { kind: 'user', tenantId, keyId, role: key.role });
  }
  return next();
});

/** Agent credential `dwa_<tenant>.<server>.<secret>`: one BatchGet reads the server and its tenant. */
async function verifyAgent(token: string): Promise<Principal> {
  const [tenantId, serverId, secret] = parts(token, 'dwa_');
  if (!ID.test(tenantId) || !ID.test(serverId)) throw new UnauthorizedError();
  const { doc, table } = getDb();
  const out = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: [keys.server(tenantId, serverId), keys.tenant(tenantId)] } } }));
  const items = out.Responses?.[table] ?? [];
  const serverItem = items.find((i) => i.sk === keys.server(tenantId, serverId).sk);
  const tenantItem = items.find((i) => i.sk === 'TENANT');
  // Unprocessed keys (throttling) are rare; fall back to plain reads rather than reject a valid agent.
  const server = (serverItem ? withoutKeys(serverItem) : undefined) as ServerItem | undefined;
  const tenant = (tenantItem as TenantItem | undefined) ?? (out.UnprocessedKeys?.[table] ? await getTenant(tenantId) : undefined);
  if (!server || !tenant || server.state !== 'active' || !safeEqual(hashSecret(secret), server.secretHash)) {
    throw new UnauthorizedError('The agent credential is not valid (server deactivated?).');
  }
  return { kind: 'agent', tenantId, serverId, server, tenant };
}

export function tenantOf(principal: Principal): string {
  if (principal.kind === 'user' || principal.kind === 'agent') return principal.tenantId;
  if (principal.kind === 'enrollment') return principal.tenant.id;
  throw new ForbiddenError();
}
