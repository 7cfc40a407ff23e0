import type { PathEntry } from '../functions/contract/entry.ts';
import type { TreeNode } from '../functions/contract/tree.ts';
import { ApiError, type ApiClient, type ByteMeter, type Problem } from './client.ts';
import { DeltaEncoder, isDelta, toWire, type WireNode } from './delta.ts';
import { log } from './log.ts';
import { StoredBase } from './stored-base.ts';
import type { StoredTree } from './tree-file.ts';

/**
 * Brings the server up to date with one local Merkle tree (a tree file: tree-file.ts), sending only what
 * it lacks, bottom-up (the server stores an inner node only once all its children exist), streamed from
 * the file one request at a time. Two ways to find what it lacks:
 * - from the tree the server last accepted (tree-memory.ts): every node not in it, no question asked,
 *   each sent as a delta against a node of that tree where shorter (delta.ts);
 * - by asking `have` for the children of every missing inner node, level by level from the root, when
 *   there is no such memory (first scan, baseline, --full) or it turned out wrong.
 * Planning is pure given the memory or a `have` function, so it is tested without HTTP; it needs only
 * the inner nodes (a leaf is a hash), so a tree file is planned with its inner nodes in memory.
 */

/** A node as planning sees it: its children when it has any. */
export interface PlanNode {
  hash: string;
  level: number;
  children?: readonly string[];
}

/** A tree as planning sees it: a root and a way to look its nodes up (a Tree, or a StoredTree). */
export interface PlanTree<N extends PlanNode> {
  root: string;
  nodes: { get(hash: string): N | undefined };
}

/** Max hashes per `have` request (HaveRequestSchema). */
export const HAVE_BATCH = 2000;
/** Max nodes per `nodes` request (NodesRequestSchema). */
export const NODES_PER_REQUEST = 4000;
/** Keep each `nodes` request under ~1 MiB of JSON before compression. */
export const NODES_REQUEST_BYTES = 1024 * 1024;

/** Asks the server which of `hashes` it does not hold; answers the missing ones. */
export type HaveFn = (hashes: string[]) => Promise<string[]>;

/** Calls `have` in batches the API accepts. */
async function missingOf(hashes: string[], have: HaveFn): Promise<Set<string>> {
  const missing = new Set<string>();
  for (let i = 0; i < hashes.length; i += HAVE_BATCH) {
    for (const hash of await have(hashes.slice(i, i + HAVE_BATCH))) missing.add(hash);
  }
  return missing;
}

/**
 * Every node of `tree` that the server lacks, in upload order: leaves first, then each level up,
 * the root last. `rootMissing` skips asking about the root when `complete` already said it is missing.
 * @example await planUpload(tree, (h) => client.have(h), { rootMissing: true })
 */
export async function planUpload<N extends PlanNode>(tree: PlanTree<N>, have: HaveFn, opts: { rootMissing?: boolean } = {}): Promise<N[]> {
  const root = tree.nodes.get(tree.root);
  if (!root) throw new Error('tree has no root node');
  const found: N[] = [];
  const seen = new Set<string>();
  let level: string[] = [tree.root];
  let missing = opts.rootMissing ? new Set(level) : await missingOf(level, have);
  while (level.length > 0) {
    const next: string[] = [];
    for (const hash of level) {
      if (!missing.has(hash) || seen.has(hash)) continue;
      seen.add(hash);
      const node = tree.nodes.get(hash);
      // The server may name hashes we never asked about; only our own nodes can be uploaded.
      if (!node) continue;
      found.push(node);
      if (node.children) next.push(...node.children);
    }
    level = [...new Set(next)];
    missing = level.length > 0 ? await missingOf(level, have) : new Set();
  }
  // Stable sort by level: parents were found before their children, so reverse-by-level is bottom-up.
  return found.sort((a, b) => a.level - b.level);
}

/**
 * Every node of `tree` outside `known` (the nodes of a tree the server accepted), in upload order:
 * descends from the root and stops at a known node, since the server holds a stored node's whole
 * subtree. Asks the server nothing; if `known` was wrong the server refuses the upload (an inner node
 * referencing, or a delta based on, a node it lacks) or `complete` still answers 409, and the caller
 * falls back to `have`.
 * @example planKnown(tree, treeMemory(stateDir, serverId).recall(policyId)!.nodes)
 */
export function planKnown<N extends PlanNode>(tree: PlanTree<N>, known: { has(hash: string): boolean }): N[] {
  const found: N[] = [];
  const seen = new Set<string>();
  const stack: string[] = [tree.root];
  while (stack.length > 0) {
    const hash = stack.pop()!;
    if (known.has(hash) || seen.has(hash)) continue;
    seen.add(hash);
    const node = tree.nodes.get(hash);
    if (!node) throw new Error(`tree lacks its own node ${hash}`);
    found.push(node);
    // Reversed so that the stack pops children in path order: neighbouring leaves compress together.
    if (node.children) for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return found.sort((a, b) => a.level - b.level);
}

/**
 * Cuts an upload into `nodes` request bodies of at most NODES_PER_REQUEST nodes and about
 * NODES_REQUEST_BYTES of JSON each, as the nodes come (each node's JSON as the wire carries it), keeping
 * their order across and within requests. A single node bigger than the limit still goes, alone.
 */
export class NodePacker {
  private readonly head: string;
  private parts: string[] = [];
  private size = 0;

  constructor(
    policyId: string,
    /** Receives each finished body (its JSON text, so its size is exact). */
    private readonly emit: (body: string) => void,
    private readonly limits = { maxNodes: NODES_PER_REQUEST, maxBytes: NODES_REQUEST_BYTES },
  ) {
    this.head = `{"policyId":${JSON.stringify(policyId)},"nodes":[`;
    this.size = this.head.length + 2;
  }

  /** True when adding a node of `length` characters would start a new body. */
  full(length: number): boolean {
    return this.parts.length > 0 && (this.parts.length >= this.limits.maxNodes || this.size + length + 1 > this.limits.maxBytes);
  }

  add(json: string): void {
    if (this.full(json.length)) this.flush();
    this.parts.push(json);
    this.size += json.length + 1;
  }

  flush(): void {
    if (this.parts.length > 0) this.emit(`${this.head}${this.parts.join(',')}]}`);
    this.parts = [];
    this.size = this.head.length + 2;
  }
}

/**
 * The upload (wire nodes, or tree nodes sent whole) as `nodes` request bodies (NodePacker), in order.
 * @example packNodes(policyId, planKnown(tree, previous.nodes))
 */
export function packNodes(
  policyId: string,
  nodes: readonly (WireNode | TreeNode)[],
  limits = { maxNodes: NODES_PER_REQUEST, maxBytes: NODES_REQUEST_BYTES },
): string[] {
  const bodies: string[] = [];
  const packer = new NodePacker(policyId, (body) => bodies.push(body), limits);
  for (const node of nodes) packer.add(JSON.stringify('hash' in node ? toWire(node) : node));
  packer.flush();
  return bodies;
}

/**
 * Uploads what the server lacks of `tree` (a tree file) for scan `scanId`: with `previous` (the last tree
 * the server accepted) every node outside it, as a delta against one of its nodes where shorter; else
 * what `have` says is missing, whole. The nodes are read from the file in its order (children before
 * parents, leaves in path order) and sent one body at a time. Answers how many nodes went up. Repeating
 * it is harmless: the server keys nodes by hash. With a wrong `previous` the server refuses with 400
 * (see isMissingNodeError).
 */
export async function syncTree(
  client: ApiClient,
  scanId: string,
  policyId: string,
  tree: StoredTree,
  meter: ByteMeter,
  opts: { previous?: StoredTree } = {},
): Promise<number> {
  const scanPath = `/v1/agent/scans/${encodeURIComponent(scanId)}`;
  const have: HaveFn = async (hashes) => {
    const res = await client.request<{ missing: string[] }>('POST', `${scanPath}/have`, { body: { hashes }, meter });
    return Array.isArray(res.body?.missing) ? res.body.missing : [];
  };
  const previous = opts.previous;
  const plan = new Set((previous ? planKnown(tree, previous.nodes) : await planUpload(tree, have, { rootMissing: true })).map((n) => n.hash));
  const base = previous ? new StoredBase(previous) : null;
  const encoder = base ? new DeltaEncoder(base) : null;
  const bodies: string[] = [];
  const packer = new NodePacker(policyId, (body) => bodies.push(body));
  let uploaded = 0;
  let deltas = 0;
  let stored = 0;
  const send = async () => {
    for (const body of bodies.splice(0)) {
      const res = await client.request<{ stored: string[] }>('POST', `${scanPath}/nodes`, { json: body, gzip: true, meter });
      stored += Array.isArray(res.body?.stored) ? res.body.stored.length : 0;
    }
  };
  try {
    for (const line of tree.lines()) {
      if (!plan.delete(line.hash)) continue; // not needed, or already sent (a node repeated in the tree)
      uploaded += 1;
      let json = line.json;
      if (encoder) {
        const parsed = JSON.parse(json) as { level: number; entries?: PathEntry[]; children?: string[] };
        const node: TreeNode = parsed.entries ? { level: 0, hash: line.hash, entries: parsed.entries } : { level: parsed.level, hash: line.hash, children: parsed.children! };
        const wire = encoder.encode(node);
        if (isDelta(wire)) {
          deltas += 1;
          json = JSON.stringify(wire);
        }
      }
      packer.add(json);
      if (bodies.length > 0) await send();
    }
  } finally {
    base?.close();
  }
  packer.flush();
  await send();
  if (plan.size > 0) throw new Error(`tree file ${tree.file} lacks ${plan.size} of its own nodes`);
  const how = previous ? `outside the ${previous.hashes.size} remembered (${deltas} as deltas)` : 'found missing by have';
  log.debug(`scan ${scanId} policy ${policyId}: uploaded ${uploaded} nodes ${how}, server stored ${stored}`);
  return uploaded;
}

/**
 * The server's answer to an inner node whose child it does not hold, or to a delta whose base it does
 * not hold: the remembered tree was wrong.
 */
export function isMissingNodeError(error: unknown): boolean {
  if (!(error instanceof ApiError) || error.status !== 400) return false;
  const problem = (error.body ?? {}) as Problem;
  return (
    /node the server does not have/i.test(problem.detail ?? '') ||
    (problem.errors ?? []).some((e) => (/\.children$/.test(e.path) && /^missing /.test(e.message)) || (/\.base$/.test(e.path) && /^unknown base /.test(e.message)))
  );
}
