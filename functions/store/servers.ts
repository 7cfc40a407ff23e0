import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import type { FimState, Platform, ScanKind } from '../model/enums.ts';
import type { Server } from '../model/server.ts';
import { keys } from './keys.ts';
import { defineEntity } from './entity.ts';
import { batchWrite } from './batch.ts';
import type { Item, Page, PageRequest } from './db.ts';

/** The stored server: the served Server less what is derived (status), plus its credential hash. */
export interface ServerItem {
  id: string;
  hostname: string;
  platform: Platform;
  agentVersion: string;
  groupId: string;
  tags: string[];
  /** Stored lifecycle; `offline` is derived from lastSeenAt when read. */
  state: 'active' | 'deactivated';
  lastSeenAt: string | null;
  enrolledAt: string;
  fimState: FimState;
  watching?: Server['watching'];
  /** Software ids the agent last reported, sorted (written only when they change). */
  software?: string[];
  secretHash: string;
}

/** A scan waiting for the server's agent: one item per scan beside the server item (the agent's inbox). */
export interface InboxItem {
  serverId: string;
  scanId: string;
  kind: ScanKind;
  requestedAt: string;
}

export const servers = defineEntity<ServerItem>({
  name: 'server',
  key: (tenantId, serverId) => keys.server(tenantId, serverId),
  idOf: (server) => server.id,
  indexes: (tenantId, server) => keys.serverIndexes(tenantId, server),
});

export const inbox = defineEntity<InboxItem, { serverId: string; scanId: string }>({
  name: 'inbox entry',
  key: (tenantId, { serverId, scanId }) => keys.inbox(tenantId, serverId, scanId),
  idOf: (entry) => ({ serverId: entry.serverId, scanId: entry.scanId }),
});

export const getServer = (tenantId: string, serverId: string) => servers.get(tenantId, serverId);

/**
 * The server and its inbox in ONE Query (they share a partition; INBOX# sorts before SERVER): what the
 * agent's every check-in reads.
 */
export async function getServerWithInbox(tenantId: string, serverId: string): Promise<{ server: ServerItem; inbox: InboxItem[] } | undefined> {
  const { doc, table } = getDb();
  const range = keys.inboxAndServer(tenantId, serverId);
  const entries: InboxItem[] = [];
  let server: ServerItem | undefined;
  let startKey: Item | undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': range.pk, ':from': range.from, ':to': range.to },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of out.Items ?? []) {
      if (item.sk === 'SERVER') server = servers.fromItem(item);
      else entries.push(inbox.fromItem(item));
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return server ? { server, inbox: entries } : undefined;
}

export function listServers(tenantId: string, page: PageRequest, groupId?: string): Promise<Page<ServerItem>> {
  return servers.page(groupId ? keys.serversOfGroup(tenantId, groupId) : keys.allServers(tenantId), page);
}

/** Removes inbox entries (after a scan was delivered, failed, or its server was deactivated). */
export async function removeFromInbox(tenantId: string, serverId: string, scanIds: readonly string[]): Promise<void> {
  if (scanIds.length === 0) return;
  await batchWrite(scanIds.map((scanId) => ({ DeleteRequest: { Key: keys.inbox(tenantId, serverId, scanId) } })));
}

/** How many servers are not deactivated (Select COUNT over the tenant's server index: one request per ~1 MB of servers). */
export async function countActiveServers(tenantId: string): Promise<number> {
  const { doc, table } = getDb();
  const all = keys.allServers(tenantId);
  let count = 0;
  let startKey: Item | undefined;
  do {
    const out = await doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: all.index,
        KeyConditionExpression: 'gsi2pk = :pk',
        FilterExpression: '#state <> :deactivated',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':pk': all.pk, ':deactivated': 'deactivated' },
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
      }),
    );
    count += out.Count ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return count;
}
