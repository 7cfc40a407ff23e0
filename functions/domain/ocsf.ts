import type { Entry } from '../contract/entry.ts';
import type { Event } from '../model/event.ts';

/**
 * A Driftwatch event as an OCSF File System Activity record (class_uid 1001, category System Activity, OCSF
 * 1.8.0), the shape AWS Security Lake and OCSF-reading SIEMs take. The mapping is documented field by field in
 * docs/label-sync.md. A scan sees that a file changed, not who changed it: the actor is Driftwatch itself
 * (`actor.app_name`), the only thing the event knows; `file.owner` carries the owner the scan saw.
 */
export const OCSF_VERSION = '1.8.0';
export const FILE_ACTIVITY_CLASS_UID = 1001;
export const SYSTEM_CATEGORY_UID = 1;

/** OCSF File System Activity activity ids used here. */
export const FILE_ACTIVITY = { create: 1, update: 3, delete: 4, rename: 5, setAttributes: 6 } as const;
const ACTIVITY_NAMES: Record<number, string> = { 1: 'Create', 3: 'Update', 4: 'Delete', 5: 'Rename', 6: 'Set Attributes' };

/** OCSF severity ids: a critical target's change is High, any other Low. */
const SEVERITY: Record<Event['severity'], { id: number; name: string }> = { critical: { id: 4, name: 'High' }, normal: { id: 2, name: 'Low' } };

/** OCSF file type ids (file object `type_id`). */
const FILE_TYPES: Record<Entry['type'], { id: number; name: string }> = {
  file: { id: 1, name: 'Regular File' },
  directory: { id: 2, name: 'Folder' },
  symlink: { id: 7, name: 'Symbolic Link' },
  other: { id: 99, name: 'Other' },
};

/** OCSF fingerprint algorithm ids. */
const HASH_ALGORITHMS: Record<string, { id: number; name: string }> = {
  md5: { id: 1, name: 'MD5' },
  sha1: { id: 2, name: 'SHA-1' },
  sha256: { id: 3, name: 'SHA-256' },
  sha512: { id: 4, name: 'SHA-512' },
};

/** Attributes whose change alone is a change of the file's attributes rather than of its data. */
const DATA_ATTRIBUTES = new Set(['content', 'size', 'type', 'linkTarget']);

/** The activity of a change: added -> Create, removed -> Delete, renamed -> Rename, modified -> Update, or Set Attributes when no data changed. */
export function activityOf(event: Pick<Event, 'changeType' | 'changedAttributes'>): number {
  switch (event.changeType) {
    case 'added':
      return FILE_ACTIVITY.create;
    case 'removed':
      return FILE_ACTIVITY.delete;
    case 'renamed':
      return FILE_ACTIVITY.rename;
    case 'modified':
      return event.changedAttributes.some((a) => DATA_ATTRIBUTES.has(a)) || event.changedAttributes.length === 0 ? FILE_ACTIVITY.update : FILE_ACTIVITY.setAttributes;
  }
}

const epochMs = (iso: string | undefined): number | undefined => {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
};

/** The last segment of a path, with either separator (Windows paths use `\`). */
function splitPath(path: string): { name: string; parent: string | undefined } {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  if (cut < 0) return { name: path, parent: undefined };
  const name = path.slice(cut + 1) || path;
  return { name, parent: cut === 0 ? path.slice(0, 1) : path.slice(0, cut) };
}

/** An OCSF file object for `path` in the state `entry` (null: the path alone, state unknown). */
export function ocsfFile(path: string, entry: Entry | null): Record<string, unknown> {
  const { name, parent } = splitPath(path);
  const type = entry ? FILE_TYPES[entry.type] : { id: 0, name: 'Unknown' };
  const file: Record<string, unknown> = { name, path, type_id: type.id, type: type.name };
  if (parent !== undefined) file.parent_folder = parent;
  if (!entry) return file;
  file.size = entry.size;
  file.uid = String(entry.inode);
  file.owner = { uid: String(entry.uid) };
  const modified = epochMs(entry.mtime);
  if (modified !== undefined) file.modified_time = modified;
  if (entry.hash) {
    const algorithm = HASH_ALGORITHMS[entry.hash.algorithm] ?? { id: 99, name: entry.hash.algorithm };
    file.hashes = [{ algorithm_id: algorithm.id, algorithm: algorithm.name, value: entry.hash.value }];
  }
  // What OCSF's file object has no attribute for, as its name/value extended attributes.
  const extra: Record<string, string> = { mode: entry.mode, gid: String(entry.gid), ctime: entry.ctime };
  if (entry.linkTarget !== undefined) extra.link_name = entry.linkTarget;
  file.xattributes = extra;
  return file;
}

/**
 * One event as an OCSF File System Activity record. `file` is the file as it was (for an added file, as it
 * is), `file_result` as it is after the change (absent for a removal); a rename's `file` has the old path.
 */
export function ocsfFileActivity(event: Event, context: { tenantId: string; syncedLabelIds: readonly string[] }): Record<string, unknown> {
  const activityId = activityOf(event);
  const severity = SEVERITY[event.severity];
  const beforePath = event.changeType === 'renamed' && event.previousPath ? event.previousPath : event.path;
  const record: Record<string, unknown> = {
    class_uid: FILE_ACTIVITY_CLASS_UID,
    class_name: 'File System Activity',
    category_uid: SYSTEM_CATEGORY_UID,
    category_name: 'System Activity',
    activity_id: activityId,
    activity_name: ACTIVITY_NAMES[activityId],
    type_uid: FILE_ACTIVITY_CLASS_UID * 100 + activityId,
    type_name: `File System Activity: ${ACTIVITY_NAMES[activityId]}`,
    severity_id: severity.id,
    severity: severity.name,
    time: epochMs(event.detectedAt) ?? 0,
    message: `${event.changeType} ${event.path} on ${event.hostname}`,
    metadata: {
      version: OCSF_VERSION,
      uid: event.id,
      tenant_uid: context.tenantId,
      product: { name: 'Driftwatch', vendor_name: 'Driftwatch', uid: 'driftwatch' },
      log_name: 'labeled-events',
      labels: event.labels.map((l) => l.name),
    },
    actor: { app_name: 'Driftwatch' },
    device: { hostname: event.hostname, uid: event.serverId, type_id: 1, type: 'Server' },
    file: ocsfFile(beforePath, event.before ?? event.after),
    unmapped: {
      driftwatch: {
        eventId: event.id,
        changeType: event.changeType,
        changedAttributes: event.changedAttributes,
        severity: event.severity,
        source: event.source,
        policyId: event.policyId,
        groupId: event.groupId,
        targetPath: event.targetPath,
        ...(event.scanId ? { scanId: event.scanId } : {}),
        labels: event.labels,
        syncedLabelIds: context.syncedLabelIds,
      },
    },
  };
  if (event.after && event.changeType !== 'removed') record.file_result = ocsfFile(event.path, event.after);
  return record;
}
