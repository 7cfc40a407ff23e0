import { TABLE_KEY } from './table.ts';

/**
 * Every DynamoDB key format of the single table, in one place. Each key starts with the tenant id
 * (`T#<tenantId>`), which callers take from the verified credential, never from the request.
 *
 * | item         | pk                      | sk            | gsi1 (pk / sk)                | gsi2 (pk / sk)             | gsi3 (pk / sk)            |
 * |--------------|-------------------------|---------------|-------------------------------|----------------------------|---------------------------|
 * | tenant       | T#t                     | TENANT        | TENANTS / T#t                 |                            | WAKE#w / time#reports#T#t#t|
 * | api key      | T#t                     | APIKEY#k      |                               |                            |                           |
 * | server group | T#t                     | GROUP#g       |                               |                            | WAKE#w / time#scans#T#t#g |
 * | policy       | T#t                     | POLICY#p      |                               |                            |                           |
 * | server       | T#t#SRV#s               | SERVER        | T#t#GROUP#g / SERVER#s        | T#t#SERVERS / SERVER#s     |                           |
 * | inbox entry  | T#t#SRV#s               | INBOX#scan    |                               |                            |                           |
 * | scan state   | T#t#SRV#s               | STATE#p       |                               |                            |                           |
 * | scan         | T#t#SCAN#k              | SCAN#id       | T#t#SRV#s#SCANS / SCAN#id     | T#t#UPLOADED#k / <at>#id   |                           |
 * | tree node    | T#t#NODE#hash           | NODE          |                               |                            |                           |
 * | event        | T#t#EV#k                | EV#id         | T#t#SRV#s#EV / EV#id          | T#t#POL#p#EV#k / EV#id     |                           |
 * | report       | T#t#REPORTS             | REPORT#id     | T#t#POL#p#REPORTS / REPORT#id |                            |                           |
 * | report part  | T#t#REPORT#id           | PART#nnnnn    |                               |                            |                           |
 * | report cursor| T#t                     | REPORTCURSOR#p|                               |                            |                           |
 * | label        | T#t                     | LABEL#l       |                               | T#t#CLEANUP / <at>#label#l (deleted, until cleaned up) |   |
 * | rule         | T#t                     | RULE#r        |                               | T#t#CLEANUP / <at>#rule#r (deleted, until cleaned up)  |   |
 * | labeled event| T#t#LBLEV#l#k           | EV#id         | T#t#RULE#r#k / EV#id (a rule applied it) |                 |                           |
 * | unlabeled ev.| T#t#UNLBL#k             | EV#id         |                               |                            |                           |
 * | label record | T#t#LH#k                | LH#id         | T#t#POL#p#LH#k / LH#id        | T#t#LBL#l#LH#k / LH#id     | T#t#NOTIFY#k / LH#id (until synced) |
 * | record seq   | T#t                     | LHSEQ         |                               |                            |                           |
 * | day counters | T#t#DASH                | DAY#d#kk      |                               |                            |                           |
 * | alert profile| T#t                     | ALERTPROFILE#a|                               |                            |                           |
 * | alert digest | T#t#DIGEST#d            | DIGEST        | T#t#DIGESTS / wakeAt#d        |                            |                           |
 * | its decision | T#t#DIGEST#d            | PROFILE#a     |                               |                            |                           |
 * | its send     | T#t#DIGEST#d            | SEND#a#email  |                               |                            |                           |
 * | alert quota  | T#t#AQ#a#hour           | QUOTA         |                               |                            |                           |
 * | held back    | T#t#AQ#a#hour           | SRV#s         |                               |                            |                           |
 * | audit entry  | T#t#AUDIT#k             | AUDIT#id      | T#t#OBJ#o#AUDIT / AUDIT#id    |                            |                           |
 * | rate window  | T#t#RATE                | name#minute   |                               |                            |                           |
 * | sync dest.   | T#t                     | SYNCDEST#d    |                               |                            |                           |
 * | outbox item  | T#t#SYNC#d              | OUT#lhr       | T#t#SYNC#d#PENDING / OUT#lhr (until delivered) |           |                           |
 * | open batch   | T#t#SYNC#d              | BATCH         |                               |                            |                           |
 *
 * An alert digest (one server's alerting changes of one scan or real-time window, or a held-back summary,
 * or a test mail) keeps everything about its delivery in its own partition: the digest, one decision per
 * alert profile (sent or held back) and one claim per recipient, read in one Query. Only pending digests
 * are in gsi1 (sparse), by the time the schedule tick should (re)send them. Flood control counts per
 * profile and UTC hour in a small partition of its own.
 *
 * `k` is a write shard, 0..SHARDS-1, derived from the item's id: a tenant's scans and events are written
 * across SHARDS partitions instead of one (docs/data-model.md has the arithmetic), and lists read the
 * shards in parallel and merge them newest first. A server's own items share its partition, so the
 * check-in reads the server and its inbox in one Query.
 * A scan is in gsi2 (`UPLOADED`) only while its upload is recorded and its ingest not done: the schedule's
 * sweep reads it by time (`<at>` is when its ingest was last enqueued) to re-drive an ingest whose message
 * was lost. Sharded like the scans themselves, since a scheduled scan of a large group writes it in a burst.
 *
 * A deleted label or rule is in gsi2 (`CLEANUP`) until the label-cleanup worker has taken its labels off
 * every event: `<at>` is when its cleanup last made progress (or was last sent), so the schedule's sweep
 * re-sends only a cleanup whose message was lost or keeps failing, never one that is merely long.
 *
 * The wake index (gsi3, sparse) holds every item with recurring work due at a time (a group's scheduled
 * scans, a tenant's weekly reports) under that time, in WAKE_SHARDS global partitions `WAKE#w` (`w` from
 * the tenant and item): the minute tick reads the shards up to now, with no walk of tenants or groups.
 * It is written each time an item's work moves on, by every tenant, so one partition would be hot.
 */
export interface Key {
  pk: string;
  sk: string;
}

/** Write shards per tenant for time-ordered collections (scans, events). A power of two. */
export const SHARDS = 16;

/** The shard of an id: FNV-1a of its characters, so any process derives the same one. */
export function shardOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % SHARDS;
}

/** Partitions of the wake index. Each group or tenant moves its entry once per slot; 16 spread a top-of-the-hour burst. */
export const WAKE_SHARDS = 16;

/** What an entry of the wake index wakes: a server group's scheduled scans, or a tenant's weekly reports. */
export type WakeKind = 'scans' | 'reports';

/** Who an entry of the wake index belongs to, read back from its sort key. */
export interface WakeEntry {
  kind: WakeKind;
  tenantId: string;
  /** The group id (scans) or the tenant id again (reports). */
  id: string;
}

const t = (tenantId: string) => `T#${tenantId}`;
const shards = (prefix: string) => Array.from({ length: SHARDS }, (_, k) => `${prefix}#${k}`);

export const keys = {
  tenant: (tenantId: string): Key => ({ pk: t(tenantId), sk: 'TENANT' }),
  /** All tenants, for the schedule handler (the only cross-tenant read, and it reads ids only). */
  tenantIndex: (tenantId: string) => ({ gsi1pk: 'TENANTS', gsi1sk: t(tenantId) }),
  allTenants: () => ({ pk: 'TENANTS', skPrefix: 'T#' }),

  apiKey: (tenantId: string, keyId: string): Key => ({ pk: t(tenantId), sk: `APIKEY#${keyId}` }),
  apiKeys: (tenantId: string) => ({ pk: t(tenantId), skPrefix: 'APIKEY#' }),

  group: (tenantId: string, groupId: string): Key => ({ pk: t(tenantId), sk: `GROUP#${groupId}` }),
  groups: (tenantId: string) => ({ pk: t(tenantId), skPrefix: 'GROUP#' }),

  policy: (tenantId: string, policyId: string): Key => ({ pk: t(tenantId), sk: `POLICY#${policyId}` }),
  policies: (tenantId: string) => ({ pk: t(tenantId), skPrefix: 'POLICY#' }),

  /** The partition of one server: the server item, its inbox and its scan states. */
  serverPartition: (tenantId: string, serverId: string) => `${t(tenantId)}#SRV#${serverId}`,
  server: (tenantId: string, serverId: string): Key => ({ pk: keys.serverPartition(tenantId, serverId), sk: 'SERVER' }),
  serverIndexes: (tenantId: string, server: { id: string; groupId: string }) => ({
    gsi1pk: `${t(tenantId)}#GROUP#${server.groupId}`,
    gsi1sk: `SERVER#${server.id}`,
    gsi2pk: `${t(tenantId)}#SERVERS`,
    gsi2sk: `SERVER#${server.id}`,
  }),
  serversOfGroup: (tenantId: string, groupId: string) => ({ index: 'gsi1' as const, pk: `${t(tenantId)}#GROUP#${groupId}`, skPrefix: 'SERVER#' }),
  allServers: (tenantId: string) => ({ index: 'gsi2' as const, pk: `${t(tenantId)}#SERVERS`, skPrefix: 'SERVER#' }),

  /** A pending scan in a server's inbox; the check-in reads INBOX# to SERVER in one Query. */
  inbox: (tenantId: string, serverId: string, scanId: string): Key => ({ pk: keys.serverPartition(tenantId, serverId), sk: `INBOX#${scanId}` }),
  inboxAndServer: (tenantId: string, serverId: string) => ({ pk: keys.serverPartition(tenantId, serverId), from: 'INBOX#', to: 'SERVER' }),

  scanState: (tenantId: string, serverId: string, policyId: string): Key => ({ pk: keys.serverPartition(tenantId, serverId), sk: `STATE#${policyId}` }),
  scanStates: (tenantId: string, serverId: string) => ({ pk: keys.serverPartition(tenantId, serverId), skPrefix: 'STATE#' }),

  scan: (tenantId: string, scanId: string): Key => ({ pk: `${t(tenantId)}#SCAN#${shardOf(scanId)}`, sk: `SCAN#${scanId}` }),
  scanIndexes: (tenantId: string, scan: { id: string; serverId: string }) => ({
    gsi1pk: `${t(tenantId)}#SRV#${scan.serverId}#SCANS`,
    gsi1sk: `SCAN#${scan.id}`,
  }),
  scanShards: (tenantId: string) => shards(`${t(tenantId)}#SCAN`),
  scansOfServer: (tenantId: string, serverId: string) => ({ index: 'gsi1' as const, pk: `${t(tenantId)}#SRV#${serverId}#SCANS` }),
  /** Index keys of a scan whose upload awaits its ingest, which was last enqueued at `enqueuedAt` (ISO). */
  scanAwaitingIngest: (tenantId: string, scanId: string, enqueuedAt: string) => ({
    gsi2pk: `${t(tenantId)}#UPLOADED#${shardOf(scanId)}`,
    gsi2sk: `${enqueuedAt}#${scanId}`,
  }),
  /** Every shard of the scans awaiting their ingest, up to those enqueued before `enqueuedBefore` (ISO). */
  scansAwaitingIngest: (tenantId: string, enqueuedBefore: string) => ({
    index: 'gsi2' as const,
    pks: shards(`${t(tenantId)}#UPLOADED`),
    from: '0',
    to: enqueuedBefore,
  }),

  node: (tenantId: string, hash: string): Key => ({ pk: `${t(tenantId)}#NODE#${hash}`, sk: 'NODE' }),

  event: (tenantId: string, eventId: string): Key => ({ pk: `${t(tenantId)}#EV#${shardOf(eventId)}`, sk: `EV#${eventId}` }),
  /** Events are indexed by server and by policy; a group filter reads the tenant's shards (writes cost more than rare group lists). */
  eventIndexes: (tenantId: string, event: { id: string; serverId: string; policyId: string }) => ({
    gsi1pk: `${t(tenantId)}#SRV#${event.serverId}#EV`,
    gsi1sk: `EV#${event.id}`,
    gsi2pk: `${t(tenantId)}#POL#${event.policyId}#EV#${shardOf(event.id)}`,
    gsi2sk: `EV#${event.id}`,
  }),
  eventShards: (tenantId: string) => shards(`${t(tenantId)}#EV`),

  /** A weekly report (its metadata), listed newest first by tenant or, through gsi1, by policy. */
  report: (tenantId: string, reportId: string): Key => ({ pk: `${t(tenantId)}#REPORTS`, sk: `REPORT#${reportId}` }),
  reportIndexes: (tenantId: string, report: { id: string; policyId: string }) => ({ gsi1pk: `${t(tenantId)}#POL#${report.policyId}#REPORTS`, gsi1sk: `REPORT#${report.id}` }),
  reports: (tenantId: string) => ({ pk: `${t(tenantId)}#REPORTS`, skPrefix: 'REPORT#' }),
  reportsOfPolicy: (tenantId: string, policyId: string) => ({ index: 'gsi1' as const, pk: `${t(tenantId)}#POL#${policyId}#REPORTS`, skPrefix: 'REPORT#' }),
  /** The zipped CSV of a report in parts (a report can outgrow one item), in order, in the report's own partition. */
  reportPart: (tenantId: string, reportId: string, part: number): Key => ({ pk: `${t(tenantId)}#REPORT#${reportId}`, sk: `PART#${String(part).padStart(5, '0')}` }),
  reportParts: (tenantId: string, reportId: string) => ({ pk: `${t(tenantId)}#REPORT#${reportId}`, skPrefix: 'PART#' }),
  /** Where a policy's next report starts (the last report's end, in time and in label record sequence). */
  reportCursor: (tenantId: string, policyId: string): Key => ({ pk: t(tenantId), sk: `REPORTCURSOR#${policyId}` }),

  /** The wake index entry of an item whose work is due at `wakeAt` (ISO): time first, so a range reads what is due. */
  wakeIndex: (entry: WakeEntry, wakeAt: string) => ({
    gsi3pk: `WAKE#${shardOf(`${entry.tenantId}/${entry.kind}/${entry.id}`) % WAKE_SHARDS}`,
    gsi3sk: `${wakeAt}#${entry.kind}#${t(entry.tenantId)}#${entry.id}`,
  }),
  /** Every wake shard, up to the entries due at `until` (ISO) included. */
  dueUntil: (until: string) => ({ index: 'gsi3' as const, pks: Array.from({ length: WAKE_SHARDS }, (_, w) => `WAKE#${w}`), from: '0', to: `${until}#~` }),
  eventsOfServer: (tenantId: string, serverId: string) => ({ index: 'gsi1' as const, pks: [`${t(tenantId)}#SRV#${serverId}#EV`] }),
  eventsOfPolicy: (tenantId: string, policyId: string) => ({ index: 'gsi2' as const, pks: shards(`${t(tenantId)}#POL#${policyId}#EV`) }),

  /** An audit entry, sharded like events; gsi1 holds the trail of the object it concerns (a server, a key). */
  audit: (tenantId: string, auditId: string): Key => ({ pk: `${t(tenantId)}#AUDIT#${shardOf(auditId)}`, sk: `AUDIT#${auditId}` }),
  auditIndexes: (tenantId: string, entry: { id: string; target?: { id: string } | undefined }): Record<string, string> =>
    entry.target ? { gsi1pk: `${t(tenantId)}#OBJ#${entry.target.id}#AUDIT`, gsi1sk: `AUDIT#${entry.id}` } : {},
  auditShards: (tenantId: string) => shards(`${t(tenantId)}#AUDIT`),
  auditOfObject: (tenantId: string, objectId: string) => ({ index: 'gsi1' as const, pks: [`${t(tenantId)}#OBJ#${objectId}#AUDIT`] }),

  /** A counter of one rate limit for one window (`enroll`, `2026-12-01T12:34`); it expires with TTL. */
  rateWindow: (tenantId: string, limit: string, window: string): Key => ({ pk: `${t(tenantId)}#RATE`, sk: `${limit}#${window}` }),
} as const;

/** Label, rule and triage keys (labels.ts, rules.ts, event-labels.ts, label-history.ts, dashboard-counters.ts). */
export const triageKeys = {
  label: (tenantId: string, labelId: string): Key => ({ pk: t(tenantId), sk: `LABEL#${labelId}` }),
  labels: (tenantId: string) => ({ pk: t(tenantId), skPrefix: 'LABEL#' }),
  rule: (tenantId: string, ruleId: string): Key => ({ pk: t(tenantId), sk: `RULE#${ruleId}` }),
  rules: (tenantId: string) => ({ pk: t(tenantId), skPrefix: 'RULE#' }),
  /** Index keys of a deleted label's or rule's cleanup, owed until done; `progressAt` is when it last moved. */
  cleanupOwed: (tenantId: string, kind: 'label' | 'rule', id: string, progressAt: string) => ({
    gsi2pk: `${t(tenantId)}#CLEANUP`,
    gsi2sk: `${progressAt}#${kind}#${id}`,
  }),
  /** The cleanups owed in a tenant that last moved before `progressBefore` (ISO). */
  cleanupsOwed: (tenantId: string, progressBefore: string) => ({ index: 'gsi2' as const, pk: `${t(tenantId)}#CLEANUP`, from: '0', to: progressBefore }),

  /** One item per (label, event) the label is on, in the event's shard: listing by label reads only these. */
  labeledEvent: (tenantId: string, labelId: string, eventId: string): Key => ({ pk: `${t(tenantId)}#LBLEV#${labelId}#${shardOf(eventId)}`, sk: `EV#${eventId}` }),
  labeledEventShards: (tenantId: string, labelId: string) => shards(`${t(tenantId)}#LBLEV#${labelId}`),
  /** Sparse: only on items a rule applied, so deleting a rule finds exactly its labels. */
  labeledByRuleIndex: (tenantId: string, ruleId: string, eventId: string) => ({ gsi1pk: `${t(tenantId)}#RULE#${ruleId}#${shardOf(eventId)}`, gsi1sk: `EV#${eventId}` }),
  labeledByRuleShards: (tenantId: string, ruleId: string) => ({ index: 'gsi1' as const, pks: shards(`${t(tenantId)}#RULE#${ruleId}`) }),
  /** One item per event that carries no label: the triage queue. */
  unlabeledEvent: (tenantId: string, eventId: string): Key => ({ pk: `${t(tenantId)}#UNLBL#${shardOf(eventId)}`, sk: `EV#${eventId}` }),
  unlabeledEventShards: (tenantId: string) => shards(`${t(tenantId)}#UNLBL`),

  labelRecord: (tenantId: string, recordId: string): Key => ({ pk: `${t(tenantId)}#LH#${shardOf(recordId)}`, sk: `LH#${recordId}` }),
  labelRecordIndexes: (tenantId: string, record: { id: string; policyId: string; labelId: string }, pendingSync: boolean) => ({
    gsi1pk: `${t(tenantId)}#POL#${record.policyId}#LH#${shardOf(record.id)}`,
    gsi1sk: `LH#${record.id}`,
    gsi2pk: `${t(tenantId)}#LBL#${record.labelId}#LH#${shardOf(record.id)}`,
    gsi2sk: `LH#${record.id}`,
    ...(pendingSync ? { gsi3pk: `${t(tenantId)}#NOTIFY#${shardOf(record.id)}`, gsi3sk: `LH#${record.id}` } : {}),
  }),
  labelRecordShards: (tenantId: string) => ({ index: undefined, pks: shards(`${t(tenantId)}#LH`) }),
  labelRecordsOfPolicy: (tenantId: string, policyId: string) => ({ index: 'gsi1' as const, pks: shards(`${t(tenantId)}#POL#${policyId}#LH`) }),
  labelRecordsOfLabel: (tenantId: string, labelId: string) => ({ index: 'gsi2' as const, pks: shards(`${t(tenantId)}#LBL#${labelId}#LH`) }),
  /** Records of notify labels that no sync has delivered yet (the label-sync worker removes gsi3 once sent). */
  labelRecordsPendingSync: (tenantId: string) => ({ index: 'gsi3' as const, pks: shards(`${t(tenantId)}#NOTIFY`) }),
  labelRecordSeq: (tenantId: string): Key => ({ pk: t(tenantId), sk: 'LHSEQ' }),

  /** A day's change counters, one item per server shard (`kk` two digits), all in one tenant partition. */
  dayCounters: (tenantId: string, day: string, serverShard: number): Key => ({ pk: `${t(tenantId)}#DASH`, sk: `DAY#${day}#${String(serverShard).padStart(2, '0')}` }),
  dayCounterRange: (tenantId: string, fromDay: string, toDay: string) => ({ pk: `${t(tenantId)}#DASH`, from: `DAY#${fromDay}#`, to: `DAY#${toDay}#~` }),
} as const;

/** Alert profile and alert mail keys (alert-profiles.ts, alert-digests.ts, alert-quota.ts). */
export const alertKeys = {
  alertProfile: (tenantId: string, profileId: string): Key => ({ pk: t(tenantId), sk: `ALERTPROFILE#${profileId}` }),
  alertProfiles: (tenantId: string) => ({ pk: t(tenantId), skPrefix: 'ALERTPROFILE#' }),

  /** The partition of one alert digest: the digest, its decision per profile, its send per recipient. */
  digestPartition: (tenantId: string, digestId: string) => `${t(tenantId)}#DIGEST#${digestId}`,
  digest: (tenantId: string, digestId: string): Key => ({ pk: alertKeys.digestPartition(tenantId, digestId), sk: 'DIGEST' }),
  digestDecision: (tenantId: string, digestId: string, profileId: string): Key => ({ pk: alertKeys.digestPartition(tenantId, digestId), sk: `PROFILE#${profileId}` }),
  digestSend: (tenantId: string, digestId: string, profileId: string, recipient: string): Key => ({
    pk: alertKeys.digestPartition(tenantId, digestId),
    sk: `SEND#${profileId}#${recipient}`,
  }),
  /** A pending digest in gsi1, by the time the schedule tick should wake it (sparse: removed once sent). */
  pendingDigestIndex: (tenantId: string, digest: { id: string; wakeAt: string }) => ({ gsi1pk: `${t(tenantId)}#DIGESTS`, gsi1sk: `${digest.wakeAt}#${digest.id}` }),
  /** Pending digests whose wake time is at or before `until` (ISO). */
  dueDigests: (tenantId: string, until: string) => ({ index: 'gsi1' as const, pk: `${t(tenantId)}#DIGESTS`, from: '0', to: `${until}#~` }),

  /** Flood control of one alert profile in one UTC hour (`hour` is its ISO start). */
  alertQuota: (tenantId: string, profileId: string, hour: string): Key => ({ pk: `${t(tenantId)}#AQ#${profileId}#${hour}`, sk: 'QUOTA' }),
  heldBackServer: (tenantId: string, profileId: string, hour: string, serverId: string): Key => ({ pk: `${t(tenantId)}#AQ#${profileId}#${hour}`, sk: `SRV#${serverId}` }),
  heldBackServers: (tenantId: string, profileId: string, hour: string) => ({ pk: `${t(tenantId)}#AQ#${profileId}#${hour}`, skPrefix: 'SRV#' }),
} as const;

/**
 * Label sync keys (sync-destinations.ts, sync-outbox.ts). A destination's outbox is its own partition: one
 * item per label record (application of a notify label) it owes or has delivered, and the one batch in flight.
 * Only owed items are in gsi1 (sparse), oldest record first, so a delivery reads exactly what it owes.
 */
export const syncKeys = {
  destination: (tenantId: string, destinationId: string): Key => ({ pk: t(tenantId), sk: `SYNCDEST#${destinationId}` }),
  destinations: (tenantId: string) => ({ pk: t(tenantId), skPrefix: 'SYNCDEST#' }),
  outboxPartition: (tenantId: string, destinationId: string) => `${t(tenantId)}#SYNC#${destinationId}`,
  outboxItem: (tenantId: string, destinationId: string, recordId: string): Key => ({ pk: syncKeys.outboxPartition(tenantId, destinationId), sk: `OUT#${recordId}` }),
  /** Sparse: only on items not yet acknowledged by the destination. */
  owedIndex: (tenantId: string, destinationId: string, recordId: string) => ({ gsi1pk: `${syncKeys.outboxPartition(tenantId, destinationId)}#PENDING`, gsi1sk: `OUT#${recordId}` }),
  owed: (tenantId: string, destinationId: string) => ({ index: 'gsi1' as const, pk: `${syncKeys.outboxPartition(tenantId, destinationId)}#PENDING`, skPrefix: 'OUT#' }),
  /** The batch being delivered (at most one per destination): its webhook-id and the records it carries. */
  openBatch: (tenantId: string, destinationId: string): Key => ({ pk: syncKeys.outboxPartition(tenantId, destinationId), sk: 'BATCH' }),
} as const;

/** One string per primary key, to find an item by its key in a Map. */
export const keyString = (key: Key): string => `${key.pk}\u0000${key.sk}`;

/** The owner of a wake index entry, from its sort key (keys.wakeIndex). */
export function wakeEntryOf(gsi3sk: string): WakeEntry {
  const [, kind, tenantMark, tenantId, id] = gsi3sk.split('#');
  if ((kind !== 'scans' && kind !== 'reports') || tenantMark !== 'T' || !tenantId || !id) throw new Error(`not a wake index key: ${gsi3sk}`);
  return { kind, tenantId, id };
}

/** The primary key attributes of an item. */
export const keyOf = (item: Record<string, unknown>): Key => ({ pk: item[TABLE_KEY.partitionKey] as string, sk: item[TABLE_KEY.sortKey] as string });
