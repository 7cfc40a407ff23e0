import { enqueue } from '../../../functions/queues/enqueue.ts';
import { reportsQueue } from '../../../functions/queues/queues.ts';
import type { TestStack } from '../../helpers/stack.ts';
import { completeOverWire, enrollOverWire, uploadOverWire, wireTree } from '../../helpers/wire-scan.ts';

/** A tenant's credentials: one key per role, the enrollment key and an enrolled agent's credential. */
export interface TenantKeys {
  tenantId: string;
  admin: string;
  author: string;
  user: string;
  readOnly: string;
  enrollment: string;
  agent: string;
}

/** The ids of one object of every kind a tenant holds. */
export interface TenantIds {
  apiKey: string;
  group: string;
  policy: string;
  target: string;
  server: string;
  scan: string;
  pendingScan: string;
  event: string;
  label: string;
  labelOnEvent: string;
  rule: string;
  alertProfile: string;
  syncDestination: string;
  report: string;
}

export interface TenantData {
  keys: TenantKeys;
  ids: TenantIds;
  /** Every secret the tenant was given or gave (keys, credentials, the webhook secret), for leak checks. */
  secrets: string[];
}

const must = async (what: string, res: Promise<{ status: number; text: string; json: any }>, status: number) => {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r.json;
};

/**
 * A new tenant with data of every kind, made through the API and the agent protocol as customers make it:
 * API keys of each role, a policy with a target, a group with a schedule and an alert profile, an enrolled
 * server with two scans (so events), a custom label applied to an event by hand and a rule, a sync
 * destination (with a secret), a weekly report, and the audit trail all that leaves. `sinkUrl` is where the
 * sync destination points (a receiver on 127.0.0.1).
 */
export async function seedTenant(stack: TestStack, name: string, sinkUrl: string): Promise<TenantData> {
  const api = stack.api;
  const made = await must('tenant', api('POST', '/v1/tenants', { key: stack.credentials.operatorKey, body: { name } }), 201);
  const tenantId = made.tenant.id as string;
  const admin = made.adminKey as string;
  const keyOf = async (role: string) => (await must(`key ${role}`, api('POST', '/v1/api-keys', { key: admin, body: { name: role, role } }), 201)) as { id: string; key: string };
  const author = await keyOf('author');
  const user = await keyOf('user');
  const readOnly = await keyOf('read-only');

  const dir = `/srv/${name}`;
  const policy = await must('policy', api('POST', '/v1/policies', { key: admin, body: { name: `${name} app`, platform: 'linux', reports: true, targets: [{ path: dir }] } }), 201);
  const alertProfile = await must('alert profile', api('POST', '/v1/alert-profiles', { key: admin, body: { name: `${name} on call`, recipients: [`sec@${name}.example.com`], severities: ['critical', 'normal'] } }), 201);
  const group = await must(
    'group',
    api('POST', '/v1/server-groups', { key: admin, body: { name: `${name} web`, tag: `${name}-web`, policyIds: [policy.id], alertProfileIds: [alertProfile.id], scanSchedule: { frequency: 'daily', time: '03:00' } } }),
    201,
  );
  const agent = await enrollOverWire(api, made.enrollmentKey, `web-1.${name}.example.com`, `${name}-web`);
  const first = await uploadOverWire(api, agent, policy.id, wireTree(dir, 4, () => 'v1'));
  await must('first scan', completeOverWire(api, agent, policy.id, first, 4), 200);
  await stack.drain();
  const second = await uploadOverWire(api, agent, policy.id, wireTree(dir, 4, () => 'v2'));
  await must('second scan', completeOverWire(api, agent, policy.id, second, 4), 200);
  await stack.drain();
  const events = (await must('events', api('GET', '/v1/events', { key: admin }), 200)).items as { id: string }[];
  if (events.length === 0) throw new Error('the second scan made no events');

  const label = await must('label', api('POST', '/v1/labels', { key: admin, body: { name: `${name} reviewed`, color: '#336699', notify: true } }), 201);
  await must('label events', api('POST', '/v1/events/labels', { key: admin, body: { eventIds: [events[0]!.id], labelId: label.id, note: 'seen' } }), 200);
  const rule = await must(
    'rule',
    api('POST', '/v1/rules', { key: admin, body: { name: `${name} upgrades`, policyId: policy.id, labelId: 'lbl_expected', note: 'upgrade', criteria: [{ field: 'path', operator: 'startsWith', value: dir }] } }),
    201,
  );
  const syncDestination = await must('sync destination', api('POST', '/v1/sync-destinations', { key: admin, body: { name: `${name} siem`, type: 'webhook', url: sinkUrl, secret: `whsec-${name}-0123456789abcdef` } }), 201);
  const pendingScan = await must('scan request', api('POST', `/v1/servers/${agent.serverId}/scans`, { key: admin }), 202);
  await enqueue(reportsQueue, { tenantId, to: new Date().toISOString() });
  await stack.drain();
  const reports = (await must('reports', api('GET', '/v1/reports', { key: admin }), 200)).items as { id: string }[];
  if (reports.length === 0) throw new Error('no report was written');

  return {
    keys: { tenantId, admin, author: author.key, user: user.key, readOnly: readOnly.key, enrollment: made.enrollmentKey, agent: agent.credential },
    ids: {
      apiKey: readOnly.id,
      group: group.id,
      policy: policy.id,
      target: policy.targets[0].id,
      server: agent.serverId,
      scan: second.scanId,
      pendingScan: pendingScan.id,
      event: events[0]!.id,
      label: label.id,
      labelOnEvent: label.id,
      rule: rule.id,
      alertProfile: alertProfile.id,
      syncDestination: syncDestination.id,
      report: reports[0]!.id,
    },
    secrets: [admin, author.key, user.key, readOnly.key, made.enrollmentKey, agent.credential, `whsec-${name}-0123456789abcdef`],
  };
}
