import type { Severity } from '../model/enums.ts';

/**
 * Which changes alert, and which of them a profile is told about (CONTRACT "Semantics": events whose target
 * has `alert: true`, to each profile whose `severities` hold the event's severity). Pure.
 */
export interface AlertPolicy {
  targets: readonly { path: string; alert: boolean }[];
}

/**
 * Whether a change alerts: its target's `alert` flag. A change whose target or policy was removed since the
 * scan still alerts: telling once too often beats staying silent about a change.
 */
export function isAlerting(change: { policyId: string; targetPath: string }, policies: ReadonlyMap<string, AlertPolicy>): boolean {
  const target = policies.get(change.policyId)?.targets.find((t) => t.path === change.targetPath);
  return target?.alert ?? true;
}

/** The changes a profile mails about: those of a severity it takes. */
export function changesForProfile<T extends { severity: Severity }>(changes: readonly T[], profile: { severities: readonly Severity[] }): T[] {
  return changes.filter((c) => profile.severities.includes(c.severity));
}

/** `<base>/v1/events?...` for a mail's link; empty parameters are left out. */
export function eventsLink(base: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams(Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  return `${base.replace(/\/+$/, '')}/v1/events?${params.toString()}`;
}
