/**
 * A server is `offline` when its agent has not been seen for a while. lastSeenAt is written at most
 * every LAST_SEEN_COALESCE_MS (to keep check-ins read-only), so the threshold allows for that lag
 * plus two missed check-ins.
 */
export const LAST_SEEN_COALESCE_MS = 15 * 60 * 1000;

export function serverStatus(
  server: { state: 'active' | 'deactivated'; lastSeenAt: string | null },
  now: Date,
  checkInIntervalSeconds: number,
): 'active' | 'offline' | 'deactivated' {
  if (server.state === 'deactivated') return 'deactivated';
  if (!server.lastSeenAt) return 'offline';
  const threshold = LAST_SEEN_COALESCE_MS + 2 * checkInIntervalSeconds * 1000;
  return now.getTime() - Date.parse(server.lastSeenAt) > threshold ? 'offline' : 'active';
}
