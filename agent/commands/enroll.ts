import { hostname as osHostname, platform as osPlatform } from 'node:os';
import type { EnrollRequest, EnrollResponse } from '../../functions/contract/agent.schemas.ts';
import { UsageError } from '../args.ts';
import { ApiClient } from '../client.ts';
import { NoApiError, noApiMessage } from '../errors.ts';
import { log } from '../log.ts';
import { emptyState, paths, writeCredential } from '../state.ts';
import { writeFileAtomic } from '../atomic-file.ts';
import { AGENT_VERSION } from '../version.ts';
import { warnAfterEnroll } from './policy-coverage.ts';

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
    throw new UsageError(`--api must be a URL like https://driftwatch.example.com, got "${api}"`, 'enroll');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--api must be an http:// or https:// URL, got "${api}"`, 'enroll');
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
  const path = '/v1/agent/enroll';
  const res = await client.request<EnrollResponse>('POST', path, { body });
  const { serverId, tenantId, credential } = res.body;
  // JSON, but not the enrollment's answer: some other service lives at that address.
  if (typeof serverId !== 'string' || typeof tenantId !== 'string' || typeof credential !== 'string') {
    const answer = { status: res.status, contentType: 'application/json', body: res.body, location: null };
    throw new NoApiError(noApiMessage(client.apiUrl, `POST ${client.apiUrl}${path}`, answer, 'not an enrollment answer', 'check --api'));
  }
  writeCredential(opts.stateDir, { apiUrl, serverId, tenantId, credential });
  // A new identity: the config and last scan of a previous enrollment no longer apply.
  writeFileAtomic(paths(opts.stateDir).state, `${JSON.stringify(emptyState())}\n`, 0o600);
  log.info(`enrolled as server ${serverId}; credential in ${paths(opts.stateDir).credential}`);
  warnAfterEnroll(res.body, opts.tag);
  process.stdout.write(`${JSON.stringify({ serverId })}\n`);
  return 0;
}
