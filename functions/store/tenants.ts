import { isDeepStrictEqual } from 'node:util';
import { secret } from '../shared/config.ts';
import { deriveEnrollmentSecret, safeEqual } from '../shared/secrets.ts';
import type { TenantSettings } from '../model/settings.ts';
import { DEFAULT_EVENT_RETENTION_DAYS } from '../domain/retention.ts';
import { scheduledFrom, type DueState } from '../domain/due-work.ts';
import type { ScanSchedule } from '../domain/schedule.ts';
import { keys, type WakeEntry } from './keys.ts';
import { defineEntity } from './entity.ts';
import { dueAttributes, dueStateOf, finishDueSlot, moveDueState } from './due-state.ts';
import { queryPage, type Page } from './db.ts';

/**
 * The tenant item: name, settings, the enrollment key generation and the config version agents poll, and
 * the due state of its weekly reports (domain/due-work.ts: the report time in `settings.weeklyReport`).
 */
export interface TenantItem extends DueState {
  id: string;
  name: string;
  createdAt: string;
  enrollmentGeneration: number;
  /** When the current enrollment key was issued (created or rotated); absent on tenants made before: createdAt. */
  enrollmentKeyIssuedAt?: string;
  /** Bumped on every change to policies, groups or server assignments; agents refetch config when it moves. */
  configVersion: number;
  checkInIntervalSeconds: number;
  settings: TenantSettings;
  /** The ids of the tenant's admin keys (store/admin-key-register.ts); absent on tenants made before it. */
  adminKeyIds?: Record<string, true>;
}

/** A tenant's weekly reports in the wake index. */
export const reportsEntry = (tenantId: string): WakeEntry => ({ kind: 'reports', tenantId, id: tenantId });

export const tenants = defineEntity<TenantItem>({
  name: 'tenant',
  key: (tenantId) => keys.tenant(tenantId),
  idOf: (tenant) => tenant.id,
  indexes: (tenantId, tenant) => ({ ...keys.tenantIndex(tenantId), ...(dueAttributes(reportsEntry(tenantId), tenant) as Record<string, string>) }),
});

/** The weekly report time as a schedule (domain/schedule.ts). */
export const reportScheduleOf = (settings: Pick<TenantSettings, 'weeklyReport'>): ScanSchedule => ({ frequency: 'weekly', ...settings.weeklyReport });

/** The due state of weekly reports at `settings`' report time, set at `now`: the first report time after now. */
export const reportsScheduledFrom = (settings: Pick<TenantSettings, 'weeklyReport'>, now: Date): DueState => scheduledFrom(reportScheduleOf(settings), now);

/**
 * Writes new settings; when the report time changed (or was never scheduled), the next report moves to the
 * new time's first occurrence after `now`, in the same write, conditional on the due state read (a report
 * claimed meanwhile is kept owed). Answers the tenant as written, or undefined when the due state moved.
 */
export async function writeSettings(tenant: TenantItem, set: Partial<TenantItem>, now: Date): Promise<TenantItem | undefined> {
  const next = { ...tenant, ...set };
  const rescheduled = !tenant.nextDueAt || !isDeepStrictEqual(next.settings.weeklyReport, tenant.settings.weeklyReport);
  if (!rescheduled) return tenants.update(tenant.id, tenant.id, { set });
  const seen = dueStateOf(tenant);
  const due = { ...seen, nextDueAt: reportsScheduledFrom(next.settings, now).nextDueAt };
  if (!(await moveDueState(keys.tenant(tenant.id), reportsEntry(tenant.id), seen, due, { set }))) return undefined;
  return { ...next, ...due };
}

/** Schedules the weekly reports of a tenant stored before reports were scheduled (a no-op for the others). */
export async function ensureReportSchedule(tenantId: string, now: Date): Promise<void> {
  const tenant = await getTenant(tenantId);
  if (tenant && !tenant.nextDueAt) await writeSettings(tenant, {}, now);
}

/** The reports of `slot` are written: the tenant owes them no more (unless a newer slot was claimed since). */
export const finishReportSlot = (tenantId: string, slot: string) => finishDueSlot(keys.tenant(tenantId), reportsEntry(tenantId), slot);

export const getTenant = (tenantId: string) => tenants.get(tenantId, tenantId);

/**
 * How long a function instance reuses a tenant item it read for an agent's check-in. Thousands of agents
 * of one tenant read the same item every few minutes; reusing it for a few seconds makes the steady
 * check-in one DynamoDB request (the server's partition) instead of two. A config change reaches agents
 * at most this much later; writes made by this instance are seen at once (forgetTenant).
 */
export const TENANT_CACHE_MS = 10_000;
const cache = new Map<string, { tenant: TenantItem; until: number }>();

/** The tenant as an agent's check-in needs it (config version, interval): possibly a few seconds old. */
export async function getTenantForAgent(tenantId: string, now = Date.now()): Promise<TenantItem | undefined> {
  const hit = cache.get(tenantId);
  if (hit && hit.until > now) return hit.tenant;
  const tenant = await getTenant(tenantId);
  if (tenant) {
    if (cache.size >= 1000) cache.clear();
    cache.set(tenantId, { tenant, until: now + TENANT_CACHE_MS });
  } else cache.delete(tenantId);
  return tenant;
}

/** Drops the cached tenant after a write to it. */
export function forgetTenant(tenantId: string): void {
  cache.delete(tenantId);
}

/** `dwe_<tenant>.<generation>.<secret>`: derived from the master secret, so nothing secret is stored. */
export function enrollmentKeyOf(tenant: Pick<TenantItem, 'id' | 'enrollmentGeneration'>): string {
  const derived = deriveEnrollmentSecret(secret('DRIFTWATCH_MASTER_SECRET'), tenant.id, tenant.enrollmentGeneration);
  return `dwe_${tenant.id}.${tenant.enrollmentGeneration}.${derived}`;
}

/** True when `presented` is the tenant's current enrollment key. */
export function isCurrentEnrollmentKey(tenant: TenantItem, generation: number, presented: string): boolean {
  if (generation !== tenant.enrollmentGeneration) return false;
  const expected = deriveEnrollmentSecret(secret('DRIFTWATCH_MASTER_SECRET'), tenant.id, generation);
  return safeEqual(expected, presented);
}

/** Bumps the enrollment key generation: the old key stops working at once. Answers the tenant as it is now. */
export async function rotateEnrollmentKey(tenantId: string, now: Date): Promise<TenantItem> {
  const updated = await tenants.update(tenantId, tenantId, { add: { enrollmentGeneration: 1 }, set: { enrollmentKeyIssuedAt: now.toISOString() } });
  if (!updated) throw new Error(`tenant ${tenantId} vanished`);
  return updated;
}

/** Marks the tenant's agent configuration as changed (one small update). */
export async function bumpConfigVersion(tenantId: string): Promise<void> {
  await tenants.update(tenantId, tenantId, { add: { configVersion: 1 } });
  forgetTenant(tenantId);
}

/** How many days the tenant keeps events, as set now (read at each ingest, so a change applies to the events stored after it). */
export async function eventRetentionDays(tenantId: string): Promise<number> {
  return (await getTenant(tenantId))?.settings.eventRetentionDays ?? DEFAULT_EVENT_RETENTION_DAYS;
}

/** One page of tenant ids (the schedule handler walks them all). */
export async function listTenantIds(cursor?: string): Promise<Page<string>> {
  const all = keys.allTenants();
  const page = await queryPage<{ id: string }>({ index: 'gsi1', pk: all.pk, skPrefix: all.skPrefix }, { limit: 500, cursor });
  return { items: page.items.map((t) => t.id), nextCursor: page.nextCursor };
}
