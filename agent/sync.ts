import { isLeaf, type Tree, type TreeNode } from '../functions/contract/tree.ts';
import { ApiError, type ApiClient, type ByteMeter, type Problem } from './client.ts';
import { encodeAgainst, isDelta, toWire, type WireNode } from './delta.ts';
import { log } from './log.ts';

/**
 * Brings the server up to date with one local Merkle tree, sending only what it lacks, bottom-up (the
 * server stores an inner node only once all its children exist). Two ways to find what it lacks:
 * - from the tree the server last accepted (tree-memory.ts): every node not in it, no question asked,
 *   each sent as a delta against a node of that tree where shorter (delta.ts);
 * - by asking `have` for the children of every missing inner node, level by level from the root, when
 *   there is no such memory (first scan, baseline, --full) or it turned out wrong.
 * Planning is pure given the memory or a `have` function, so it is tested without HTTP.
 */

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
export async function planUpload(tree: Tree, have: HaveFn, opts: { rootMissing?: boolean } = {}): Promise<TreeNode[]> {
  const root = tree.nodes.get(tree.root);
  if (!root) throw new Error('tree has no root node');
  const found: TreeNode[] = [];
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
      if (!isLeaf(node)) next.push(...node.children);
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
export function planKnown(tree: Tree, known: { has(hash: string): boolean }): TreeNode[] {
  const found: TreeNode[] = [];
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
    if (!isLeaf(node)) for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return found.sort((a, b) => a.level - b.level);
}

/**
 * Cuts the upload (wire nodes, or tree nodes sent whole) into `nodes` request bodies of at most
 * NODES_PER_REQUEST nodes and about NODES_REQUEST_BYTES of JSON each, keeping the bottom-up order
 * across and within requests. Answers the JSON texts so their sizes are exact.
 */
export function packNodes(
  policyId: string,
  nodes: readonly (WireNode | TreeNode)[],
  limits = { maxNodes: NODES_PER_REQUEST, maxBytes: NODES_REQUEST_BYTES },
): string[] {
  const head = `{"policyId":${JSON.stringify(policyId)},"nodes":[`;
  const tail = ']}';
  const bodies: string[] = [];
  let parts: string[] = [];
  let size = head.length + tail.length;
  const flush = () => {
    if (parts.length > 0) bodies.push(head + parts.join(',') + tail);
    parts = [];
    size = head.length + tail.length;
  };
  for (const node of nodes) {
    const json = JSON.stringify('hash' in node ? toWire(node) : node);
    // A single node bigger than the limit still goes, alone.
    if (parts.length > 0 && (parts.length >= limits.maxNodes || size + json.length + 1 > limits.maxBytes)) flush();
    parts.push(json);
    size += json.length + 1;
  }
  flush();
  return bodies;
}

/**
 * Uploads what the server lacks of `tree` for scan `scanId`: with `previous` (the last tree the server
 * accepted) every node outside it, as a delta against one of its nodes where shorter; else what `have`
 * says is missing, whole. Answers how many nodes went up. Repeating it is harmless: the server keys
 * nodes by hash. With a wrong `previous` the server refuses with 400 (see isMissingNodeError).
 */
export async function syncTree(
  client: ApiClient,
  scanId: string,
  policyId: string,
  tree: Tree,
  meter: ByteMeter,
  opts: { previous?: Tree } = {},
): Promise<number> {
  const scanPath = `/v1/agent/scans/${encodeURIComponent(scanId)}`;
  const have: HaveFn = async (hashes) => {
    const res = await client.request<{ missing: string[] }>('POST', `${scanPath}/have`, { body: { hashes }, meter });
    return Array.isArray(res.body?.missing) ? res.body.missing : [];
  };
  const previous = opts.previous;
  const upload: WireNode[] = previous ? encodeAgainst(previous, planKnown(tree, previous.nodes)) : (await planUpload(tree, have, { rootMissing: true })).map(toWire);
  let stored = 0;
  for (const body of packNodes(policyId, upload)) {
    const res = await client.request<{ stored: string[] }>('POST', `${scanPath}/nodes`, { json: body, gzip: true, meter });
    stored += Array.isArray(res.body?.stored) ? res.body.stored.length : 0;
  }
  const how = previous ? `outside the ${previous.nodes.size} remembered (${upload.filter(isDelta).length} as deltas)` : 'found missing by have';
  log.debug(`scan ${scanId} policy ${policyId}: uploaded ${upload.length} nodes ${how}, server stored ${stored}`);
  return upload.length;
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
