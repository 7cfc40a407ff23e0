import ipaddr from 'ipaddr.js';
import type { Context } from 'hono';
import { minuteWindow } from '../../domain/rate-window.ts';
import { TooManyRequestsError } from '../../shared/problem.ts';
import { countAuthFailureWithinLimit } from '../../store/auth-failures.ts';
import { sourceAddress } from '../request-origin.ts';

/** Invalid credentials one source may present in a UTC minute before the next ones are answered 429. */
export const AUTH_FAILURES_PER_MINUTE = 60;

/** Sources refused this minute, as this instance saw them: their further failures are refused without a write. */
const refusedUntil = new Map<string, number>();
const MAX_REMEMBERED = 10_000;

/**
 * Who a failure counts against: the address, or for IPv6 its /64 (one host is given a whole /64, so an
 * address within it costs an attacker nothing). IPv4-mapped IPv6 counts as the IPv4 address.
 */
export function failureSource(address: string | undefined): string {
  if (!address || !ipaddr.isValid(address)) return 'unknown';
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).toNormalizedString().split(':').slice(0, 4);
  return `${parts.join(':')}::/64`;
}

/**
 * Called when a presented credential was invalid (a 401 is on its way). Counts it against the request's
 * source (a DynamoDB counter per source and minute, conditional ADD, so every API instance counts on the
 * same item); past AUTH_FAILURES_PER_MINUTE it throws a 429 with Retry-After (the next minute) instead.
 * Valid credentials never reach this, so a flood of bad keys from an address (or a NAT it shares)
 * locks out no valid key, of that tenant or any other: what it bounds is the work and noise of guessing
 * (secrets are 256 bits; no rate makes guessing them work).
 */
export async function countInvalidCredential(c: Context, now: Date): Promise<void> {
  const source = failureSource(sourceAddress(c));
  const window = minuteWindow(now);
  const refuse = () => new TooManyRequestsError(`Too many invalid credentials from this address; try again in ${window.retryAfterSeconds} s.`, window.retryAfterSeconds);
  if ((refusedUntil.get(source) ?? 0) > now.getTime()) throw refuse();
  if (await countAuthFailureWithinLimit(source, window, AUTH_FAILURES_PER_MINUTE)) return;
  if (refusedUntil.size >= MAX_REMEMBERED) refusedUntil.clear();
  refusedUntil.set(source, now.getTime() + window.retryAfterSeconds * 1000);
  throw refuse();
}
