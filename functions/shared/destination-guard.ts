import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { config } from './config.ts';
import { resolvedVerdict, urlVerdict, type DestinationPolicy } from '../domain/destination-url.ts';

/** A destination the policy refuses (at create, or at a delivery after DNS resolution). */
export class DestinationRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`destination refused: ${reason}`);
    this.name = 'DestinationRefusedError';
  }
}

/** Resolves a name to every address it has (the system resolver, as a connection would). */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (error, found) => (error ? reject(error) : resolve(found.map((a) => a.address)))));

/** The policy of this deployment: the cloud's, or the local stack's loopback exception (config SYNC_ALLOW_LOOPBACK). */
export const deployedPolicy = (): DestinationPolicy => ({ allowLoopback: config().SYNC_ALLOW_LOOPBACK === 'true' });

/**
 * The SSRF check of a destination URL: parsed, its name resolved, every address allowed by `policy`. Used when
 * a destination is created or its URL changed; each delivery checks again inside the connection's own
 * lookup (`guardedLookup`), so a name that resolves elsewhere later (DNS rebinding) is refused then.
 * Answers the addresses it checked.
 */
export async function checkDestination(raw: string, policy: DestinationPolicy, resolve: Resolver = systemResolver): Promise<string[]> {
  const parsed = urlVerdict(raw, policy);
  if (!parsed.ok) throw new DestinationRefusedError(parsed.reason);
  let addresses: string[];
  try {
    addresses = parsed.literal ? [parsed.literal] : await resolve(parsed.url!.hostname);
  } catch (error) {
    throw new DestinationRefusedError(`${parsed.url!.hostname} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const verdict = resolvedVerdict(parsed.url!, addresses, policy);
  if (!verdict.ok) throw new DestinationRefusedError(verdict.reason);
  return addresses;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).request that resolves once, refuses unless every address passes the policy, and
 * hands the connection exactly the addresses it checked: nothing is resolved again between the check and
 * the connect.
 */
export function guardedLookup(url: URL, policy: DestinationPolicy, resolve: Resolver = systemResolver) {
  return (hostname: string, options: { all?: boolean } | number, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addresses) => {
        const verdict = resolvedVerdict(url, addresses, policy);
        if (!verdict.ok) return callback(Object.assign(new DestinationRefusedError(verdict.reason), { code: 'EDESTREFUSED' }), '');
        const all = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
        if (typeof options === 'object' && options.all) callback(null, all);
        else callback(null, all[0]!.address, all[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}
