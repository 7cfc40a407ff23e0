import { gzipSync } from 'node:zlib';
import { buildTree, isLeaf, sortEntries, type PathEntry, type Tree } from '../../functions/contract/tree.ts';
import type { Entry } from '../../functions/contract/entry.ts';
import type { Api, ApiResponse } from './stack.ts';

/**
 * The agent protocol spoken directly over HTTP, for tests that must control each step an agent takes
 * (start, upload, complete) instead of running the CLI: enroll, a file entry, a whole tree uploaded.
 */
/** An entry with fixed metadata (mode 0644, root, 2026-11-01 times) and the given fields. */
export function wireEntry(fields: Partial<Entry> & Pick<Entry, 'type' | 'size' | 'inode'>): Entry {
  return { mode: '0644', uid: 0, gid: 0, mtime: '2026-11-01T00:00:00.000Z', ctime: '2026-11-01T00:00:00.000Z', ...fields };
}

/** A file whose content hash follows its content. */
export function wireFile(content: string, inode: number): Entry {
  return wireEntry({ type: 'file', size: content.length, inode, hash: { algorithm: 'sha256', value: Buffer.from(content).toString('hex').padStart(64, '0').slice(-64) } });
}

/** `count` files under `dir`, each with content `<version>-<i>`: bump the version to change them all. */
export function wireTree(dir: string, count: number, version: (i: number) => string): PathEntry[] {
  return sortEntries(Array.from({ length: count }, (_, i): PathEntry => [`${dir}/f${String(i).padStart(5, '0')}`, wireFile(`${version(i)}-${i}`, 10_000 + i)]));
}

export interface WireAgent {
  serverId: string;
  credential: string;
}

export async function enrollOverWire(api: Api, enrollmentKey: string, hostname: string, tag: string): Promise<WireAgent> {
  const res = await api('POST', '/v1/agent/enroll', { key: enrollmentKey, body: { hostname, platform: 'linux', agentVersion: '1.0.0', tag } });
  if (res.status !== 201) throw new Error(`enroll: ${res.status} ${res.text}`);
  return res.json as WireAgent;
}

/** Starts an on-demand scan as the agent would; answers its id. */
export async function openScanOverWire(api: Api, agent: Pick<WireAgent, 'credential'>): Promise<string> {
  const res = await api('POST', '/v1/agent/scans', { key: agent.credential, body: { kind: 'on-demand' } });
  if (res.status !== 201) throw new Error(`open scan: ${res.status} ${res.text}`);
  return res.json.id as string;
}

/** Every node of `tree` in wire form (the server computes the hashes), lowest level first. */
export function wireNodes(tree: Tree): unknown[] {
  return [...tree.nodes.values()].sort((a, b) => a.level - b.level).map((n) => (isLeaf(n) ? { level: 0, entries: n.entries } : { level: n.level, children: n.children }));
}

/** POST .../nodes with any wire nodes, gzip'd as the agent sends them (a compromised agent sends what it likes). */
export function postNodesOverWire(api: Api, agent: Pick<WireAgent, 'credential'>, scanId: string, policyId: string, nodes: unknown[]): Promise<ApiResponse> {
  return api('POST', `/v1/agent/scans/${scanId}/nodes`, {
    key: agent.credential,
    raw: gzipSync(JSON.stringify({ policyId, nodes })),
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
  });
}

/** Starts a scan and uploads every node of the tree of `entries` (sorted; lowest level first); answers the scan id and root. */
export async function uploadOverWire(api: Api, agent: Pick<WireAgent, 'credential'>, policyId: string, entries: PathEntry[]): Promise<{ scanId: string; root: string }> {
  const scanId = await openScanOverWire(api, agent);
  const tree = buildTree(entries);
  const stored = await postNodesOverWire(api, agent, scanId, policyId, wireNodes(tree));
  if (stored.status !== 200) throw new Error(`nodes: ${stored.status} ${stored.text}`);
  return { scanId, root: tree.root };
}

/** The agent's `complete` of an uploaded tree. */
export function completeOverWire(api: Api, agent: Pick<WireAgent, 'credential'>, policyId: string, upload: { scanId: string; root: string }, filesScanned: number, scannedAt?: string): Promise<ApiResponse> {
  return api('POST', `/v1/agent/scans/${upload.scanId}/complete`, {
    key: agent.credential,
    body: { results: [{ policyId, root: upload.root, filesScanned }], ...(scannedAt ? { scannedAt } : {}) },
  });
}
