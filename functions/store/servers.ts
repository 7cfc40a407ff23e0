import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import type { Server } from '../api/schemas/server.schemas.ts';
import { keys } from './keys.ts';
import { getItem, conditionally, queryPage, withoutKeys, type Page, type PageRequest } from './db.ts';
import type { ScanKind } from '../contract/agent.schemas.ts';

export interface PendingScanRef {
  kind: ScanKind;
  requestedAt: string;
}

/**
 * The server item is also the agent's inbox: pending scans live in a map on it, so a check-in reads
 * the server and the tenant (config version) in one BatchGet and nothing else.
 */
export interface ServerItem {
  id: string;
  hostname: string;
  platform: 'linux' | 'windows';
  agentVersion: string;
  groupId: string;
  tags: string[];
  /** Stored lifecycle; `offline` is derived from lastSeenAt when read. */
  state: 'active' | 'deactivated';
  lastSeenAt: string | null;
  enrolledAt: string;
  fimState: Server['fimState'];
  watching?: Server['watching'];
  secretHash: string;
  pendingScans: Record<string, PendingScanRef>;
}

export async function createServer(tenantId: string, server: ServerItem): Promise<void> {
  const { doc, table } = getDb();
  await doc.send(
    new PutCommand({
      TableName: table,
      Item: { ...keys.server(tenantId, server.id), ...keys.serverByGroup(tenantId, server.groupId, server.id), ...server },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function getServer(tenantId: string, serverId: string): Promise<ServerItem | undefined> {
  const item = await getItem<ServerItem & Record<string, unknown>>(keys.server(tenantId, serverId));
  return item ? (withoutKeys(item) as ServerItem) : undefined;
}

export async function listServers(tenantId: string, page: PageRequest, groupId?: string): Promise<Page<ServerItem>> {
  const query = groupId
    ? { pk: keys.serversOfGroup(tenantId, groupId).gsi1pk, skPrefix: 'SERVER#', index: 'gsi1' as const }
    : { pk: keys.serverPrefix(tenantId).pk, skPrefix: 'SERVER#' };
  const out = await queryPage<ServerItem & Record<string, unknown>>(query, page);
  return { items: out.items.map((i) => withoutKeys(i) as ServerItem), nextCursor: out.nextCursor };
}

/** Applies a PATCH (group and FIM state); the group index key moves with the group. */
export async function updateServer(tenantId: string, serverId: string, patch: { groupId?: string; fimState?: ServerItem['fimState'] }) {
  const sets: string[] = [];
  const values: Record<string, unknown> = {};
  if (patch.groupId) {
    sets.push('groupId = :g', 'gsi1pk = :gpk');
    values[':g'] = patch.groupId;
    values[':gpk'] = keys.serverByGroup(tenantId, patch.groupId, serverId).gsi1pk;
  }
  if (patch.fimState) {
    sets.push('fimState = :f');
    values[':f'] = patch.fimState;
  }
  if (sets.length === 0) return;
  const { doc, table } = getDb();
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: keys.server(tenantId, serverId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: values,
    }),
  );
}

export async function deactivateServer(tenantId: string, serverId: string): Promise<boolean> {
  const { doc, table } = getDb();
  return conditionally(
    doc.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.server(tenantId, serverId),
        UpdateExpression: 'SET #state = :d, pendingScans = :empty',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':d': 'deactivated', ':empty': {} },
      }),
    ),
  );
}

/**
 * Records that the agent was seen, at most once per `coalesceMs`: the condition makes a fresh
 * lastSeenAt a no-op write that DynamoDB refuses, so most check-ins write nothing at all.
 */
export async function touchServer(
  tenantId: string,
  serverId: string,
  now: Date,
  coalesceMs: number,
  agent: { agentVersion: string; watching?: ServerItem['watching'] },
): Promise<boolean> {
  const { doc, table } = getDb();
  return conditionally(
    doc.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.server(tenantId, serverId),
        UpdateExpression: 'SET lastSeenAt = :now, agentVersion = :v' + (agent.watching ? ', watching = :w' : ''),
        ConditionExpression: 'attribute_exists(pk) AND (attribute_type(lastSeenAt, :null) OR lastSeenAt < :stale)',
        ExpressionAttributeValues: {
          ':now': now.toISOString(),
          ':v': agent.agentVersion,
          ':stale': new Date(now.getTime() - coalesceMs).toISOString(),
          ':null': 'NULL',
          ...(agent.watching ? { ':w': agent.watching } : {}),
        },
      }),
    ),
  );
}

/** Puts a scan in the server's inbox; fails (false) when the server is missing or deactivated. */
export async function addPendingScan(tenantId: string, serverId: string, scanId: string, ref: PendingScanRef): Promise<boolean> {
  const { doc, table } = getDb();
  return conditionally(
    doc.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.server(tenantId, serverId),
        UpdateExpression: 'SET pendingScans.#id = :ref',
        ConditionExpression: 'attribute_exists(pk) AND #state = :active',
        ExpressionAttributeNames: { '#id': scanId, '#state': 'state' },
        ExpressionAttributeValues: { ':ref': ref, ':active': 'active' },
      }),
    ),
  );
}

export async function removePendingScan(tenantId: string, serverId: string, scanId: string): Promise<void> {
  const { doc, table } = getDb();
  await conditionally(
    doc.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.server(tenantId, serverId),
        UpdateExpression: 'REMOVE pendingScans.#id',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#id': scanId },
      }),
    ),
  );
}
