import { gzipSync } from 'node:zlib';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { PathEntry } from '../../functions/contract/entry.ts';
import { buildTree, isLeaf, type Tree } from '../../functions/contract/tree.ts';
import { getDb } from '../../functions/shared/clients.ts';
import type { ApiResponse, TestStack } from './stack.ts';

export { fileEntry } from './entries.ts';

/**
 * The agent protocol spoken over raw HTTP with a real agent credential, for tests that play an agent
 * doing what the CLI never does (a compromised host): enroll, open a scan, post any nodes, complete.
 */
export interface RawAgent {
  serverId: string;
  credential: string;
  /** POST /v1/agent/scans {kind: on-demand}; answers the scan id. */
  openScan(): Promise<string>;
  /** POST .../nodes with these wire nodes, gzip'd as the agent sends them. */
  postNodes(scanId: string, policyId: string, nodes: unknown[]): Promise<ApiResponse>;
  /** POST .../complete with one result. */
  complete(scanId: string, policyId: string, root: string, filesScanned: number): Promise<ApiResponse>;
  /** A whole honest scan: every node of the tree of `entries` (the server keeps what it has), complete, drain. */
  scan(policyId: string, entries: PathEntry[]): Promise<{ scanId: string; tree: Tree }>;
}

export async function enrollRaw(stack: TestStack, hostname: string, tag: string): Promise<RawAgent> {
  const res = await stack.api('POST', '/v1/agent/enroll', { key: stack.credentials.enrollmentKey, body: { hostname, platform: 'linux', agentVersion: '1.0.0', tag } });
  if (res.status !== 201) throw new Error(`enroll: ${res.status} ${res.text}`);
  const { serverId, credential } = res.json as { serverId: string; credential: string };
  const agent: RawAgent = {
    serverId,
    credential,
    async openScan() {
      const scan = await stack.api('POST', '/v1/agent/scans', { key: credential, body: { kind: 'on-demand' } });
      if (scan.status !== 201) throw new Error(`open scan: ${scan.status} ${scan.text}`);
      return scan.json.id as string;
    },
    postNodes(scanId, policyId, nodes) {
      return stack.api('POST', `/v1/agent/scans/${scanId}/nodes`, {
        key: credential,
        raw: gzipSync(JSON.stringify({ policyId, nodes })),
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      });
    },
    complete(scanId, policyId, root, filesScanned) {
      return stack.api('POST', `/v1/agent/scans/${scanId}/complete`, { key: credential, body: { results: [{ policyId, root, filesScanned }] } });
    },
    async scan(policyId, entries) {
      const scanId = await agent.openScan();
      const tree = buildTree(entries);
      const stored = await agent.postNodes(scanId, policyId, wireNodes(tree));
      if (stored.status !== 200) throw new Error(`nodes: ${stored.status} ${stored.text}`);
      const done = await agent.complete(scanId, policyId, tree.root, entries.length);
      if (done.status !== 200) throw new Error(`complete: ${done.status} ${done.text}`);
      await stack.drain();
      return { scanId, tree };
    },
  };
  return agent;
}

/** Every node of `tree`, bottom-up, in wire form (the server computes the hashes). */
export function wireNodes(tree: Tree): unknown[] {
  return [...tree.nodes.values()].sort((a, b) => a.level - b.level).map((n) => (isLeaf(n) ? { level: 0, entries: n.entries } : { level: n.level, children: n.children }));
}

/** Tree nodes in the table (the test stack's table holds one test file's data only). */
export async function storedNodeCount(): Promise<number> {
  const { doc, table } = getDb();
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: table, FilterExpression: 'sk = :n', ExpressionAttributeValues: { ':n': 'NODE' }, ExclusiveStartKey: start }));
    count += out.Items?.length ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}
