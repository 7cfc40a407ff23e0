import { ValidationError } from '../shared/problem.ts';
import type { Dashboard } from '../model/dashboard.ts';
import { dayOf, summarize } from '../domain/dashboard.ts';
import { readDayCounters } from '../store/dashboard-counters.ts';
import { getLabelItem, listLabels } from '../store/labels.ts';
import { countActiveServers } from '../store/servers.ts';

/** The longest window one request may ask for. */
export const MAX_DASHBOARD_DAYS = 366;
const DAY_MS = 86_400_000;

/**
 * The dashboard of a window (default: the 30 days to `now`), counted in whole UTC days from the counters
 * the ingest and label changes maintain, never from the events: one Query for the window's counters (at
 * most 16 items a day; one page unless the window's servers run to thousands), one for the server count,
 * one for label names. A 90-day window is 3 requests at usual sizes (docs/data-model.md has the arithmetic).
 */
export async function getDashboard(tenantId: string, window: { from?: string | undefined; to?: string | undefined }, now: Date): Promise<Dashboard> {
  const toDay = dayOf(window.to ?? now);
  const fromDay = dayOf(window.from ?? new Date(Date.parse(`${toDay}T00:00:00.000Z`) - 29 * DAY_MS));
  if (fromDay > toDay) throw new ValidationError('`from` is after `to`.', [{ path: 'from', message: 'must not be after to' }]);
  const days = (Date.parse(toDay) - Date.parse(fromDay)) / DAY_MS + 1;
  if (days > MAX_DASHBOARD_DAYS) throw new ValidationError(`The window is ${days} days; at most ${MAX_DASHBOARD_DAYS}.`, [{ path: 'from', message: `at most ${MAX_DASHBOARD_DAYS} days before to` }]);
  const [counters, servers, labels] = await Promise.all([readDayCounters(tenantId, fromDay, toDay), countActiveServers(tenantId), listLabels(tenantId)]);
  const summary = summarize(counters, fromDay, toDay);
  const names = new Map(labels.map((l) => [l.id, l.name]));
  // A label deleted since keeps its name in the dashboard (its counts fall as the cleanup removes it).
  for (const { labelId } of summary.byLabel) if (!names.has(labelId)) names.set(labelId, (await getLabelItem(tenantId, labelId))?.name ?? labelId);
  return {
    from: fromDay,
    to: toDay,
    servers,
    changes: summary.changes,
    bySeverity: summary.bySeverity,
    byLabel: summary.byLabel.map((l) => ({ ...l, name: names.get(l.labelId)! })),
    byServer: summary.byServer,
    series: summary.series,
  };
}
