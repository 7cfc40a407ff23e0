import type { SyncFormat } from '../model/enums.ts';
import type { SyncDestination } from '../model/sync-destination.ts';
import { isUsableSecret } from '../domain/webhook-signature.ts';
import { checkDestination, deployedPolicy, DestinationRefusedError, type Resolver } from '../shared/destination-guard.ts';
import { newId } from '../shared/ids.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/problem.ts';
import type { Changes } from '../store/db.ts';
import { latestLabelSeq } from '../store/label-history.ts';
import { getSyncDestination, setFromSeq, syncDestinations, updateSyncDestinationSettings, type SyncDestinationItem } from '../store/sync-destinations.ts';
import { deleteOutbox } from '../store/sync-outbox.ts';
import { sealDestinationSecret } from './destination-secrets.ts';
import { recordAudit, type Caller } from './record-audit.ts';
import { servedDestination } from './sync-destination-view.ts';

/** What a user gives to create a sync destination (the API's request, defaults applied). */
export interface SyncDestinationInput {
  name: string;
  type: 'webhook';
  url: string;
  secret: string;
  format: SyncFormat;
  enabled: boolean;
}

/** A PATCH: fields left out stay unchanged. A new `secret` keeps the old one signing for `previousSecretValidHours` (default 24). */
export type SyncDestinationPatch = { [K in keyof SyncDestinationInput]?: SyncDestinationInput[K] | undefined } & { previousSecretValidHours?: number | undefined };

export const DEFAULT_SECRET_GRACE_HOURS = 24;

/**
 * A destination is where the tenant's events leave Driftwatch: every change of where they go, or of the secret
 * that signs them, is in the audit trail (recorded before the change, as recordAudit asks). Never the secret itself.
 */
async function audit(tenantId: string, action: 'created' | 'updated' | 'deleted', id: string, caller: Caller, now: Date, details: Record<string, string | boolean>): Promise<void> {
  await recordAudit(tenantId, { action: `sync-destination.${action}`, actor: caller.actor, ...caller.origin, target: { type: 'sync-destination', id }, details }, now);
}

/** The SSRF policy check and the secret's format, as a 400 naming the field. */
async function checkInput(input: { url?: string | undefined; secret?: string | undefined }, resolve?: Resolver): Promise<void> {
  if (input.secret !== undefined && !isUsableSecret(input.secret)) {
    throw new ValidationError('The secret is not usable.', [{ path: 'secret', message: 'a whsec_ secret must be base64 of 24 to 64 bytes' }]);
  }
  if (input.url === undefined) return;
  try {
    await checkDestination(input.url, deployedPolicy(), resolve);
  } catch (error) {
    if (error instanceof DestinationRefusedError) throw new ValidationError(`The destination URL is refused: ${error.reason}.`, [{ path: 'url', message: error.reason }]);
    throw error;
  }
}

/**
 * Creates a destination. It receives the label applications recorded after it exists: its starting point in
 * the tenant's record sequence is read after it is written, so no sync that did not see it can hand on a
 * record it should get (docs/label-sync.md, "Who gets what").
 */
export async function createSyncDestination(tenantId: string, input: SyncDestinationInput, caller: Caller, now: Date, resolve?: Resolver): Promise<SyncDestination> {
  await checkInput(input, resolve);
  const id = newId('dst', now);
  await audit(tenantId, 'created', id, caller, now, { name: input.name, url: input.url, format: input.format });
  const at = now.toISOString();
  const item: SyncDestinationItem = {
    id,
    name: input.name,
    type: input.type,
    url: input.url,
    format: input.format,
    enabled: input.enabled,
    disabledReason: null,
    sealedSecret: sealDestinationSecret(tenantId, id, input.secret),
    previousSecretValidUntil: null,
    createdAt: at,
    updatedAt: at,
    lastSuccessAt: null,
    lastError: null,
    lastErrorAt: null,
    consecutiveFailures: 0,
    lastAttemptAt: null,
    retryAt: null,
  };
  await syncDestinations.create(tenantId, item);
  const fromSeq = await latestLabelSeq(tenantId, true);
  await setFromSeq(tenantId, id, fromSeq);
  return servedDestination(tenantId, { ...item, fromSeq }, now);
}

/** Applies a PATCH, conditional on the version read (retried when the sync moved the destination meanwhile). */
export async function patchSyncDestination(tenantId: string, id: string, patch: SyncDestinationPatch, caller: Caller, now: Date, resolve?: Resolver): Promise<SyncDestination> {
  await checkInput(patch, resolve);
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await getSyncDestination(tenantId, id, true);
    if (!current) throw new NotFoundError('sync destination');
    if (attempt === 0) {
      const changed: Record<string, string | boolean> = {};
      for (const field of ['name', 'url', 'format', 'enabled'] as const) if (patch[field] !== undefined) changed[field] = patch[field];
      if (patch.secret !== undefined) changed.secretChanged = true;
      await audit(tenantId, 'updated', id, caller, now, changed);
    }
    const set: Record<string, unknown> = { updatedAt: now.toISOString() };
    for (const field of ['name', 'url', 'format'] as const) if (patch[field] !== undefined) set[field] = patch[field];
    if (patch.enabled !== undefined) {
      set.enabled = patch.enabled;
      // Resumed: from the next interval, with a clean slate (a 410's reason no longer applies).
      if (patch.enabled && !current.enabled) Object.assign(set, { disabledReason: null, retryAt: null, consecutiveFailures: 0 });
    }
    if (patch.secret !== undefined) {
      const graceHours = patch.previousSecretValidHours ?? DEFAULT_SECRET_GRACE_HOURS;
      set.sealedSecret = sealDestinationSecret(tenantId, id, patch.secret);
      set.sealedPreviousSecret = current.sealedSecret;
      set.previousSecretValidUntil = graceHours > 0 ? new Date(now.getTime() + graceHours * 3_600_000).toISOString() : null;
    }
    const changes: Changes = { set };
    const updated = await updateSyncDestinationSettings(tenantId, id, changes, current.updatedAt);
    if (updated) return servedDestination(tenantId, updated, now);
  }
  throw new ConflictError('The sync destination kept changing while it was updated; try again.');
}

/** Deletes a destination and its outbox (what it was still owed is dropped with it). */
export async function deleteSyncDestination(tenantId: string, id: string, caller: Caller, now: Date): Promise<void> {
  const current = await getSyncDestination(tenantId, id, true);
  if (!current) throw new NotFoundError('sync destination');
  await audit(tenantId, 'deleted', id, caller, now, { name: current.name, url: current.url });
  if (!(await syncDestinations.remove(tenantId, id))) throw new NotFoundError('sync destination');
  await deleteOutbox(tenantId, id);
}
