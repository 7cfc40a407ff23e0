import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addToSpool, listSpool, quarantineSpool, readSpool, rewriteSpool, type SpoolRecord } from '../../agent/spool.ts';

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'dw-spool-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

function record(scanId: string | null, marker: string): SpoolRecord {
  return {
    version: 1,
    serverId: 'srv-1',
    scanId,
    kind: 'on-demand',
    scannedAt: '2025-01-01T00:00:00.000Z',
    results: [
      {
        policyId: 'pol-1',
        filesScanned: 1,
        entries: [[`/etc/${marker}`, { type: 'file', size: 1, mode: '0644', uid: 0, gid: 0, mtime: 'm', ctime: 'c', inode: 1 }]],
      },
    ],
  };
}

describe('spool', () => {
  it('lists records oldest first, whatever their ids', () => {
    addToSpool(stateDir, record('zzz', 'a'), undefined, 1000);
    addToSpool(stateDir, record(null, 'b'), undefined, 2000);
    addToSpool(stateDir, record('aaa', 'c'), undefined, 2000);
    addToSpool(stateDir, record('mmm', 'd'), undefined, 3000);
    const markers = listSpool(stateDir).map((f) => readSpool(f.path).results[0]!.entries[0]![0]);
    expect(markers).toEqual(['/etc/a', '/etc/b', '/etc/c', '/etc/d']);
  });

  it('round-trips a record, and rewrites it in place', () => {
    const path = addToSpool(stateDir, record(null, 'x'))!;
    expect(readSpool(path)).toEqual(record(null, 'x'));
    rewriteSpool(path, { ...record(null, 'x'), scanId: 'scan-9' });
    expect(readSpool(path).scanId).toBe('scan-9');
    expect(listSpool(stateDir)).toHaveLength(1);
  });

  it('refuses new records beyond the file bound, keeping the oldest', () => {
    const limits = { maxFiles: 3, maxBytes: 1e9 };
    for (let i = 0; i < 3; i++) expect(addToSpool(stateDir, record(`s${i}`, `f${i}`), limits, 1000 + i)).not.toBeNull();
    expect(addToSpool(stateDir, record('s3', 'f3'), limits, 2000)).toBeNull();
    expect(listSpool(stateDir).map((f) => readSpool(f.path).scanId)).toEqual(['s0', 's1', 's2']);
  });

  it('refuses a record that would pass the byte bound', () => {
    const first = addToSpool(stateDir, record('s0', 'x'))!;
    const size = statSync(first).size;
    const limits = { maxFiles: 100, maxBytes: size * 2 + 10 };
    expect(addToSpool(stateDir, record('s1', 'x'), limits)).not.toBeNull();
    expect(addToSpool(stateDir, record('s2', 'x'), limits)).toBeNull();
    expect(listSpool(stateDir)).toHaveLength(2);
  });

  it('writes atomically with private modes, and ignores what an interrupted write left behind', () => {
    const path = addToSpool(stateDir, record('s0', 'x'))!;
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const dir = join(stateDir, 'spool');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    // A crash between writing the temp file and the rename leaves only the temp file: not a record.
    writeFileSync(join(dir, '000000000000001-000001-crashed.json.gz.123.abcd.tmp'), 'partial');
    expect(listSpool(stateDir).map((f) => f.path)).toEqual([path]);
  });

  it('quarantines a record out of the queue', () => {
    const path = addToSpool(stateDir, record('s0', 'x'))!;
    const [file] = listSpool(stateDir);
    const moved = quarantineSpool(stateDir, file!);
    expect(listSpool(stateDir)).toEqual([]);
    expect(statSync(moved).isFile()).toBe(true);
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
