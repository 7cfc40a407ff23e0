import type { Operation } from './spec.ts';
import type { TenantData, TenantIds, TenantKeys } from './tenant-data.ts';

/** A body that the route would accept: JSON, or raw text with its content type (CSV, XML). */
export type ValidBody = { json: unknown } | { raw: string; contentType: string };

export interface BodyContext {
  /** The ids a body refers to (a group's policies, the events to label): the caller's own, or another tenant's. */
  refs: TenantIds;
  /** Where a sync destination may point. */
  sinkUrl: string;
  /** An exported policy (`GET /v1/policies/{id}/export`), the body of `importPolicy`. */
  policyExport: unknown;
}

/**
 * A valid body for each operation that takes one, by operationId: the start from which hostile cases
 * change one thing. An operation missing here fails the test, so a new route gets a body here.
 */
export function validBody(op: Operation, ctx: BodyContext): ValidBody | undefined {
  if (!op.body) return undefined;
  const { refs } = ctx;
  const bodies: Record<string, ValidBody> = {
    createTenant: { json: { name: 'hostile' } },
    issueTenantAdminKey: { json: { name: 'second admin' } },
    createApiKey: { json: { name: 'k', role: 'user' } },
    createServerGroup: { json: { name: 'g', policyIds: [refs.policy], alertProfileIds: [refs.alertProfile] } },
    updateServerGroup: { json: { name: 'g2', policyIds: [refs.policy] } },
    updateServer: { json: { fimState: 'on' } },
    applyServerRecommendations: { json: { policyId: refs.policy } },
    createPolicy: { json: { name: 'p', platform: 'linux', baselineServerId: refs.server, targets: [{ path: '/opt/x' }] } },
    updatePolicy: { json: { name: 'p2', baselineServerId: refs.server } },
    importPolicyTargets: {
      contentType: 'text/csv',
      raw: 'path,ops_create,ops_delete,ops_write,ops_rename,ops_permission,excludes_type,excludes_spec\n/opt/imported,1,1,1,1,1,,\n',
    },
    importPolicy: { json: ctx.policyExport },
    labelEvents: { json: { eventIds: [refs.event], labelId: refs.label, note: 'n' } },
    editEventLabelNote: { json: { note: 'n2' } },
    createLabel: { json: { name: 'l', color: '#112233', policyId: refs.policy } },
    updateLabel: { json: { name: 'l2' } },
    createRule: { json: { name: 'r', policyId: refs.policy, labelId: refs.label, criteria: [{ field: 'path', operator: 'eq', value: '/x' }] } },
    cloneRule: { json: { name: 'c', policyId: refs.policy, labelId: refs.label } },
    importRules: { contentType: 'text/csv', raw: `name,description,note,monitor_id,label_id,field,operator,value\nr,d,n,${refs.policy},${refs.label},path,eq,/x\n` },
    updateSettings: { json: { eventRetentionDays: 30 } },
    createAlertProfile: { json: { name: 'a', recipients: ['a@example.com'] } },
    updateAlertProfile: { json: { name: 'a2' } },
    createSyncDestination: { json: { name: 's', type: 'webhook', url: ctx.sinkUrl, secret: '0123456789abcdef0' } },
    updateSyncDestination: { json: { name: 's2' } },
    enrollAgent: { json: { hostname: 'h', platform: 'linux', agentVersion: '1.0.0' } },
    checkIn: { json: { agentVersion: '1.0.0' } },
    startAgentScan: { json: { kind: 'on-demand' } },
    findMissingNodes: { json: { hashes: ['A'.repeat(22)] } },
    uploadNodes: { json: { policyId: refs.policy, nodes: [] } },
    completeScan: { json: { results: [{ policyId: refs.policy, root: 'A'.repeat(22), filesScanned: 1 }] } },
    failScan: { json: { error: 'x' } },
  };
  const body = bodies[op.operationId];
  if (!body) throw new Error(`no valid body for ${op.operationId}: add one to test/prove/helpers/valid-requests.ts`);
  return body;
}

/** Which of a tenant's ids a path parameter takes, by the resource its path names. */
const ID_OF_RESOURCE: Record<string, (ids: TenantIds, tenantId: string) => string> = {
  tenants: (_, tenantId) => tenantId,
  'api-keys': (ids) => ids.apiKey,
  'server-groups': (ids) => ids.group,
  servers: (ids) => ids.server,
  policies: (ids) => ids.policy,
  scans: (ids) => ids.scan,
  events: (ids) => ids.event,
  labels: (ids) => ids.labelOnEvent,
  rules: (ids) => ids.rule,
  reports: (ids) => ids.report,
  'alert-profiles': (ids) => ids.alertProfile,
  'sync-destinations': (ids) => ids.syncDestination,
  'agent/scans': (ids) => ids.pendingScan,
};

/** The path with each parameter replaced by the tenant's object of that kind (or by `override(param)` when given). */
export function concretePath(op: Operation, data: Pick<TenantData, 'ids'> & { keys: Pick<TenantKeys, 'tenantId'> }, override?: (param: string) => string | undefined): string {
  return op.path.replace(/\{([^}]+)\}/g, (_, param: string) => {
    const given = override?.(param);
    if (given !== undefined) return given;
    const segments = op.path.split('/');
    const resource = param === 'labelId' ? 'labels' : segments.slice(2, segments.indexOf(`{${param}}`)).filter((s) => !s.startsWith('{')).join('/');
    const idOf = ID_OF_RESOURCE[resource];
    if (!idOf) throw new Error(`no id for {${param}} of ${op.path}: add its resource to ID_OF_RESOURCE`);
    return encodeURIComponent(idOf(data.ids, data.keys.tenantId));
  });
}

/** The key that may call an operation: the operator's, the enrollment key, the agent's, or the tenant's admin key. */
export function keyFor(op: Operation, keys: TenantKeys, operatorKey: string): string {
  switch (op.credential) {
    case 'operatorKey':
      return operatorKey;
    case 'enrollmentKey':
      return keys.enrollment;
    case 'agentCredential':
      return keys.agent;
    default:
      return keys.admin;
  }
}
