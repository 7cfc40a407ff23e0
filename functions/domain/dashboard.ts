/**
 * The change dashboard from its day counters (store/dashboard-counters.ts), pure: totals by change type,
 * severity and label, by server (most changes first) and a daily series with every day of the window.
 */
export interface DayCounters {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  total: number;
  added: number;
  modified: number;
  removed: number;
  renamed: number;
  critical: number;
  normal: number;
  servers: Record<string, { total: number; hostname: string }>;
  labels: Record<string, number>;
}

export interface DashboardSummary {
  changes: { total: number; added: number; modified: number; removed: number; renamed: number };
  bySeverity: { critical: number; normal: number };
  byLabel: Array<{ labelId: string; total: number }>;
  byServer: Array<{ serverId: string; hostname: string; total: number }>;
  series: Array<{ date: string; total: number }>;
}

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a time (UTC). */
export const dayOf = (time: string | Date): string => new Date(time).toISOString().slice(0, 10);

/** Every day from `fromDay` to `toDay`, inclusive. */
export function daysBetween(fromDay: string, toDay: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${fromDay}T00:00:00.000Z`); t <= Date.parse(`${toDay}T00:00:00.000Z`); t += DAY_MS) out.push(dayOf(new Date(t)));
  return out;
}

export function summarize(counters: readonly DayCounters[], fromDay: string, toDay: string): DashboardSummary {
  const changes = { total: 0, added: 0, modified: 0, removed: 0, renamed: 0 };
  const bySeverity = { critical: 0, normal: 0 };
  const labels = new Map<string, number>();
  const servers = new Map<string, { hostname: string; total: number; lastDay: string }>();
  const perDay = new Map<string, number>();
  for (const c of counters) {
    for (const key of Object.keys(changes) as (keyof typeof changes)[]) changes[key] += c[key];
    bySeverity.critical += c.critical;
    bySeverity.normal += c.normal;
    perDay.set(c.day, (perDay.get(c.day) ?? 0) + c.total);
    for (const [labelId, n] of Object.entries(c.labels)) labels.set(labelId, (labels.get(labelId) ?? 0) + n);
    for (const [serverId, s] of Object.entries(c.servers)) {
      const seen = servers.get(serverId);
      // The hostname most recently counted wins (a renamed host shows its current name).
      const hostname = !seen || (c.day >= seen.lastDay && s.hostname) ? s.hostname || seen?.hostname || '' : seen.hostname;
      servers.set(serverId, { hostname, total: (seen?.total ?? 0) + s.total, lastDay: seen && seen.lastDay > c.day ? seen.lastDay : c.day });
    }
  }
  return {
    changes,
    bySeverity,
    byLabel: [...labels].filter(([, n]) => n > 0).map(([labelId, total]) => ({ labelId, total })).sort((a, b) => b.total - a.total || a.labelId.localeCompare(b.labelId)),
    byServer: [...servers]
      .filter(([, s]) => s.total > 0)
      .map(([serverId, s]) => ({ serverId, hostname: s.hostname, total: s.total }))
      .sort((a, b) => b.total - a.total || a.serverId.localeCompare(b.serverId)),
    series: daysBetween(fromDay, toDay).map((date) => ({ date, total: perDay.get(date) ?? 0 })),
  };
}
