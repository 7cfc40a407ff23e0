import { describe, expect, it } from 'vitest';
import type { Entry } from '../contract/entry.ts';
import type { Event } from '../model/event.ts';
import { activityOf, ocsfFileActivity } from './ocsf.ts';

const entry = (over: Partial<Entry> = {}): Entry => ({ type: 'file', size: 5, mode: '0644', uid: 1000, gid: 100, mtime: '2026-11-30T10:00:00.000Z', ctime: '2026-11-30T10:00:00.000Z', inode: 7, ...over });
const event = (over: Partial<Event>): Event => ({
  id: 'evt_1',
  serverId: 'srv_1',
  hostname: 'db1',
  groupId: 'grp_1',
  policyId: 'pol_1',
  targetPath: '/etc',
  path: '/etc/app/app.conf',
  changeType: 'modified',
  changedAttributes: ['content'],
  severity: 'normal',
  source: 'scan',
  detectedAt: '2026-12-01T00:00:00.000Z',
  before: entry(),
  after: entry({ size: 6 }),
  labels: [],
  ...over,
});

describe('OCSF File System Activity mapping', () => {
  it('maps change types to activities: create, update, delete, rename, set attributes', () => {
    expect(activityOf(event({ changeType: 'added' }))).toBe(1);
    expect(activityOf(event({ changeType: 'modified', changedAttributes: ['content', 'mtime'] }))).toBe(3);
    expect(activityOf(event({ changeType: 'removed' }))).toBe(4);
    expect(activityOf(event({ changeType: 'renamed' }))).toBe(5);
    expect(activityOf(event({ changeType: 'modified', changedAttributes: ['mode', 'owner'] }))).toBe(6);
  });

  it('a removal has the file as it was and no file_result; an addition the file as it is', () => {
    const removed = ocsfFileActivity(event({ changeType: 'removed', after: null }), { tenantId: 't', syncedLabelIds: [] });
    expect(removed).toMatchObject({ activity_id: 4, type_uid: 100104, file: { path: '/etc/app/app.conf', name: 'app.conf', parent_folder: '/etc/app', size: 5 } });
    expect(removed.file_result).toBeUndefined();
    const added = ocsfFileActivity(event({ changeType: 'added', before: null }), { tenantId: 't', syncedLabelIds: [] });
    expect(added).toMatchObject({ activity_id: 1, file: { size: 6 }, file_result: { size: 6 } });
  });

  it('a rename has the old path in file and the new one in file_result; a symlink keeps its target', () => {
    const renamed = ocsfFileActivity(
      event({ changeType: 'renamed', previousPath: '/etc/app/old.conf', before: entry({ type: 'symlink', linkTarget: '/opt/x' }), after: entry({ type: 'symlink', linkTarget: '/opt/x' }) }),
      { tenantId: 't', syncedLabelIds: ['lbl_important'] },
    );
    expect(renamed).toMatchObject({
      activity_name: 'Rename',
      file: { path: '/etc/app/old.conf', name: 'old.conf', type_id: 7, xattributes: { link_name: '/opt/x', mode: '0644' } },
      file_result: { path: '/etc/app/app.conf' },
      unmapped: { driftwatch: { syncedLabelIds: ['lbl_important'] } },
    });
  });

  it('names Windows paths by their last segment, and a critical change is High severity', () => {
    const record = ocsfFileActivity(event({ path: 'C:\\Windows\\System32\\drivers\\etc\\hosts', severity: 'critical' }), { tenantId: 't', syncedLabelIds: [] });
    expect(record).toMatchObject({ severity_id: 4, severity: 'High', file: { name: 'hosts', parent_folder: 'C:\\Windows\\System32\\drivers\\etc' } });
    expect(record.time).toBe(Date.parse('2026-12-01T00:00:00.000Z'));
  });
});
