/**
 * Every DynamoDB key format of the single table, in one place. Each key starts with the tenant id
 * (`T#<tenantId>`), which callers take from the verified credential, never from the request.
 *
 * | item            | pk                          | sk                 | gsi1pk                         | gsi1sk         |
 * |-----------------|-----------------------------|--------------------|--------------------------------|----------------|
 * | tenant          | T#t                         | TENANT             | TENANTS                        | T#t            |
 * | api key         | T#t                         | APIKEY#k           |                                |                |
 * | server group    | T#t                         | GROUP#g            |                                |                |
 * | policy          | T#t                         | POLICY#p           |                                |                |
 * | server          | T#t                         | SERVER#s           | T#t#GROUP#g                    | SERVER#s       |
 * | scan state      | T#t#SRV#s                   | STATE#p            |                                |                |
 * | scan            | T#t#SCANS                   | SCAN#id            | T#t#SRV#s#SCANS                | SCAN#id        |
 * | tree node       | T#t#NODE#hash               | NODE               |                                |                |
 * | event           | T#t#EVENTS                  | EV#id              | T#t#SRV#s#EVENTS               | EV#id          |
 */
export interface Key {
  pk: string;
  sk: string;
}

const t = (tenantId: string) => `T#${tenantId}`;

export const keys = {
  tenant: (tenantId: string): Key => ({ pk: t(tenantId), sk: 'TENANT' }),
  /** All tenants, for the schedule handler (the only cross-tenant read, and it reads ids only). */
  tenantIndex: (tenantId: string) => ({ gsi1pk: 'TENANTS', gsi1sk: t(tenantId) }),
  allTenants: () => ({ gsi1pk: 'TENANTS', skPrefix: 'T#' }),

  apiKey: (tenantId: string, keyId: string): Key => ({ pk: t(tenantId), sk: `APIKEY#${keyId}` }),
  apiKeyPrefix: (tenantId: string) => ({ pk: t(tenantId), skPrefix: 'APIKEY#' }),

  group: (tenantId: string, groupId: string): Key => ({ pk: t(tenantId), sk: `GROUP#${groupId}` }),
  groupPrefix: (tenantId: string) => ({ pk: t(tenantId), skPrefix: 'GROUP#' }),

  policy: (tenantId: string, policyId: string): Key => ({ pk: t(tenantId), sk: `POLICY#${policyId}` }),
  policyPrefix: (tenantId: string) => ({ pk: t(tenantId), skPrefix: 'POLICY#' }),

  server: (tenantId: string, serverId: string): Key => ({ pk: t(tenantId), sk: `SERVER#${serverId}` }),
  serverPrefix: (tenantId: string) => ({ pk: t(tenantId), skPrefix: 'SERVER#' }),
  serverByGroup: (tenantId: string, groupId: string, serverId: string) => ({
    gsi1pk: `${t(tenantId)}#GROUP#${groupId}`,
    gsi1sk: `SERVER#${serverId}`,
  }),
  serversOfGroup: (tenantId: string, groupId: string) => ({ gsi1pk: `${t(tenantId)}#GROUP#${groupId}`, skPrefix: 'SERVER#' }),

  scanState: (tenantId: string, serverId: string, policyId: string): Key => ({
    pk: `${t(tenantId)}#SRV#${serverId}`,
    sk: `STATE#${policyId}`,
  }),
  scanStatePrefix: (tenantId: string, serverId: string) => ({ pk: `${t(tenantId)}#SRV#${serverId}`, skPrefix: 'STATE#' }),

  scan: (tenantId: string, scanId: string): Key => ({ pk: `${t(tenantId)}#SCANS`, sk: `SCAN#${scanId}` }),
  scansPartition: (tenantId: string) => ({ pk: `${t(tenantId)}#SCANS`, skPrefix: 'SCAN#' }),
  scanByServer: (tenantId: string, serverId: string, scanId: string) => ({
    gsi1pk: `${t(tenantId)}#SRV#${serverId}#SCANS`,
    gsi1sk: `SCAN#${scanId}`,
  }),
  scansOfServer: (tenantId: string, serverId: string) => ({ gsi1pk: `${t(tenantId)}#SRV#${serverId}#SCANS`, skPrefix: 'SCAN#' }),

  node: (tenantId: string, hash: string): Key => ({ pk: `${t(tenantId)}#NODE#${hash}`, sk: 'NODE' }),

  event: (tenantId: string, eventId: string): Key => ({ pk: `${t(tenantId)}#EVENTS`, sk: `EV#${eventId}` }),
  eventsPartition: (tenantId: string) => ({ pk: `${t(tenantId)}#EVENTS`, skPrefix: 'EV#' }),
  eventByServer: (tenantId: string, serverId: string, eventId: string) => ({
    gsi1pk: `${t(tenantId)}#SRV#${serverId}#EVENTS`,
    gsi1sk: `EV#${eventId}`,
  }),
  eventsOfServer: (tenantId: string, serverId: string) => ({ gsi1pk: `${t(tenantId)}#SRV#${serverId}#EVENTS`, skPrefix: 'EV#' }),
} as const;
