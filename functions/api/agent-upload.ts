import { gunzipSync } from 'node:zlib';
import type { Context } from 'hono';
import { AppError, UnsupportedMediaTypeError, ValidationError } from '../shared/problem.ts';
import { NodesRequestSchema, type NodesRequest } from '../contract/agent.schemas.ts';
import type { Policy } from '../contract/policy.schemas.ts';
import type { PathEntry } from '../contract/entry.ts';
import { innerHash, isLeaf, leafHash, leafIsOrdered, MAX_NODE_WIDTH, type TreeNode } from '../contract/tree.ts';
import { applyChildEdits, applyLeafDelta } from '../contract/tree-delta.ts';
import { targetForPath, type TargetPlatform } from '../contract/targets.ts';
import { existingNodes, loadNodes } from '../store/nodes.ts';
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
 * level; leaves must be sorted with every path under one of the policy's targets; an inner node's
 * children must be stored already or come in the same request, on a lower level. Throws a 400 naming
 * the first offending node; nothing is stored by this function.
 */
export async function decodeNodes(tenantId: string, policy: Policy, upload: NodesRequest, platform: TargetPlatform = 'linux'): Promise<Map<string, TreeNode>> {
  const bases = await loadNodes(tenantId, upload.nodes.flatMap((n) => ('base' in n ? [n.base] : [])));
  const nodes = upload.nodes.map((node, i) => expand(node, i, bases));
  nodes.forEach((node, i) => {
    if (!isLeaf(node)) return;
    if (!leafIsOrdered(node.entries)) throw invalid('Leaf entries must be sorted by path without duplicates.', `nodes.${i}`, 'not sorted');
    node.entries.forEach(([path]) => {
      if (!targetForPath(policy.targets, path, { platform })) throw invalid('A path is not under any target of the policy.', `nodes.${i}`, `${path} is outside the policy's targets`);
    });
  });
  const inRequest = new Map(nodes.map((n) => [n.hash, n]));
  const referenced = nodes.flatMap((n) => (isLeaf(n) ? [] : n.children)).filter((h) => !inRequest.has(h));
  const stored = await existingNodes(tenantId, referenced);
  nodes.forEach((node, i) => {
    if (isLeaf(node)) return;
    for (const child of node.children) {
      const inline = inRequest.get(child);
      if (!inline && !stored.has(child)) throw invalid('An inner node references a node the server does not have; upload children first.', `nodes.${i}.children`, `missing ${child}`);
      if (inline && inline.level >= node.level) throw invalid('A child must be on a lower level than its parent.', `nodes.${i}.children`, `bad level for ${child}`);
    }
  });
  return inRequest;
}

function expand(node: WireNode, i: number, bases: Map<string, TreeNode>): TreeNode {
  const width = (n: number) => {
    if (n < 1 || n > MAX_NODE_WIDTH) throw invalid(`A node holds 1 to ${MAX_NODE_WIDTH} entries or children.`, `nodes.${i}`, `${n} items`);
  };
  if ('entries' in node) {
    width(node.entries.length);
    return { level: 0, hash: leafHash(node.entries as PathEntry[]), entries: node.entries as PathEntry[] };
  }
  if ('children' in node) {
    width(node.children.length);
    return { level: node.level, hash: innerHash(node.level, node.children), children: node.children };
  }
  const base = bases.get(node.base);
  if (!base || base.level !== node.level) throw invalid('A delta names a base node the server does not have on that level.', `nodes.${i}.base`, `unknown base ${node.base}`);
  if ('put' in node) {
    if (!leafIsOrdered(node.put as PathEntry[])) throw invalid('Delta entries must be sorted by path without duplicates.', `nodes.${i}.put`, 'not sorted');
    const entries = applyLeafDelta((base as Extract<TreeNode, { level: 0 }>).entries, { remove: node.remove, put: node.put as PathEntry[] });
    width(entries.length);
    return { level: 0, hash: leafHash(entries), entries };
  }
  let children: string[];
  try {
    children = applyChildEdits((base as { children: string[] }).children, node.edits);
  } catch {
    throw invalid('A child edit points outside the base node.', `nodes.${i}.edits`, 'out of range');
  }
  width(children.length);
  return { level: node.level, hash: innerHash(node.level, children), children };
}
