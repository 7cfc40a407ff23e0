/**
 * Whose turn it is to be diffed against a server's state under one policy. Scans of one server are
 * applied in the order the agent walked them (detectedAt, then id): a scan is never diffed against a
 * state older than the previous scan's. A newer scan whose predecessor is recorded as uploaded but not
 * ingested yet WAITS (its message is retried, and the predecessor's completion wakes it) rather than
 * superseding it: the predecessor saw changes the newer scan may not (a file changed and changed back),
 * and it may already have written some of its events, which a superseding diff would report again.
 * Only a scan uploaded late, after a newer one was applied, reports nothing: the newer diff covered it.
 */
export interface ScanPosition {
  id: string;
  /** When the agent finished walking (absent on states written before it was recorded). */
  detectedAt?: string | undefined;
}

/** Another scan in the line of this server and policy, as its scan item says now. */
export interface OtherScan extends ScanPosition {
  /** Uploaded and not completed: it still owes its events. */
  awaitsIngest: boolean;
  /** Completed, failed or gone: it will never apply, so its place in line is stale. */
  ended: boolean;
}

export type Turn =
  /** This scan's diff is already applied (a retry): reuse its stats. */
  | { kind: 'applied' }
  /** Another scan comes first (an older upload, or the scan now writing its events): try again later. */
  | { kind: 'wait'; behind: string }
  /** A newer scan was applied first: its diff covers this one's changes, so this one reports nothing. */
  | { kind: 'superseded' }
  /** This scan's turn: diff against the applied state. `staleClaim` ended without releasing the state; `forget` are stale places in line. */
  | { kind: 'go'; staleClaim?: string; forget: string[] };

/** Orders two positions: by detectedAt, then by id (ids are time-ordered). */
export function comparePositions(a: ScanPosition, b: ScanPosition): number {
  const at = (a.detectedAt ?? '').localeCompare(b.detectedAt ?? '');
  return at !== 0 ? at : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The turn of `scan`, given the applied state, the scan holding the state (if any) and the other scans in
 * line (their ids come from the state item, their status from their own items).
 */
export function ingestTurn(input: { scan: ScanPosition; applied?: ScanPosition | undefined; claimant?: OtherScan | undefined; others: readonly OtherScan[] }): Turn {
  const { scan, applied, claimant, others } = input;
  if (applied?.id === scan.id) return { kind: 'applied' };
  const forget = others.filter((o) => o.ended).map((o) => o.id);
  // The claim holder already passed every check below; it goes on until its state moves.
  if (claimant?.id === scan.id) return { kind: 'go', forget };
  if (claimant?.awaitsIngest) return { kind: 'wait', behind: claimant.id };
  const older = others.filter((o) => o.awaitsIngest && comparePositions(o, scan) < 0).sort(comparePositions)[0];
  if (older) return { kind: 'wait', behind: older.id };
  if (applied?.detectedAt && scan.detectedAt && comparePositions(applied, scan) > 0) return { kind: 'superseded' };
  return { kind: 'go', forget, ...(claimant ? { staleClaim: claimant.id } : {}) };
}
