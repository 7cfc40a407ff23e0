import { gunzipSync, gzipSync } from 'node:zlib';
import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { getDb } from '../shared/clients.ts';
import type { TreeNode } from '../contract/tree.ts';
import { keys } from './keys.ts';

/**
 * Merkle tree nodes, content-addressed per tenant (`T#t#NODE#<hash>`). The payload is gzip'd JSON in one
 * binary attribute: a 128-entry leaf is a few KB instead of a deep map, which is cheaper to write and read.
 * Invariant kept by the writers: a stored node's whole subtree is stored.
 */
interface NodeItem {
  pk: string;
  sk: string;
  level: number;
  data: Uint8Array;
}

const BATCH_GET = 100;
const BATCH_WRITE = 25;

/** Which of `hashes` the tenant already has. */
export async function existingNodes(tenantId: string, hashes: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  await batchGet(tenantId, hashes, 'pk', (item) => found.add(hashFromPk(item.pk as string)));
  return found;
}

export async function loadNodes(tenantId: string, hashes: readonly string[]): Promise<Map<string, TreeNode>> {
  const nodes = new Map<string, TreeNode>();
  await batchGet(tenantId, hashes, undefined, (item) => {
    const hash = hashFromPk(item.pk as string);
    const payload = JSON.parse(gunzipSync(item.data as Uint8Array).toString('utf8'));
    const level = item.level as number;
    nodes.set(hash, level === 0 ? { level: 0, hash, entries: payload } : { level, hash, children: payload });
  });
  return nodes;
}

/** Writes nodes lowest level first, so that a crash midway never leaves a parent without its children. */
export async function storeNodes(tenantId: string, nodes: readonly TreeNode[]): Promise<void> {
  const { doc, table } = getDb();
  const byLevel = [...nodes].sort((a, b) => a.level - b.level);
  let index = 0;
  while (index < byLevel.length) {
    const level = byLevel[index]!.level;
    const sameLevel: TreeNode[] = [];
    while (index < byLevel.length && byLevel[index]!.level === level) sameLevel.push(byLevel[index++]!);
    for (let i = 0; i < sameLevel.length; i += BATCH_WRITE) {
      let requests = sameLevel.slice(i, i + BATCH_WRITE).map((node) => ({ PutRequest: { Item: toItem(tenantId, node) } }));
      let attempt = 0;
      while (requests.length > 0) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
        requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt++)));
      }
    }
  }
}

function toItem(tenantId: string, node: TreeNode): NodeItem {
  const payload = node.level === 0 ? (node as { entries: unknown }).entries : (node as { children: unknown }).children;
  return { ...keys.node(tenantId, node.hash), level: node.level, data: gzipSync(JSON.stringify(payload)) };
}

function hashFromPk(pk: string): string {
  return pk.slice(pk.lastIndexOf('#') + 1);
}

async function batchGet(tenantId: string, hashes: readonly string[], projection: string | undefined, onItem: (item: Record<string, unknown>) => void) {
  const { doc, table } = getDb();
  const unique = [...new Set(hashes)];
  for (let i = 0; i < unique.length; i += BATCH_GET) {
    let request: Record<string, { Keys: object[]; ProjectionExpression?: string }> | undefined = {
      [table]: { Keys: unique.slice(i, i + BATCH_GET).map((h) => keys.node(tenantId, h)), ProjectionExpression: projection },
    };
    let attempt = 0;
    while (request && Object.keys(request).length > 0) {
      const out = await doc.send(new BatchGetCommand({ RequestItems: request }));
      for (const item of out.Responses?.[table] ?? []) onItem(item);
      request = out.UnprocessedKeys as typeof request;
      if (request && Object.keys(request).length > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt++)));
    }
  }
}
