import type { z } from '@hono/zod-openapi';
import type { Entry } from '../contract/entry.ts';
import type { AlertProfile } from '../model/alert-profile.ts';
import type { Event } from '../model/event.ts';
import type { Group } from '../model/server-group.ts';
import type { Label } from '../model/label.ts';
import type { Policy } from '../model/policy.ts';
import type { Rule } from '../model/rule.ts';
import type { Scan } from '../model/scan.ts';
import type { Server } from '../model/server.ts';
import type { Settings } from '../model/settings.ts';
import type { CreateAlertProfileSchema } from './schemas/alert-profile.schemas.ts';
import type { CreateApiKeySchema, CreateTenantSchema } from './schemas/api-key.schemas.ts';
import type { CreateGroupSchema } from './schemas/group.schemas.ts';
import type { CreatePolicySchema } from './schemas/policy.schemas.ts';
import type { CreateRuleSchema } from './schemas/rule.schemas.ts';
import type { LabelEventsSchema } from './schemas/label.schemas.ts';

/**
 * Examples of the main bodies, by component name, shown in /docs and checked by the OpenAPI linter
 * against their schemas (redocly.yaml `no-invalid-schema-examples`). They tell one story: a `web` group
 * running an `etc` policy on one server, whose sshd_config changed.
 */
const TENANT = 'tnt_06h2qedk00bc017a3s0wdbfxst';
const GROUP = 'grp_06h2qedk00b82e539vfaph0ppv';
const SERVER = 'srv_06h2qedk001bmvf7vjtrqm8fr7';
const POLICY = 'pol_06h2qedk007d36t3ftw3e2b6qa';
const SCAN = 'scn_06h2qedk00cd98j8n1c9268k3c';
const PROFILE = 'apr_06h2qedk00jpxgqhtb34jm59hn';

const before: Entry = {
  type: 'file',
  size: 3264,
  mode: '0644',
  uid: 0,
  gid: 0,
  mtime: '2026-11-02T08:00:00.000Z',
  ctime: '2026-11-02T08:00:00.000Z',
  inode: 393_721,
  hash: { algorithm: 'sha256', value: '5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef' },
};
const after: Entry = {
  ...before,
  size: 3301,
  mtime: '2026-12-01T11:58:40.118Z',
  ctime: '2026-12-01T11:58:40.118Z',
  hash: { algorithm: 'sha256', value: 'a3c2f9e0b1d84f6e2c7a9b05d3e1f48c6b2a0d9e8f7c6b5a4d3e2f1a0b9c8d7e' },
};

const target = {
  id: 'tgt_06h2qedk00zdgcq2kkqhcymcz0',
  path: '/etc',
  recursive: true,
  include: [],
  exclude: ['*.log', 'cache/**'],
  attributes: ['content', 'size', 'mode', 'owner', 'group', 'mtime', 'ctime', 'inode', 'linkTarget', 'type'],
  critical: true,
  alert: true,
  description: 'System configuration',
} satisfies Policy['targets'][number];

const policy: Policy = {
  id: POLICY,
  name: 'etc',
  description: 'System configuration of the web servers',
  platform: 'linux',
  state: 'on',
  hashAlgorithm: 'sha256',
  cpuUsage: 'high',
  baselineServerId: null,
  reports: false,
  fullRehashEvery: 7,
  targets: [target],
  createdAt: '2026-11-30T09:12:00.000Z',
  updatedAt: '2026-11-30T09:12:00.000Z',
};

const createPolicy: z.input<typeof CreatePolicySchema> = {
  name: 'etc',
  platform: 'linux',
  targets: [{ path: '/etc', exclude: ['*.log', 'cache/**'], critical: true }],
};

const group: Group = {
  id: GROUP,
  name: 'web',
  description: 'Public web servers',
  tag: 'web',
  policyIds: [POLICY],
  alertProfileIds: [PROFILE],
  scanSchedule: { frequency: 'daily', time: '02:30' },
  scanOnAgentStart: true,
  builtIn: false,
  createdAt: '2026-11-30T09:12:00.000Z',
  updatedAt: '2026-11-30T09:12:00.000Z',
};

const createGroup: z.input<typeof CreateGroupSchema> = {
  name: 'web',
  tag: 'web',
  policyIds: [POLICY],
  scanSchedule: { frequency: 'daily', time: '02:30' },
};

const server: Server = {
  id: SERVER,
  hostname: 'web-1.example.com',
  platform: 'linux',
  agentVersion: '0.1.0',
  groupId: GROUP,
  tags: ['web'],
  status: 'active',
  lastSeenAt: '2026-12-01T11:45:03.000Z',
  enrolledAt: '2026-11-30T09:20:41.000Z',
  fimState: 'inherit',
  watching: 'off',
  software: ['sshd', 'cron', 'nginx'],
};

const scan: Scan = {
  id: SCAN,
  serverId: SERVER,
  kind: 'scheduled',
  status: 'completed',
  requestedAt: '2026-12-01T11:58:00.000Z',
  startedAt: '2026-12-01T11:58:39.000Z',
  completedAt: '2026-12-01T11:58:41.000Z',
  stats: { filesScanned: 1834, added: 0, modified: 1, removed: 0, renamed: 0 },
};

const event: Event = {
  id: 'evt_06h2qedk00j416w0xgk6n2z0w3',
  serverId: SERVER,
  hostname: 'web-1.example.com',
  groupId: GROUP,
  policyId: POLICY,
  targetPath: '/etc',
  path: '/etc/ssh/sshd_config',
  changeType: 'modified',
  changedAttributes: ['content', 'size', 'mtime', 'ctime'],
  severity: 'critical',
  source: 'scan',
  scanId: SCAN,
  detectedAt: '2026-12-01T11:58:40.500Z',
  before,
  after,
  labels: [
    { labelId: 'lbl_expected', name: 'Expected', note: 'CR-1042', appliedBy: { type: 'user', id: 'key_06h2qedk00vyt39g45w4kjnnr3' }, appliedAt: '2026-12-01T12:10:00.000Z' },
  ],
};

const rule: Rule = {
  id: 'rul_06h2qedk00k7a2p17152e873c7',
  name: 'Package upgrades of nginx',
  policyId: POLICY,
  labelId: 'lbl_expected',
  note: 'apt upgrade',
  active: true,
  criteria: [
    { field: 'path', operator: 'startsWith', value: '/etc/nginx/' },
    { field: 'changeType', operator: 'eq', value: 'modified' },
  ],
  createdAt: '2026-11-30T10:00:00.000Z',
};

const createRule: z.input<typeof CreateRuleSchema> = {
  name: rule.name,
  policyId: POLICY,
  labelId: 'lbl_expected',
  note: 'apt upgrade',
  criteria: rule.criteria,
};

const label: Label = {
  id: 'lbl_06h2qedk00e801dzt7ywnadvs7',
  name: 'Change window',
  color: '#1d76db',
  description: 'Made during the Saturday change window.',
  notify: false,
  builtIn: false,
  createdAt: '2026-11-30T10:00:00.000Z',
  updatedAt: '2026-11-30T10:00:00.000Z',
};

const alertProfile: AlertProfile = {
  id: PROFILE,
  name: 'Security on call',
  recipients: ['sec@example.com'],
  severities: ['critical'],
  createdAt: '2026-11-30T09:15:00.000Z',
  updatedAt: '2026-11-30T09:15:00.000Z',
};

const createAlertProfile: z.input<typeof CreateAlertProfileSchema> = { name: 'Security on call', recipients: ['sec@example.com'], severities: ['critical'] };

const settings: Settings = {
  labeledEventSyncIntervalMinutes: 30,
  weeklyReport: { dayOfWeek: 'sunday', time: '00:00' },
  eventRetentionDays: 90,
  agentCheckInIntervalSeconds: 300,
  alertMailsPerProfilePerHour: 20,
  enrollmentRateLimitPerMinute: 1000,
  enrollmentKeyMaxAgeDays: null,
};

const createTenant: z.input<typeof CreateTenantSchema> = { name: 'Example Corp' };
const createApiKey: z.input<typeof CreateApiKeySchema> = { name: 'triage bot', role: 'user' };
const labelEvents: z.input<typeof LabelEventsSchema> = { eventIds: [event.id], labelId: 'lbl_expected', note: 'CR-1042' };

export const EXAMPLES: Record<string, unknown> = {
  Entry: after,
  Target: target,
  Policy: policy,
  CreatePolicy: createPolicy,
  ServerGroup: group,
  CreateServerGroup: createGroup,
  Server: server,
  Scan: scan,
  Event: event,
  Rule: rule,
  CreateRule: createRule,
  Label: label,
  LabelEvents: labelEvents,
  AlertProfile: alertProfile,
  CreateAlertProfile: createAlertProfile,
  Settings: settings,
  CreateTenant: createTenant,
  CreatedTenant: {
    tenant: { id: TENANT, name: 'Example Corp' },
    adminKey: `dwk_${TENANT}.key_06h2qedk00vyt39g45w4kjnnr3.q8Yd2c6Jx0vE5nWm1bR7tK3pL9sA4fG6hZ2uC8iO0eQ`,
    enrollmentKey: `dwe_${TENANT}.1.Vt3nQ8sL2pX6cR0mK9bJ4wF7yD1hA5gE3uZ8iN2oT6k`,
  },
  CreateApiKey: createApiKey,
  CreatedApiKey: {
    id: 'key_06h2qedk00vyt39g45w4kjnnr3',
    name: 'triage bot',
    role: 'user',
    createdAt: '2026-11-30T09:13:00.000Z',
    key: `dwk_${TENANT}.key_06h2qedk00vyt39g45w4kjnnr3.q8Yd2c6Jx0vE5nWm1bR7tK3pL9sA4fG6hZ2uC8iO0eQ`,
  },
  Problem: {
    type: 'https://driftwatch.dev/problems/validation',
    title: 'Invalid request',
    status: 400,
    detail: 'Unknown field(s): target.',
    errors: [{ path: 'target', message: 'unknown field' }],
  },
};

/** The document with each example set on its component schema. */
export function withExamples<D extends { components?: { schemas?: Record<string, unknown> } }>(document: D): D {
  const schemas = document.components?.schemas ?? {};
  for (const [name, example] of Object.entries(EXAMPLES)) {
    const schema = schemas[name];
    if (!schema) throw new Error(`An example is given for ${name}, which is not a component of the document.`);
    schemas[name] = { ...(schema as object), example };
  }
  return document;
}
