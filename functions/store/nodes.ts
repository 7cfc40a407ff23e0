import { gunzipSync, gzipSync } from 'node:zlib';
import type { TreeNode } from '../contract/tree.ts';
import type { NodeSummary } from '../domain/tree-shape.ts';
import { keys } from './keys.ts';
import { batchGet, batchPut } from './batch.ts';

/**
 * Merkle tree nodes, content-addressed per tenant (`T#t#NODE#<hash>`). The payload is gzip'd JSON in one
 * binary attribute: a 128-entry leaf is a few KB instead of a deep map, which is cheaper to write and read.
 * Beside it, the node's summary (level, entry count, first and last path: domain/tree-shape.ts), so a
 * parent is checked without reading its children's subtrees.
 *
 * Invariants kept by the writers: a stored node's whole subtree is stored, has the shape buildTree
 * gives, and is never replaced (the server computed its hash from its content; an existing node is
 * proof enough). A node stored before the canonical form of version 2 has no summary: it is "legacy",
 * not content-addressed under today's hashes, so it counts as absent (the agent uploads its tree once
 * more) and is read only by the diff, which may still compare a new tree with an old one.
 */
interface NodeItem {
  pk: string;
  sk: string;
  level: number;
  data: Uint8Array;
  count?: number;
  first?: string;
  last?: string;
}

/** A node the upload verified (api/agent-upload.ts), with the summary its children gave it. */
export type VerifiedNode = TreeNode & { summary: NodeSummary };

const SUMMARY = ['level', 'count', 'first', 'last'] as const;

/**
 * Batch requests in flight per call. Node keys are hashes, spread over every partition, so a baseline's
 * 14,000 nodes (560 BatchWriteItem of 25) can go 16 at a time without a hot partition: at 10-30 ms a
 * request that is ~1 s of waiting instead of ~4 s at the helper's default of 4.
 */
const IN_FLIGHT = 16;

const summaryOf = (item: NodeItem): NodeSummary | null =>
  typeof item.count === 'number' && typeof item.first === 'string' && typeof item.last === 'string'
    ? { level: item.level, count: item.count, first: item.first, last: item.last }
    : null;

/** Summaries of those of `hashes` the tenant has (legacy nodes count as absent). */
export async function nodeSummaries(tenantId: string, hashes: readonly string[]): Promise<Map<string, NodeSummary>> {
  const found = new Map<string, NodeSummary>();
  for (const item of await batchGet<NodeItem>(hashes.map((h) => keys.node(tenantId, h)), { projection: SUMMARY, parallel: IN_FLIGHT })) {
    const summary = summaryOf(item);
    if (summary) found.set(hashFromPk(item.pk), summary);
  }
  return found;
}

/** Which of `hashes` the tenant has (legacy nodes count as absent). */
export async function existingNodes(tenantId: string, hashes: readonly string[]): Promise<Set<string>> {
  const items = await batchGet<NodeItem>(hashes.map((h) => keys.node(tenantId, h)), { projection: ['count'], parallel: IN_FLIGHT });
  return new Set(items.filter((item) => typeof item.count === 'number').map((item) => hashFromPk(item.pk)));
}

/**
 * The nodes of `hashes` the tenant has. `legacy: true` also answers nodes stored before the canonical
 * form of version 2 (only the diff wants them: an old tree is still what a new one is compared with).
 */
export async function loadNodes(tenantId: string, hashes: readonly string[], opts: { legacy?: boolean } = {}): Promise<Map<string, TreeNode>> {
  const nodes = new Map<string, TreeNode>();
  for (const item of await batchGet<NodeItem>(hashes.map((h) => keys.node(tenantId, h)), { parallel: IN_FLIGHT })) {
    if (!opts.legacy && !summaryOf(item)) continue;
    const hash = hashFromPk(item.pk);
    const payload = JSON.parse(gunzipSync(item.data).toString('utf8'));
    nodes.set(hash, item.level === 0 ? { level: 0, hash, entries: payload } : { level: item.level, hash, children: payload });
  }
  return nodes;
}

/**
 * Stores the nodes the tenant does not have yet (one existing under the same hash is kept as it is),
 * lowest level first, so that a crash midway never leaves a parent without its children. Answers how
 * many it wrote.
 */
export async function storeNodes(tenantId: string, nodes: readonly VerifiedNode[]): Promise<number> {
  const present = await existingNodes(tenantId, nodes.map((n) => n.hash));
  const byLevel = nodes.filter((n) => !present.has(n.hash)).sort((a, b) => a.level - b.level);
  let index = 0;
  while (index < byLevel.length) {
    const level = byLevel[index]!.level;
    const sameLevel: VerifiedNode[] = [];
    while (index < byLevel.length && byLevel[index]!.level === level) sameLevel.push(byLevel[index++]!);
    await batchPut(sameLevel.map((node) => toItem(tenantId, node)) as unknown as Record<string, unknown>[], { parallel: IN_FLIGHT });
  }
  return byLevel.length;
}

function toItem(tenantId: string, node: VerifiedNode): NodeItem {
  const payload = node.level === 0 ? (node as { entries: unknown }).entries : (node as { children: unknown }).children;
  const { count, first, last } = node.summary;
  return { ...keys.node(tenantId, node.hash), level: node.level, count, first, last, data: gzipSync(JSON.stringify(payload)) };
}

function hashFromPk(pk: string): string {
  return pk.slice(pk.lastIndexOf('#') + 1);
}
