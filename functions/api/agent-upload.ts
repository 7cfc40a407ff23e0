import { gunzipSync } from 'node:zlib';
import type { Context } from 'hono';
import { AppError, UnsupportedMediaTypeError, ValidationError } from '../shared/problem.ts';
import { NodesRequestSchema, type NodesRequest } from '../contract/agent.schemas.ts';
import type { Policy } from '../contract/policy.schemas.ts';
import type { PathEntry } from '../contract/entry.ts';
import { innerHash, isLeaf, leafHash, leafIsOrdered, type InnerNode, type LeafNode, type TreeNode } from '../contract/tree.ts';
import { applyChildEdits, applyLeafDelta } from '../contract/tree-delta.ts';
import { targetForPath, type TargetPlatform } from '../contract/targets.ts';
import { CONTROL_CHARACTER, wirePathProblem } from '../contract/wire-path.ts';
import { innerSummary, leafSummary, TreeShapeError, type NodeSummary } from '../domain/tree-shape.ts';
import { loadNodes, nodeSummaries, type VerifiedNode } from '../store/nodes.ts';
import { fieldErrors } from './router.ts';

/** A decompressed node upload may be at most this large (gzip bombs stop here, not in memory). */
export const MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;

/**
 * Reads a node upload: JSON, optionally `Content-Encoding: gzip`. Done by hand rather than by the
 * route validator because the validator cannot see through the compression.
 */
export async function readNodesRequest(c: Context): Promise<NodesRequest> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) throw new UnsupportedMediaTypeError('Send application/json (optionally gzip-encoded).');
  const raw = Buffer.from(await c.req.arrayBuffer());
  const encoding = (c.req.header('content-encoding') ?? 'identity').toLowerCase();
  let text: string;
  try {
    if (encoding === 'gzip') text = gunzipSync(raw, { maxOutputLength: MAX_DECOMPRESSED_BYTES }).toString('utf8');
    else if (encoding === 'identity') text = raw.toString('utf8');
    else throw new UnsupportedMediaTypeError(`Content-Encoding ${encoding} is not supported; use gzip.`);
  } catch (error) {
    if (error instanceof AppError) throw error;
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new AppError(413, 'payload-too-large', 'Payload too large', `Decompressed body exceeds ${MAX_DECOMPRESSED_BYTES} bytes.`);
    throw new ValidationError('The body is not valid gzip.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppError(400, 'malformed', 'Malformed request', 'The body is not valid JSON.');
  }
  const parsed = NodesRequestSchema.safeParse(json);
  if (!parsed.success) throw new ValidationError('The node upload is invalid.', fieldErrors(parsed.error));
  return parsed.data;
}

type WireNode = NodesRequest['nodes'][number];

const invalid = (detail: string, path: string, message: string) => new ValidationError(detail, [{ path, message }]);

/**
 * Turns an upload into verified nodes keyed by the hash the server computes itself (the agent sends
 * none). Deltas are expanded against their base, which must be a stored node of this tenant on the same
 * level. Every path must be a clean wire path (absolute, no empty, `.` or `..` segment, no raw control
 * character: functions/contract/wire-path.ts) under one of the policy's targets, and a link target must
 * hold no raw control character. Every node must have the shape buildTree gives (domain/tree-shape.ts):
 * a leaf sorted, an inner node's children stored already or in the same request, exactly one level
 * below it, in path order (so none twice), the whole subtree within MAX_TREE_ENTRIES. So a tree that
 * could never be ingested is refused here, before its scan is even marked running. Throws a 400 naming
 * the first offending node; nothing is stored by this function.
 */
export async function decodeNodes(tenantId: string, policy: Policy, upload: NodesRequest, platform: TargetPlatform = 'linux'): Promise<Map<string, VerifiedNode>> {
  const bases = await loadNodes(tenantId, upload.nodes.flatMap((n) => ('base' in n ? [n.base] : [])));
  const nodes = upload.nodes.map((node, i) => expand(node, i, bases));
  const verified = new Map<string, VerifiedNode>();
  const levelInRequest = new Map(nodes.map((n) => [n.hash, n.level]));
  nodes.forEach((node, i) => {
    if (!isLeaf(node)) return;
    checkEntries(policy, platform, node.entries, i);
    verified.set(node.hash, { ...node, summary: shaped(i, () => leafSummary(node.entries)) });
  });
  const referenced = nodes.flatMap((n) => (isLeaf(n) ? [] : n.children)).filter((h) => !levelInRequest.has(h));
  const stored = await nodeSummaries(tenantId, referenced);
  // Lowest level first: a child in the request is then verified before its parent.
  const inner = nodes.map((node, i) => ({ node, i })).filter(({ node }) => !isLeaf(node));
  inner.sort((a, b) => a.node.level - b.node.level);
  for (const { node, i } of inner) {
    const children = (node as InnerNode).children.map((child) => {
      const summary = verified.get(child)?.summary ?? stored.get(child);
      if (summary) return summary;
      const level = levelInRequest.get(child);
      if (level !== undefined) throw invalid('A child must be exactly one level below its parent.', `nodes.${i}.children`, `bad level for ${child}`);
      throw invalid('An inner node references a node the server does not have; upload children first.', `nodes.${i}.children`, `missing ${child}`);
    });
    verified.set(node.hash, { ...node, summary: shaped(i, () => innerSummary(node.level, children)) });
  }
  return verified;
}

/** The summary `summarize` gives, or the rule it breaks as a 400 naming node `i`. */
function shaped(i: number, summarize: () => NodeSummary): NodeSummary {
  try {
    return summarize();
  } catch (error) {
    if (error instanceof TreeShapeError) throw invalid(`Node ${i} does not have the shape of a tree the agent builds.`, `nodes.${i}`, error.message);
    throw error;
  }
}

/** Every path clean and inside the policy, every link target free of raw control characters. */
function checkEntries(policy: Policy, platform: TargetPlatform, entries: readonly PathEntry[], i: number): void {
  for (const [path, entry] of entries) {
    const problem = wirePathProblem(path);
    if (problem) throw invalid(`A path in node ${i} is not acceptable.`, `nodes.${i}`, `${JSON.stringify(path)} ${problem}`);
    if (typeof entry.linkTarget === 'string' && CONTROL_CHARACTER.test(entry.linkTarget)) {
      throw invalid(`A link target in node ${i} is not acceptable.`, `nodes.${i}`, `the linkTarget of ${JSON.stringify(path)} contains a raw control character (escape it as \\xHH)`);
    }
    if (!targetForPath(policy.targets, path, { platform })) throw invalid('A path is not under any target of the policy.', `nodes.${i}`, `${path} is outside the policy's targets`);
  }
}

function expand(node: WireNode, i: number, bases: Map<string, TreeNode>): TreeNode {
  if ('entries' in node) return { level: 0, hash: leafHash(node.entries as PathEntry[]), entries: node.entries as PathEntry[] };
  if ('children' in node) return { level: node.level, hash: innerHash(node.level, node.children), children: node.children };
  const base = bases.get(node.base);
  if (!base || base.level !== node.level) throw invalid('A delta names a base node the server does not have on that level.', `nodes.${i}.base`, `unknown base ${node.base}`);
  if ('put' in node) {
    if (!leafIsOrdered(node.put as PathEntry[])) throw invalid('Delta entries must be sorted by path without duplicates.', `nodes.${i}.put`, 'not sorted');
    const entries = applyLeafDelta((base as LeafNode).entries, { remove: node.remove, put: node.put as PathEntry[] });
    return { level: 0, hash: leafHash(entries), entries };
  }
  let children: string[];
  try {
    children = applyChildEdits((base as InnerNode).children, node.edits);
  } catch {
    throw invalid('A child edit points outside the base node.', `nodes.${i}.edits`, 'out of range');
  }
  return { level: node.level, hash: innerHash(node.level, children), children };
}
