import { join } from 'node:path';
import { expect } from 'vitest';
import type { TestStack } from './stack.ts';
import { runAgent, type AgentOptions } from './agent.ts';

/** One enrolled agent with its own policy and group (tag = name), as the e2e suites set it up. */
export interface FimServer {
  policyId: string;
  groupId: string;
  serverId: string;
  stateDir: string;
}

/**
 * A policy over `targets`, a group tagged `name` running it, and an agent enrolled into it with its
 * state in `<root>/state-<name>`; `agent` options (a uid, an env) apply to the enrollment too.
 */
export async function setUpServer(
  stack: TestStack,
  root: string,
  name: string,
  targets: unknown[],
  opts: { apiUrl?: string; agent?: Partial<AgentOptions> } = {},
): Promise<FimServer> {
  const admin = stack.credentials.adminKey;
  const policy = await stack.api('POST', '/v1/policies', { key: admin, body: { name, platform: 'linux', state: 'on', targets } });
  expect(policy.status).toBe(201);
  const group = await stack.api('POST', '/v1/server-groups', { key: admin, body: { name, tag: name, policyIds: [policy.json.id] } });
  expect(group.status).toBe(201);
  const stateDir = opts.agent?.stateDir ?? join(root, `state-${name}`);
  const enrolled = await runAgent(['enroll', '--api', opts.apiUrl ?? stack.apiUrl, '--key', stack.credentials.enrollmentKey, '--tag', name, '--hostname', `${name}-1`], {
    ...opts.agent,
    stateDir,
  });
  expect(enrolled.code, enrolled.stderr).toBe(0);
  const serverId = enrolled.json.serverId as string;
  return { policyId: policy.json.id as string, groupId: group.json.id as string, serverId, stateDir };
}

/** Requests a scan of the server, lets its agent run it (`run --once`), waits for the ingest; answers the Scan. */
export async function scanCycle(stack: TestStack, serverId: string, stateDir: string, agent: Partial<AgentOptions> = {}) {
  const admin = stack.credentials.adminKey;
  const scan = await stack.api('POST', `/v1/servers/${serverId}/scans`, { key: admin });
  expect(scan.status).toBe(202);
  const run = await runAgent(['run', '--once'], { ...agent, stateDir });
  expect(run.code, run.stderr).toBe(0);
  await stack.drain();
  const done = await stack.api('GET', `/v1/scans/${scan.json.id}`, { key: admin });
  expect(done.json.status).toBe('completed');
  return { ...done.json, stderr: run.stderr };
}

/** Every event of a server (newest first). */
export const eventsOf = async (stack: TestStack, serverId: string) =>
  (await stack.api('GET', `/v1/events?serverId=${serverId}&limit=500`, { key: stack.credentials.adminKey })).json.items as any[];
