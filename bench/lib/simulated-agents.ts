import type { BenchStack } from './stack.ts';

/** Enrolls `n` simulated agents for real (hostnames `<prefix>-<i>`, into the group tagged `tag` if given); answers their credentials. */
export async function enrollSimulatedAgents(bs: BenchStack, n: number, prefix: string, tag?: string): Promise<string[]> {
  const credentials: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await bs.api('POST', '/v1/agent/enroll', { hostname: `${prefix}-${i}`, platform: 'linux', agentVersion: '1', ...(tag ? { tag } : {}) }, bs.stack.credentials.enrollmentKey);
    if (r.status !== 201) throw new Error(`enroll: ${r.status} ${JSON.stringify(r.json)}`);
    credentials.push(r.json.credential);
  }
  return credentials;
}
