import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoCommandsOf } from '../helpers/dynamo-commands.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/**
 * Recommendations over HTTP (the agent's side spoken directly): the software an agent reports at
 * check-in is stored only when it changes, and what is recommended and applied follows from it.
 * The same with the real agent on this machine: test/e2e/templates-on-this-host.test.ts.
 */
let stack: TestStack;
let admin: string;
let policyId: string;
let otherPolicyId: string;

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
  policyId = (await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'base', platform: 'linux', targets: [{ path: '/etc' }] } })).json.id;
  otherPolicyId = (await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'not in the group', platform: 'linux' } })).json.id;
  await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'recs', tag: 'recs', policyIds: [policyId] } });
});
afterAll(() => stack?.stop());

async function enroll(hostname: string) {
  const res = await stack.api('POST', '/v1/agent/enroll', { key: stack.credentials.enrollmentKey, body: { hostname, platform: 'linux', agentVersion: '1.0.0', tag: 'recs' } });
  expect(res.status).toBe(201);
  return res.json as { serverId: string; credential: string };
}
const checkIn = (credential: string, body: Record<string, unknown>) =>
  stack.api('POST', '/v1/agent/check-in', { key: credential, body: { agentVersion: '1.0.0', configVersion: 'held', ...body } });

describe('software reported at check-in', () => {
  it('is stored when it changes and costs nothing more when it does not: a steady check-in stays one Query', async () => {
    const agent = await enroll('web-1');
    const first = await checkIn(agent.credential, { configVersion: null, starting: true, software: ['sshd', 'cron'] });
    expect(first.status).toBe(200);
    expect((await stack.api('GET', `/v1/servers/${agent.serverId}`, { key: admin })).json.software).toEqual(['cron', 'sshd']);
    const steady = { configVersion: first.json.configVersion };

    // The same set, in another order: no write.
    expect(await dynamoCommandsOf(() => checkIn(agent.credential, { ...steady, software: ['sshd', 'cron'] }))).toEqual(['QueryCommand']);
    // An agent that reports nothing (an older one) changes nothing either.
    expect(await dynamoCommandsOf(() => checkIn(agent.credential, steady))).toEqual(['QueryCommand']);
    // Something installed: one write.
    expect(await dynamoCommandsOf(() => checkIn(agent.credential, { ...steady, software: ['sshd', 'cron', 'nginx'] }))).toEqual(['QueryCommand', 'UpdateItemCommand']);
    expect((await stack.api('GET', `/v1/servers/${agent.serverId}`, { key: admin })).json.software).toEqual(['cron', 'nginx', 'sshd']);
  });

  it('a malformed software list is a 400', async () => {
    const agent = await enroll('bad-1');
    expect((await checkIn(agent.credential, { software: ['Not An Id!'] })).status).toBe(400);
    expect((await checkIn(agent.credential, { software: Array.from({ length: 33 }, (_, i) => `s${i}`) })).status).toBe(400);
  });
});

describe('GET /v1/servers/{id}/recommendations and apply', () => {
  it('recommends what the reported software needs and the group does not monitor, and applying adds exactly that', async () => {
    const agent = await enroll('db-1');
    await checkIn(agent.credential, { software: ['postgresql', 'sudo', 'future-thing'] });
    const recs = await stack.api('GET', `/v1/servers/${agent.serverId}/recommendations`, { key: admin });
    expect(recs.status).toBe(200);
    expect(recs.json).toMatchObject({ serverId: agent.serverId, platform: 'linux', software: ['future-thing', 'postgresql', 'sudo'] });
    const listed = recs.json.templates.flatMap((t: any) => t.targets);
    const paths = listed.map((t: any) => t.path);
    expect(paths).toEqual(expect.arrayContaining(['/usr/bin', '/boot', '/var/lib/pgsql/data/*.conf']));
    // /etc is monitored by the group's policy: nothing under it is recommended (/etc/passwd, /etc/sudoers...).
    expect(paths.filter((p: string) => p.startsWith('/etc/'))).toEqual([]);
    expect(paths).not.toContain('/var/spool/cron'); // no cron reported
    expect(listed.find((t: any) => t.path === '/var/lib/pgsql/data/*.conf').because).toEqual(['postgresql']);

    const applied = await stack.api('POST', `/v1/servers/${agent.serverId}/recommendations/apply`, { key: admin, body: { policyId } });
    expect(applied.status, applied.text).toBe(200);
    expect(applied.json.added.map((t: any) => t.path)).toEqual(paths);
    const policy = (await stack.api('GET', `/v1/policies/${policyId}`, { key: admin })).json;
    expect(policy.targets.map((t: any) => t.path)).toEqual(['/etc', ...paths]);
    // Stored as the template has them, without the recommendation fields.
    const { because: _because, appliesTo: _appliesTo, ...pgsql } = listed.find((t: any) => t.path === '/var/lib/pgsql/data/*.conf');
    expect(policy.targets.find((t: any) => t.path === '/var/lib/pgsql/data/*.conf')).toEqual({ ...pgsql, id: expect.any(String) });
    expect((await stack.api('GET', `/v1/servers/${agent.serverId}/recommendations`, { key: admin })).json.templates).toEqual([]);
  });

  it('applies only the paths named; a path not recommended, or a policy outside the group, is a 400 and adds nothing', async () => {
    const policy = (await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'docker', platform: 'linux' } })).json;
    const group = (await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'docker', tag: 'docker', policyIds: [policy.id] } })).json;
    const enrolled = await stack.api('POST', '/v1/agent/enroll', { key: stack.credentials.enrollmentKey, body: { hostname: 'ct-1', platform: 'linux', agentVersion: '1.0.0', tag: 'docker' } });
    const agent = enrolled.json as { serverId: string; credential: string };
    await checkIn(agent.credential, { software: ['docker'] });
    const apply = (body: unknown, key = admin) => stack.api('POST', `/v1/servers/${agent.serverId}/recommendations/apply`, { key, body });

    const notRecommended = await apply({ policyId: policy.id, targetPaths: ['/etc/docker', '/etc/nginx'] });
    expect(notRecommended.status).toBe(400);
    expect(notRecommended.json.errors).toEqual([{ path: 'targetPaths.1', message: '/etc/nginx is not recommended to this server now' }]);
    const outside = await apply({ policyId: otherPolicyId });
    expect(outside.status).toBe(400);
    expect(outside.json.errors[0].path).toBe('policyId');
    const readOnly = (await stack.api('POST', '/v1/api-keys', { key: admin, body: { name: 'ro', role: 'read-only' } })).json.key;
    expect((await apply({ policyId: policy.id }, readOnly)).status).toBe(403);
    expect((await stack.api('GET', `/v1/policies/${policy.id}`, { key: admin })).json.targets).toEqual([]);

    const some = await apply({ policyId: policy.id, targetPaths: ['/etc/docker', '/root/.docker/config.json'] });
    expect(some.status).toBe(200);
    expect(some.json.added.map((t: any) => t.path)).toEqual(['/etc/docker', '/root/.docker/config.json']);
    expect(group.policyIds).toEqual([policy.id]);
  });

  it("another tenant's server is a 404", async () => {
    const other = (await stack.api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name: 'Other' } })).json;
    const agent = await enroll('mine-1');
    expect((await stack.api('GET', `/v1/servers/${agent.serverId}/recommendations`, { key: other.adminKey })).status).toBe(404);
    expect((await stack.api('POST', `/v1/servers/${agent.serverId}/recommendations/apply`, { key: other.adminKey, body: { policyId } })).status).toBe(404);
  });
});
