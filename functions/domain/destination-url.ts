import ipaddr from 'ipaddr.js';

/**
 * Where a sync destination may point (SSRF defence, docs/label-sync.md "SSRF"). Pure: the caller resolves
 * the name (shared/destination-guard.ts) and asks about every address it got, then connects to one of those.
 * In the cloud only `https` to public unicast addresses on an allowed port; the local stack, by explicit
 * configuration (`SYNC_ALLOW_LOOPBACK`), also allows the loopback interface over http, on any port.
 */
export interface DestinationPolicy {
  /** The local stack's exception: loopback addresses (127.0.0.0/8, ::1), over http or https, on any port. */
  allowLoopback: boolean;
  /** Ports allowed for everything else (default 443). */
  ports?: readonly number[];
}

export const CLOUD_POLICY: DestinationPolicy = { allowLoopback: false };

export type Verdict = { ok: true } | { ok: false; reason: string };

/** Why each special-purpose range is refused, in words a tenant can act on. */
const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  linkLocal: 'a link-local address (this includes the cloud metadata service)',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

/** What is wrong with an address (in words), or undefined when the policy allows it. */
function refusedRange(address: string, policy: DestinationPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  // ipaddr.process turns an IPv4-mapped IPv6 address (::ffff:10.0.0.1) into the IPv4 address it carries.
  const range = ipaddr.process(address).range();
  if (range === 'unicast' || (range === 'loopback' && policy.allowLoopback)) return undefined;
  return RANGE_WORDS[range] ?? `a special-purpose address (${range})`;
}

const isLoopback = (address: string) => ipaddr.isValid(address) && ipaddr.process(address).range() === 'loopback';

/** A URL as a destination: parsed, or why not, before any name is resolved. */
export function urlVerdict(raw: string, policy: DestinationPolicy): Verdict & { url?: URL; literal?: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a valid absolute URL' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowLoopback)) return { ok: false, reason: 'only https URLs are allowed' };
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are not allowed (the secret signs each delivery)' };
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (!host) return { ok: false, reason: 'the URL has no host' };
  return { ok: true, url, ...(ipaddr.isValid(host) ? { literal: host } : {}) };
}

/**
 * Whether a URL whose host resolved to `addresses` may be called: every address must be allowed (a name with
 * one private address among public ones is refused: a client may connect to any of them), http and ports
 * other than the allowed ones only to loopback under the local policy.
 */
export function resolvedVerdict(url: URL, addresses: readonly string[], policy: DestinationPolicy): Verdict {
  if (addresses.length === 0) return { ok: false, reason: `${url.hostname} does not resolve` };
  for (const address of addresses) {
    const refused = refusedRange(address, policy);
    if (!refused) continue;
    const literal = url.hostname === address || url.hostname === `[${address}]`;
    return { ok: false, reason: literal ? `${address} is ${refused}` : `${url.hostname} resolves to ${address}, ${refused}` };
  }
  if (addresses.every(isLoopback)) return { ok: true };
  if (url.protocol !== 'https:') return { ok: false, reason: 'only https URLs are allowed' };
  const port = url.port === '' ? 443 : Number(url.port);
  const ports = policy.ports ?? [443];
  if (!ports.includes(port)) return { ok: false, reason: `port ${port} is not allowed (allowed: ${ports.join(', ')})` };
  return { ok: true };
}
