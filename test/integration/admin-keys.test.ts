import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '../../functions/shared/clients.ts';
import { keys } from '../../functions/store/keys.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Issue 10, item 6: an admin key could revoke itself and the tenant's last admin key (204, then 401 on
 * everything, no way back). Revoking the last admin key is now a 409 that says what to do instead, and
 * the operator can issue a tenant a new admin key (audited).
 */
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.stop());

interface Tenant {
  id: string;
  admin: string;
  adminId: string;
}

async function newTenant(name: string): Promise<Tenant> {
  const res = await stack.api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name } });
  expect(res.status).toBe(201);
  const admin = res.json.adminKey as string;
  const listed = (await stack.api('GET', '/v1/api-keys', { key: admin })).json.items as { id: string }[];
  return { id: res.json.tenant.id, admin, adminId: listed[0]!.id };
}

const createKey = async (key: string, role: string) => {
  const res = await stack.api('POST', '/v1/api-keys', { key, body: { name: `${role} key`, role } });
  expect(res.status).toBe(201);
  return res.json as { id: string; key: string };
};

const adminKeysOf = async (key: string) => ((await stack.api('GET', '/v1/api-keys', { key })).json.items as { id: string; role: string }[]).filter((k) => k.role === 'admin');

describe('the last admin key of a tenant cannot be revoked', () => {
  it('an admin key revoking itself, the last one: 409 that says what to do, and the key still works', async () => {
    const tenant = await newTenant('last-admin');
    const res = await stack.api('DELETE', `/v1/api-keys/${tenant.adminId}`, { key: tenant.admin });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.json.detail).toMatch(/last admin key/);
    expect(res.json.detail).toMatch(/POST \/v1\/api-keys/);
    expect((await stack.api('GET', '/v1/api-keys', { key: tenant.admin })).status).toBe(200);
  });

  it('with a second admin key, one may go (itself included); then the other is the last', async () => {
    const tenant = await newTenant('two-admins');
    const second = await createKey(tenant.admin, 'admin');
    expect((await stack.api('DELETE', `/v1/api-keys/${tenant.adminId}`, { key: tenant.admin })).status).toBe(204);
    expect((await stack.api('GET', '/v1/api-keys', { key: tenant.admin })).status).toBe(401);
    expect((await stack.api('DELETE', `/v1/api-keys/${second.id}`, { key: second.key })).status).toBe(409);
    // Keys of other roles come and go freely.
    const reader = await createKey(second.key, 'read-only');
    expect((await stack.api('DELETE', `/v1/api-keys/${reader.id}`, { key: second.key })).status).toBe(204);
    expect((await stack.api('DELETE', `/v1/api-keys/${reader.id}`, { key: second.key })).status).toBe(404);
  });

  it('two admins revoking each other at the same moment leave one admin key', async () => {
    const tenant = await newTenant('race');
    const second = await createKey(tenant.admin, 'admin');
    const answers = await Promise.all([
      stack.api('DELETE', `/v1/api-keys/${second.id}`, { key: tenant.admin }),
      stack.api('DELETE', `/v1/api-keys/${tenant.adminId}`, { key: second.key }),
    ]);
    expect(answers.filter((a) => a.status === 204)).toHaveLength(1);
    const survivor = answers[0]!.status === 204 ? tenant.admin : second.key;
    expect(await adminKeysOf(survivor)).toHaveLength(1);
  });

  it('a tenant created before the admin key register still cannot lose its last admin key', async () => {
    const tenant = await newTenant('legacy');
    const second = await createKey(tenant.admin, 'admin');
    await getDb().doc.send(new UpdateCommand({ TableName: getDb().table, Key: keys.tenant(tenant.id), UpdateExpression: 'REMOVE adminKeyIds' }));
    expect((await stack.api('DELETE', `/v1/api-keys/${second.id}`, { key: tenant.admin })).status).toBe(204);
    expect((await stack.api('DELETE', `/v1/api-keys/${tenant.adminId}`, { key: tenant.admin })).status).toBe(409);
  });
});

describe('the operator issues a tenant a new admin key', () => {
  it('POST /v1/tenants/{id}/admin-keys: 201 with a working admin key, recorded in the tenant\'s audit trail', async () => {
    const tenant = await newTenant('locked-out');
    const res = await stack.api('POST', `/v1/tenants/${tenant.id}/admin-keys`, { key: stack.credentials.operatorKey, body: { name: 'recovery' }, headers: { 'user-agent': 'ops-runbook/1' } });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ name: 'recovery', role: 'admin' });
    expect(res.json.key).toMatch(new RegExp(`^dwk_${tenant.id}\\.`));
    expect(await adminKeysOf(res.json.key)).toHaveLength(2);
    // Two admin keys now: the old one may go.
    expect((await stack.api('DELETE', `/v1/api-keys/${tenant.adminId}`, { key: res.json.key })).status).toBe(204);

    const trail = (await stack.api('GET', `/v1/audit?action=admin-key.issued`, { key: res.json.key })).json.items;
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ actor: { type: 'operator' }, target: { type: 'api-key', id: res.json.id }, sourceIp: '127.0.0.1', userAgent: 'ops-runbook/1', details: { name: 'recovery', role: 'admin' } });
    const revoked = (await stack.api('GET', `/v1/audit?targetId=${tenant.adminId}`, { key: res.json.key })).json.items;
    expect(revoked.map((e: { action: string }) => e.action)).toEqual(['api-key.revoked', 'api-key.created']);
  });

  it('only the operator may, and only for a tenant that exists; the body is optional', async () => {
    const tenant = await newTenant('other');
    expect((await stack.api('POST', `/v1/tenants/${tenant.id}/admin-keys`, { key: tenant.admin, body: {} })).status).toBe(403);
    expect((await stack.api('POST', '/v1/tenants/tnt_0000000000000000000000/admin-keys', { key: stack.credentials.operatorKey, body: {} })).status).toBe(404);
    expect((await stack.api('POST', `/v1/tenants/${tenant.id}/admin-keys`, { key: stack.credentials.operatorKey, body: { role: 'admin' } })).status).toBe(400);
    const bare = await stack.api('POST', `/v1/tenants/${tenant.id}/admin-keys`, { key: stack.credentials.operatorKey });
    expect(bare.status, bare.text).toBe(201);
    expect(bare.json.role).toBe('admin');
  });
});
