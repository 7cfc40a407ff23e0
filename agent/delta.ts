import { isLeaf, type InnerNode, type LeafNode, type Tree, type TreeNode } from '../functions/contract/tree.ts';
import { childEdits, leafDelta, type InnerDelta, type LeafDelta } from '../functions/contract/tree-delta.ts';
import type { PathEntry } from '../functions/contract/entry.ts';

/**
 * Encodes the nodes of a changed tree against the previous tree the server accepted (tree-memory.ts),
 * so that a rescan sends what changed rather than every changed node whole: a leaf as the entries it
 * adds, replaces and drops relative to an old leaf, an inner node as a splice of an old inner node's
 * children (functions/contract/tree-delta.ts). Each node goes as a delta only when that is shorter.
 * Pure: no I/O, so base selection and encoding are tested without a server.
 */

/** A node as the wire carries it: the server derives hashes itself (NodesRequestSchema). */
export type WireNode = { level: 0; entries: PathEntry[] } | { level: number; children: string[] } | LeafDelta | InnerDelta;

export function toWire(node: TreeNode): WireNode {
  return isLeaf(node) ? { level: 0, entries: node.entries } : { level: node.level, children: node.children };
}

export const isDelta = (wire: WireNode): wire is LeafDelta | InnerDelta => 'base' in wire;

const jsonLength = (value: unknown) => JSON.stringify(value).length;

/**
 * What the encoder needs of the previous tree (the one the server holds entirely): built from a Tree in
 * memory (treeBase) or streamed from a tree file (stored-base.ts, which reads the old leaves in path
 * order alongside the new ones and never holds the old tree whole).
 */
export interface DeltaBase {
  /** Whether the previous tree holds the node (so the server does). */
  has(hash: string): boolean;
  /** An inner node of the previous tree. */
  inner(hash: string): InnerNode | undefined;
  /** The previous tree's parent of one of its nodes. */
  parentOf(hash: string): string | undefined;
  /**
   * Old leaves worth trying as the base of `leaf`: every old leaf that held one of its paths, else (all
   * its paths are new) the old leaf whose path range would have held its first path. New leaves are
   * asked in path order.
   */
  leafCandidates(leaf: LeafNode): LeafNode[];
}

/** The DeltaBase of a tree in memory (indexed once). */
export function treeBase(previous: Tree): DeltaBase {
  const leafByPath = new Map<string, string>();
  const leaves: { hash: string; lastPath: string }[] = [];
  const parent = new Map<string, string>();
  // Depth first in child order, so leaves come out in path order.
  const stack: string[] = [previous.root];
  while (stack.length > 0) {
    const node = previous.nodes.get(stack.pop()!);
    if (!node) continue;
    if (isLeaf(node)) {
      for (const [path] of node.entries) leafByPath.set(path, node.hash);
      if (node.entries.length > 0) leaves.push({ hash: node.hash, lastPath: node.entries[node.entries.length - 1]![0] });
      continue;
    }
    for (let i = node.children.length - 1; i >= 0; i--) {
      parent.set(node.children[i]!, node.hash);
      stack.push(node.children[i]!);
    }
  }
  const leafOf = (hash: string) => previous.nodes.get(hash) as LeafNode;
  return {
    has: (hash) => previous.nodes.has(hash),
    inner: (hash) => {
      const node = previous.nodes.get(hash);
      return node && !isLeaf(node) ? node : undefined;
    },
    parentOf: (hash) => parent.get(hash),
    leafCandidates(leaf) {
      const found = new Set<string>();
      for (const [path] of leaf.entries) {
        const old = leafByPath.get(path);
        if (old) found.add(old);
      }
      if (found.size === 0 && leaves.length > 0 && leaf.entries.length > 0) {
        const first = leaf.entries[0]![0];
        let lo = 0;
        let hi = leaves.length - 1;
        // The first old leaf whose last path is >= first (or the last leaf).
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (leaves[mid]!.lastPath < first) lo = mid + 1;
          else hi = mid;
        }
        found.add(leaves[lo]!.hash);
      }
      return [...found].map(leafOf);
    },
  };
}

/**
 * Encodes nodes of a new tree against `previous`, which the server holds entirely. Feed it the nodes
 * bottom-up (children before parents, as planKnown orders them, or as a tree file holds them), leaves
 * in path order: a parent finds its base through the bases chosen for its new children.
 * @example const enc = new DeltaEncoder(previousTree); const wire = planKnown(tree, previousTree.nodes).map((n) => enc.encode(n));
 */
export class DeltaEncoder {
  private readonly previous: DeltaBase;
  /** New node hash -> the old node of the same level it corresponds to (its chosen base). */
  private readonly bases = new Map<string, string>();

  constructor(previous: Tree | DeltaBase) {
    this.previous = 'nodes' in previous ? treeBase(previous) : previous;
  }

  /** The old node `hash` was (or would be) encoded against; an old node is its own. */
  baseOf(hash: string): string | undefined {
    return this.previous.has(hash) ? hash : this.bases.get(hash);
  }

  /** Old leaves worth trying as the base of `leaf` (DeltaBase.leafCandidates), by hash. */
  leafCandidates(leaf: LeafNode): string[] {
    return this.previous.leafCandidates(leaf).map((old) => old.hash);
  }

  /** Old inner nodes on `node`'s level that were the parent of one of its children (or of their bases). */
  innerCandidates(node: InnerNode): string[] {
    const votes = new Map<string, number>();
    for (const child of node.children) {
      const base = this.baseOf(child);
      const old = base === undefined ? undefined : this.previous.parentOf(base);
      if (old !== undefined && this.previous.inner(old)?.level === node.level) votes.set(old, (votes.get(old) ?? 0) + 1);
    }
    // Most shared children first: the best base is almost always the first.
    return [...votes.entries()].sort((a, b) => b[1] - a[1]).map(([hash]) => hash);
  }

  /** `node` as the shortest of: the node itself, or a delta against one of its candidate bases. */
  encode(node: TreeNode): WireNode {
    const whole = toWire(node);
    let best: WireNode = whole;
    let bestLength = jsonLength(whole);
    let bestBase: string | undefined;
    let bestBaseLength = Infinity;
    const consider = (base: string, delta: WireNode) => {
      const length = jsonLength(delta);
      if (length < bestBaseLength) {
        bestBase = base;
        bestBaseLength = length;
      }
      if (length < bestLength) {
        best = delta;
        bestLength = length;
      }
    };
    if (isLeaf(node)) {
      for (const old of this.previous.leafCandidates(node)) consider(old.hash, { level: 0, base: old.hash, ...leafDelta(old.entries, node.entries) });
    } else {
      for (const base of this.innerCandidates(node)) {
        const old = this.previous.inner(base)!;
        consider(base, { level: node.level, base, edits: childEdits(old.children, node.children) });
      }
    }
    // Remembered even when the node goes whole: its parent still finds its own base through it.
    if (bestBase !== undefined) this.bases.set(node.hash, bestBase);
    return best;
  }
}

/**
 * The wire form of `plan` (nodes of a new tree, bottom-up) against `previous`: deltas where shorter.
 * @example packNodes(policyId, encodeAgainst(previous, planKnown(tree, previous.nodes)))
 */
export function encodeAgainst(previous: Tree, plan: readonly TreeNode[]): WireNode[] {
  const encoder = new DeltaEncoder(previous);
  return plan.map((node) => encoder.encode(node));
}
