import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScanTree } from '../../agent/scan-tree.ts';
import { addToSpool, listSpool, quarantineSpool, readSpool, rewriteSpoolScanId, type SpoolRecord } from '../../agent/spool.ts';
import { treeLines } from '../../agent/tree-file.ts';
import { scanTreeFileName } from '../../agent/tree-memory.ts';

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'dw-spool-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

/** A record of one policy whose tree holds one entry, `/etc/<marker>` (its tree file written as a scan does). */
function record(scanId: string | null, marker: string): SpoolRecord {
  const tree = new ScanTree(scanTreeFileName(stateDir, 'pol-1'), null, 'srv-1');
  tree.add([`/etc/${marker}`, { type: 'file', size: 1, mode: '0644', uid: 0, gid: 0, mtime: 'm', ctime: 'c', inode: 1 }]);
  const { root, file } = tree.finish();
  return { version: 2, serverId: 'srv-1', scanId, kind: 'on-demand', scannedAt: '2025-01-01T00:00:00.000Z', results: [{ policyId: 'pol-1', filesScanned: 1, root, file }] };
}

/** The one path a spooled record's tree holds. */
const markerOf = (path: string) => {
  const read = readSpool(path);
  if (read.version !== 2) throw new Error('a legacy record');
  const leaf = [...treeLines(read.results[0]!.file)].find((l) => l.level === 0)!;
  return (JSON.parse(leaf.json) as { entries: [string][] }).entries[0]![0];
};

describe('spool', () => {
  it('lists records oldest first, whatever their ids', () => {
    addToSpool(stateDir, record('zzz', 'a'), undefined, 1000);
    addToSpool(stateDir, record(null, 'b'), undefined, 2000);
    addToSpool(stateDir, record('aaa', 'c'), undefined, 2000);
    addToSpool(stateDir, record('mmm', 'd'), undefined, 3000);
    const markers = listSpool(stateDir).map((f) => markerOf(f.path));
    expect(markers).toEqual(['/etc/a', '/etc/b', '/etc/c', '/etc/d']);
  });

  it('round-trips a record, moving its tree files in, and rewrites its scan id in place', () => {
    const original = record(null, 'x');
    const path = addToSpool(stateDir, original)!;
    expect(existsSync(original.results[0]!.file)).toBe(false);
    const read = readSpool(path) as SpoolRecord;
    expect({ ...read, results: read.results.map((r) => ({ ...r, file: undefined })) }).toEqual({ ...original, results: original.results.map((r) => ({ ...r, file: undefined })) });
    expect(read.results[0]!.file.startsWith(path)).toBe(true);
    expect(markerOf(path)).toBe('/etc/x');
    rewriteSpoolScanId(path, 'scan-9');
    expect(readSpool(path).scanId).toBe('scan-9');
    expect(listSpool(stateDir)).toHaveLength(1);
  });

  it('reads records of earlier versions (entries as gzip JSON)', () => {
    mkdirSync(join(stateDir, 'spool'), { recursive: true });
    const legacy = { version: 1, serverId: 'srv-1', scanId: null, kind: 'on-demand', scannedAt: '2025-01-01T00:00:00.000Z', results: [{ policyId: 'pol-1', filesScanned: 1, entries: [['/etc/old', {}]] }] };
    writeFileSync(join(stateDir, 'spool', '000000000000001-000001-old.json.gz'), gzipSync(JSON.stringify(legacy)));
    const [file] = listSpool(stateDir);
    expect(readSpool(file!.path)).toEqual(legacy);
  });

  it('refuses new records beyond the file bound, keeping the oldest', () => {
    const limits = { maxFiles: 3, maxBytes: 1e9 };
    for (let i = 0; i < 3; i++) expect(addToSpool(stateDir, record(`s${i}`, `f${i}`), limits, 1000 + i)).not.toBeNull();
    expect(addToSpool(stateDir, record('s3', 'f3'), limits, 2000)).toBeNull();
    expect(listSpool(stateDir).map((f) => readSpool(f.path).scanId)).toEqual(['s0', 's1', 's2']);
  });

  it('refuses a record that would pass the byte bound', () => {
    const first = addToSpool(stateDir, record('s0', 'x'))!;
    const size = listSpool(stateDir)[0]!.size;
    expect(size).toBeGreaterThan(0);
    expect(first).toBe(listSpool(stateDir)[0]!.path);
    const limits = { maxFiles: 100, maxBytes: size * 2 + 10 };
    expect(addToSpool(stateDir, record('s1', 'x'), limits)).not.toBeNull();
    expect(addToSpool(stateDir, record('s2', 'x'), limits)).toBeNull();
    expect(listSpool(stateDir)).toHaveLength(2);
  });

  it('writes atomically with private modes, and ignores what an interrupted write left behind', () => {
    const path = addToSpool(stateDir, record('s0', 'x'))!;
    expect(statSync(path).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(path)) expect(statSync(join(path, name)).mode & 0o777).toBe(0o600);
    const dir = join(stateDir, 'spool');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    // A crash between writing the temp record and the rename leaves only the temp record: not a record.
    mkdirSync(join(dir, '000000000000001-000001-crashed.scan.123.abcd.tmp'));
    expect(listSpool(stateDir).map((f) => f.path)).toEqual([path]);
  });

  it('quarantines a record out of the queue', () => {
    const path = addToSpool(stateDir, record('s0', 'x'))!;
    const [file] = listSpool(stateDir);
    const moved = quarantineSpool(stateDir, file!);
    expect(listSpool(stateDir)).toEqual([]);
    expect(statSync(moved).isDirectory()).toBe(true);
    expect(moved).not.toBe(path);
  });

  it('treats a missing spool dir as empty and damaged files as unreadable', () => {
    expect(listSpool(stateDir)).toEqual([]);
    mkdirSync(join(stateDir, 'spool'));
    writeFileSync(join(stateDir, 'spool', '000000000000001-000001-bad.json.gz'), 'not gzip');
    const [file] = listSpool(stateDir);
    expect(() => readSpool(file!.path)).toThrow();
  });
});
