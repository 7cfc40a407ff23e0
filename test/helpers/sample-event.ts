import { deterministicId } from '../../functions/shared/ids.ts';
import type { Event } from '../../functions/model/event.ts';

/** A critical content change of `/etc/<name>.conf` on web1 detected at `at`, as ingest stores it (no labels): for tests that write events straight into the store. */
export function sampleEvent(at: Date, name: string): Event {
  return {
    id: deterministicId('evt', at, name),
    serverId: 'srv_web1',
    hostname: 'web1.example.com',
    groupId: 'grp_unassigned',
    policyId: 'pol_etc',
    targetPath: '/etc',
    path: `/etc/${name}.conf`,
    changeType: 'modified',
    changedAttributes: ['content', 'mtime'],
    severity: 'critical',
    source: 'scan',
    detectedAt: at.toISOString(),
    before: { type: 'file', size: 10, mode: '0644', uid: 0, gid: 0, mtime: at.toISOString(), ctime: at.toISOString(), inode: 42, hash: { algorithm: 'sha256', value: 'a'.repeat(64) } },
    after: { type: 'file', size: 12, mode: '0644', uid: 0, gid: 0, mtime: at.toISOString(), ctime: at.toISOString(), inode: 42, hash: { algorithm: 'sha256', value: 'b'.repeat(64) } },
    labels: [],
  };
}
