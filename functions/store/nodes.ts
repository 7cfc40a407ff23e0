import { gunzipSync, gzipSync } from 'node:zlib';
import type { TreeNode } from '../contract/tree.ts';
import { keys } from './keys.ts';
import { batchGet, batchPut } from './batch.ts';

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

/** Which of `hashes` the tenant already has. */
export async function existingNodes(tenantId: string, hashes: readonly string[]): Promise<Set<string>> {
  const items = await batchGet<NodeItem>(hashes.map((h) => keys.node(tenantId, h)), { projection: ['pk'] });
  return new Set(items.map((item) => hashFromPk(item.pk)));
}

export async function loadNodes(tenantId: string, hashes: readonly string[]): Promise<Map<string, TreeNode>> {
  const nodes = new Map<string, TreeNode>();
  for (const item of await batchGet<NodeItem>(hashes.map((h) => keys.node(tenantId, h)))) {
    const hash = hashFromPk(item.pk);
    const payload = JSON.parse(gunzipSync(item.data).toString('utf8'));
    nodes.set(hash, item.level === 0 ? { level: 0, hash, entries: payload } : { level: item.level, hash, children: payload });
  }
  return nodes;
}

/** Writes nodes lowest level first, so that a crash midway never leaves a parent without its children. */
export async function storeNodes(tenantId: string, nodes: readonly TreeNode[]): Promise<void> {
  const byLevel = [...nodes].sort((a, b) => a.level - b.level);
  let index = 0;
  while (index < byLevel.length) {
    const level = byLevel[index]!.level;
    const sameLevel: TreeNode[] = [];
    while (index < byLevel.length && byLevel[index]!.level === level) sameLevel.push(byLevel[index++]!);
    await batchPut(sameLevel.map((node) => toItem(tenantId, node)) as unknown as Record<string, unknown>[]);
  }
}

function toItem(tenantId: string, node: TreeNode): NodeItem {
  const payload = node.level === 0 ? (node as { entries: unknown }).entries : (node as { children: unknown }).children;
  return { ...keys.node(tenantId, node.hash), level: node.level, data: gzipSync(JSON.stringify(payload)) };
}

function hashFromPk(pk: string): string {
  return pk.slice(pk.lastIndexOf('#') + 1);
}
