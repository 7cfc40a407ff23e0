import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sortEntries, type PathEntry } from '../../functions/contract/tree.ts';
import type { Entry } from '../../functions/contract/entry.ts';
import { startTestStack, type TestStack } from '../helpers/stack.ts';
import { completeOverWire, uploadOverWire, wireEntry } from '../helpers/wire-scan.ts';

/**
 * A Windows server's paths (backslashes, drive letters, any case) are checked against its policy's targets
 * with Windows rules at upload, at ingest and in the drift route alike (issue 9 item 2).
 */
let stack: TestStack;
let policyId: string;
let agent: { serverId: string; credential: string };

const entry = (type: Entry['type'], size: number, inode: number): Entry =>
  wireEntry({ type, size, inode, ...(type === 'file' ? { hash: { algorithm: 'sha256' as const, value: String(size).padStart(64, '0') } } : {}) });

async function scanOnce(entries: PathEntry[]): Promise<string> {
  const uploaded = await uploadOverWire(stack.api, agent, policyId, sortEntries(entries));
  const done = await completeOverWire(stack.api, agent, policyId, uploaded, entries.length);
  expect(done.status, done.text).toBe(200);
  await stack.drain();
  return uploaded.scanId;
}

beforeAll(async () => {
  stack = await startTestStack();
  const admin = stack.credentials.adminKey;
  policyId = (await stack.api('POST', '/v1/policies', { key: admin, body: { name: 'win', platform: 'windows', targets: [{ path: 'C:\\Windows\\System32\\drivers\\etc' }] } })).json.id;
  await stack.api('POST', '/v1/server-groups', { key: admin, body: { name: 'win', tag: 'win', policyIds: [policyId] } });
  agent = (await stack.api('POST', '/v1/agent/enroll', { key: stack.credentials.enrollmentKey, body: { hostname: 'WIN-1', platform: 'windows', agentVersion: '1', tag: 'win' } })).json;
});
afterAll(() => stack?.stop());

describe('a Windows server', () => {
  it('uploads, gets events and drift for paths under its targets, whatever their case', async () => {
    const dir = 'C:\\Windows\\System32\\drivers\\etc';
    await scanOnce([
      [dir, entry('directory', 0, 1)],
      [`${dir}\\hosts`, entry('file', 10, 2)],
      [`${dir.toUpperCase()}\\LMHOSTS.SAM`, entry('file', 20, 3)],
    ]);
    await scanOnce([
      [dir, entry('directory', 0, 1)],
      [`${dir}\\hosts`, entry('file', 11, 2)],
      [`${dir.toUpperCase()}\\LMHOSTS.SAM`, entry('file', 20, 3)],
    ]);
    const admin = stack.credentials.adminKey;
    const events = (await stack.api('GET', `/v1/events?serverId=${agent.serverId}`, { key: admin })).json.items as { path: string; changeType: string }[];
    expect(events.map((e) => [e.changeType, e.path])).toEqual([['modified', `${dir}\\hosts`]]);
    const drift = (await stack.api('GET', `/v1/servers/${agent.serverId}/drift`, { key: admin })).json.items as { path: string }[];
    expect(drift.map((d) => d.path)).toEqual([`${dir}\\hosts`]);
  });
});
