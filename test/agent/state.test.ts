import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotEnrolledError, readCredential, readState, resolveStateDir, updateState, writeCredential } from '../../agent/state.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'dw-state-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('state dir', () => {
  it('resolves --state-dir, then $DRIFTWATCH_STATE_DIR, then /var/lib/driftwatch', () => {
    expect(resolveStateDir('/x', { DRIFTWATCH_STATE_DIR: '/y' })).toBe('/x');
    expect(resolveStateDir(undefined, { DRIFTWATCH_STATE_DIR: '/y' })).toBe('/y');
    expect(resolveStateDir(undefined, {})).toBe('/var/lib/driftwatch');
    expect(resolveStateDir(undefined, { DRIFTWATCH_STATE_DIR: '' })).toBe('/var/lib/driftwatch');
  });

  it('keeps the credential private (dir 0700, file 0600) and readable back', () => {
    const dir = join(root, 'state');
    const credential = { apiUrl: 'http://127.0.0.1:8080', serverId: 's1', tenantId: 't1', credential: 'secret' };
    writeCredential(dir, credential);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'credential.json')).mode & 0o777).toBe(0o600);
    expect(readCredential(dir)).toEqual(credential);
    expect(readdirSync(dir)).toEqual(['credential.json']);
  });

  it('says "not enrolled" when there is no credential', () => {
    expect(() => readCredential(root)).toThrow(NotEnrolledError);
  });

  it('writes nothing when an update changes nothing (a check-in that brought nothing new)', () => {
    updateState(root, (s) => {
      s.configVersion = 'v1';
    });
    const inode = statSync(join(root, 'state.json')).ino;
    updateState(root, (s) => {
      s.configVersion = 'v1';
    });
    expect(statSync(join(root, 'state.json')).ino).toBe(inode);
    updateState(root, (s) => {
      s.configVersion = 'v2';
    });
    expect(statSync(join(root, 'state.json')).ino).not.toBe(inode);
  });

  it('updates state.json by read-modify-write, tolerating a damaged file', () => {
    expect(readState(root).config).toBeNull();
    updateState(root, (s) => {
      s.configVersion = 'v1';
    });
    updateState(root, (s) => {
      s.lastScan = { scanId: 'x', at: 'now', filesScanned: 1, bytesUploaded: 2 };
    });
    expect(readState(root)).toMatchObject({ configVersion: 'v1', lastScan: { scanId: 'x' } });
    writeFileSync(join(root, 'state.json'), '{torn');
    expect(readState(root).configVersion).toBeNull();
  });
});
