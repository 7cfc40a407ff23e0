import { hostname as osHostname, platform as osPlatform } from 'node:os';
import type { EnrollRequest, EnrollResponse } from '../../functions/contract/agent.schemas.ts';
import { UsageError } from '../args.ts';
import { ApiClient } from '../client.ts';
import { log } from '../log.ts';
import { emptyState, paths, writeCredential } from '../state.ts';
import { writeFileAtomic } from '../atomic-file.ts';
import { AGENT_VERSION } from '../version.ts';

export interface EnrollOptions {
  api: string;
  key: string;
  tag?: string;
  hostname?: string;
  stateDir: string;
}

/** The API base URL without a trailing slash; a usage error unless it is http(s). */
export function normalizeApiUrl(api: string): string {
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new UsageError(`--api is not a URL: ${api}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--api must be http(s): ${api}`);
  return url.toString().replace(/\/+$/, '');
}

/** `enroll`: trades the tenant's enrollment key for this server's own credential. */
export async function enrollCommand(opts: EnrollOptions): Promise<number> {
  const apiUrl = normalizeApiUrl(opts.api);
  const body: EnrollRequest = {
    hostname: opts.hostname ?? osHostname(),
    platform: osPlatform() === 'win32' ? 'windows' : 'linux',
    agentVersion: AGENT_VERSION,
  };
  if (opts.tag !== undefined) body.tag = opts.tag;
  const client = new ApiClient(apiUrl, opts.key);
  const res = await client.request<EnrollResponse>('POST', '/v1/agent/enroll', { body });
  const { serverId, tenantId, credential } = res.body;
  writeCredential(opts.stateDir, { apiUrl, serverId, tenantId, credential });
  // A new identity: the config and last scan of a previous enrollment no longer apply.
  writeFileAtomic(paths(opts.stateDir).state, `${JSON.stringify(emptyState())}\n`, 0o600);
  log.info(`enrolled as server ${serverId}; credential in ${paths(opts.stateDir).credential}`);
  process.stdout.write(`${JSON.stringify({ serverId })}\n`);
  return 0;
}
