import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../helpers/stack.ts';

/** Issue 13: the alert-profiles resource, its references from server groups, and the test mail. */
let stack: TestStack;
let admin: string;

beforeAll(async () => {
  stack = await startTestStack();
  admin = stack.credentials.adminKey;
});
afterAll(() => stack?.stop());

const keyWithRole = async (role: string) => (await stack.api('POST', '/v1/api-keys', { key: admin, body: { name: role, role } })).json.key as string;
const create = (body: unknown, key = admin) => stack.api('POST', '/v1/alert-profiles', { key, body });

describe('alert profiles', () => {
  it('are created with both severities by default, read, listed and patched', async () => {
    const created = await create({ name: 'Ops', recipients: ['ops@example.com', 'Oncall+fim@Example.org'] });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ name: 'Ops', recipients: ['ops@example.com', 'Oncall+fim@Example.org'], severities: ['critical', 'normal'] });
    expect(created.json.id).toMatch(/^apr_/);
    const id = created.json.id as string;
    expect((await stack.api('GET', `/v1/alert-profiles/${id}`, { key: admin })).json).toEqual(created.json);
    const list = await stack.api('GET', '/v1/alert-profiles', { key: admin });
    expect(list.json.items.map((p: { id: string }) => p.id)).toContain(id);
    const patched = await stack.api('PATCH', `/v1/alert-profiles/${id}`, { key: admin, body: { severities: ['critical'] } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ name: 'Ops', recipients: created.json.recipients, severities: ['critical'] });
    expect((await stack.api('GET', `/v1/alert-profiles/${id}`, { key: admin })).json.severities).toEqual(['critical']);
  });

  it('refuse what is not an email address (header injection included), duplicates, unknown fields and severities', async () => {
    const cases: Array<[unknown, string]> = [
      [{ name: 'x', recipients: ['not-an-address'] }, 'recipients.0'],
      [{ name: 'x', recipients: ['a@example.com\r\nBcc: x@evil.example'] }, 'recipients.0'],
      [{ name: 'x', recipients: ['a@example.com', 'A@example.com'] }, 'recipients'],
      [{ name: 'x', recipients: [] }, 'recipients'],
      [{ name: 'x', recipients: ['a@example.com'], severities: ['urgent'] }, 'severities.0'],
      [{ name: 'x', recipients: ['a@example.com'], cc: ['b@example.com'] }, 'cc'],
      [{ recipients: ['a@example.com'] }, 'name'],
    ];
    const before = (await stack.api('GET', '/v1/alert-profiles?limit=500', { key: admin })).json.items.length;
    for (const [body, path] of cases) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect(res.json.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toContain(path);
    }
    expect((await stack.api('GET', '/v1/alert-profiles?limit=500', { key: admin })).json.items.length).toBe(before);
  });

  it('are written by authors, read by everyone, deleted by admins only', async () => {
    const [reader, user, author] = [await keyWithRole('read-only'), await keyWithRole('user'), await keyWithRole('author')];
    const body = { name: 'Roles', recipients: ['r@example.com'] };
    expect((await create(body, reader)).status).toBe(403);
    expect((await create(body, user)).status).toBe(403);
    const made = await create(body, author);
    expect(made.status).toBe(201);
    expect((await stack.api('GET', `/v1/alert-profiles/${made.json.id}`, { key: reader })).status).toBe(200);
    expect((await stack.api('POST', `/v1/alert-profiles/${made.json.id}/test`, { key: user })).status).toBe(403);
    expect((await stack.api('DELETE', `/v1/alert-profiles/${made.json.id}`, { key: author })).status).toBe(403);
    expect((await stack.api('DELETE', `/v1/alert-profiles/${made.json.id}`, { key: admin })).status).toBe(204);
    expect((await stack.api('GET', `/v1/alert-profiles/${made.json.id}`, { key: admin })).status).toBe(404);
  });

  it('of another tenant are not found', async () => {
    const mine = await create({ name: 'Mine', recipients: ['m@example.com'] });
    const other = await stack.api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name: 'Other' } });
    const theirs = other.json.adminKey as string;
    for (const [method, path] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', '/test']] as const) {
      const res = await stack.api(method, `/v1/alert-profiles/${mine.json.id}${path}`, { key: theirs, body: method === 'PATCH' ? { name: 'x' } : undefined });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const group = await stack.api('POST', '/v1/server-groups', { key: theirs, body: { name: 'g', alertProfileIds: [mine.json.id] } });
    expect(group.status).toBe(400);
  });
});

describe('server groups and alert profiles', () => {
  it('a group naming an unknown profile is a 400 naming the id; nothing is written', async () => {
    const known = await create({ name: 'Known', recipients: ['k@example.com'] });
    const res = await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'web', alertProfileIds: [known.json.id, 'apr_nope'] } });
    expect(res.status).toBe(400);
    expect(res.json.detail).toContain('apr_nope');
    expect(res.json.errors).toEqual([{ path: 'alertProfileIds.1', message: 'no alert profile apr_nope' }]);
    const groups = await stack.api('GET', '/v1/server-groups', { key: admin });
    expect(groups.json.items.some((g: { name: string }) => g.name === 'web')).toBe(false);

    const made = await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'web', alertProfileIds: [known.json.id] } });
    expect(made.status).toBe(201);
    const patched = await stack.api('PATCH', `/v1/server-groups/${made.json.id}`, { key: admin, body: { alertProfileIds: ['apr_gone'] } });
    expect(patched.status).toBe(400);
    expect(patched.json.errors).toEqual([{ path: 'alertProfileIds.0', message: 'no alert profile apr_gone' }]);
    expect((await stack.api('GET', `/v1/server-groups/${made.json.id}`, { key: admin })).json.alertProfileIds).toEqual([known.json.id]);
  });

  it('deleting a profile in use is a 409 that names the group; once unassigned it goes', async () => {
    const used = await create({ name: 'Used', recipients: ['u@example.com'] });
    const group = await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'db servers', alertProfileIds: [used.json.id] } });
    const res = await stack.api('DELETE', `/v1/alert-profiles/${used.json.id}`, { key: admin });
    expect(res.status).toBe(409);
    expect(res.json.detail).toContain('"db servers"');
    expect(res.json.detail).toContain(group.json.id);
    expect((await stack.api('GET', `/v1/alert-profiles/${used.json.id}`, { key: admin })).status).toBe(200);
    await stack.api('PATCH', `/v1/server-groups/${group.json.id}`, { key: admin, body: { alertProfileIds: [] } });
    expect((await stack.api('DELETE', `/v1/alert-profiles/${used.json.id}`, { key: admin })).status).toBe(204);
  });
});

describe('test mail', () => {
  it('goes to each recipient once, through the configured transport, even when its message comes twice', async () => {
    const author = await keyWithRole('author');
    const made = await create({ name: 'Delivery check', recipients: ['first@example.com', 'second@example.com'], severities: ['critical'] });
    const before = (await stack.mail()).length;
    const res = await stack.api('POST', `/v1/alert-profiles/${made.json.id}/test`, { key: author });
    expect(res.status).toBe(202);
    expect(res.json.recipients).toEqual(['first@example.com', 'second@example.com']);
    await stack.drain();
    const tenantId = stack.credentials.tenantId;
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrls.alerts, MessageBody: JSON.stringify({ tenantId, digestId: res.json.digestId }) }));
    await stack.drain();
    const mails = (await stack.mail()).slice(before);
    expect(mails.map((m) => m.to)).toEqual([['first@example.com'], ['second@example.com']]);
    expect(mails[0]!.subject).toBe('[test] Driftwatch alert profile "Delivery check": delivery check');
    expect(mails[0]!.from).toBe('alerts@driftwatch.local');
    expect(mails[0]!.text).toContain('severities: critical');
  });
});

describe('settings', () => {
  it('hold the hourly mail limit per profile: 20 by default, changed by admins within bounds', async () => {
    expect((await stack.api('GET', '/v1/settings', { key: admin })).json.alertMailsPerProfilePerHour).toBe(20);
    expect((await stack.api('PATCH', '/v1/settings', { key: admin, body: { alertMailsPerProfilePerHour: 0 } })).status).toBe(400);
    const patched = await stack.api('PATCH', '/v1/settings', { key: admin, body: { alertMailsPerProfilePerHour: 5 } });
    expect(patched.json).toMatchObject({ alertMailsPerProfilePerHour: 5, eventRetentionDays: 90 });
    await stack.api('PATCH', '/v1/settings', { key: admin, body: { alertMailsPerProfilePerHour: 20 } });
  });
});
