import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeAcl, decodeCapabilities, parseDump, XATTR_BATCH, XattrReader, XattrToolMissingError, xattrValue } from './xattrs.ts';
import { ACL_ANY, aclValue } from '../../test/helpers/acl.ts';

const hex = (text: string) => Buffer.from(text, 'hex');
const acl = aclValue;
const ANY = ACL_ANY;

describe('decodeCapabilities', () => {
  it('reads what setcap writes, in getcap text form', () => {
    expect(decodeCapabilities(hex('0100000280000000000000000000000000000000'))).toBe('cap_setuid=ep');
    // cap_net_bind_service + cap_net_raw permitted, no effective flag, and cap_sys_admin inheritable
    const value = Buffer.alloc(20);
    value.writeUInt32LE(0x02000000, 0);
    value.writeUInt32LE((1 << 10) | (1 << 13), 4);
    value.writeUInt32LE(1 << 21, 8);
    expect(decodeCapabilities(value)).toBe('cap_net_bind_service,cap_net_raw=p cap_sys_admin=i');
  });

  it('names capabilities past bit 31, a namespaced root id, and an invalid value', () => {
    const value = Buffer.alloc(24);
    value.writeUInt32LE(0x03000001, 0);
    value.writeUInt32LE(1 << (39 - 32), 12); // cap_bpf permitted
    value.writeUInt32LE(100000, 20);
    expect(decodeCapabilities(value)).toBe('cap_bpf=ep [rootid=100000]');
    expect(decodeCapabilities(hex('0700'))).toBe('invalid:0700');
  });
});

describe('decodeAcl', () => {
  it('is the short text form with numeric ids, a default ACL prefixed', () => {
    expect(decodeAcl(acl([1, 6, ANY], [2, 4, 1000], [4, 4, ANY], [8, 5, 27], [0x10, 5, ANY], [0x20, 0, ANY]))).toBe(
      'user::rw-,user:1000:r--,group::r--,group:27:r-x,mask::r-x,other::---',
    );
    expect(decodeAcl(acl([1, 7, ANY], [4, 5, ANY], [0x20, 5, ANY]), 'default:')).toBe('default:user::rwx,default:group::r-x,default:other::r-x');
    expect(decodeAcl(hex('01000000'))).toBe('invalid:01000000');
  });
});

describe('xattrValue', () => {
  it('keeps a short printable value (an SELinux label, NUL-terminated or not) and hashes the rest', () => {
    expect(xattrValue(Buffer.from('system_u:object_r:etc_t:s0\0'))).toBe('system_u:object_r:etc_t:s0');
    expect(xattrValue(Buffer.from('system_u:object_r:etc_t:s0'))).toBe('system_u:object_r:etc_t:s0');
    const binary = hex('00ff10');
    expect(xattrValue(binary)).toBe(`sha256:${createHash('sha256').update(binary).digest('hex')}`);
    const long = Buffer.alloc(200, 'a');
    expect(xattrValue(long)).toBe(`sha256:${createHash('sha256').update(long).digest('hex')}`);
    // A value that looks like a hash is hashed itself, so the two forms cannot be confused.
    expect(xattrValue(Buffer.from('sha256:00'))).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('parseDump', () => {
  it('maps getfattr output back to the paths asked for, in order, decoding quoted names and bytes', () => {
    const odd = Buffer.concat([Buffer.from('/t/b'), Buffer.from([0xff, 0x0a]), Buffer.from('\\x')]);
    const output = Buffer.concat([
      Buffer.from('# file: /t/a\nuser.foo=0x626172\nsecurity.capability=0x0100000280000000000000000000000000000000\n\n'),
      Buffer.from('# file: /t/b'),
      Buffer.from([0xff]),
      Buffer.from('\\012\\134x\nuser.we\\075ird=0x\nsystem.posix_acl_access=0x'),
      Buffer.from(acl([1, 6, ANY], [4, 4, ANY], [0x20, 4, ANY]).toString('hex')),
      Buffer.from('\n\n'),
    ]);
    const parsed = parseDump(output, ['/t/a', '/t/none', odd]);
    expect(parsed).toEqual([{ xattrs: { 'user.foo': 'bar' }, caps: 'cap_setuid=ep' }, undefined, { xattrs: { 'user.we=ird': '' }, acl: 'user::rw-,group::r--,other::r--' }]);
  });
});

describe('XattrReader', () => {
  const read = (reader: XattrReader, paths: string[]) =>
    paths.map((path) => new Promise<{ attributes?: unknown; error?: Error }>((resolve) => reader.read(path, (attributes, error) => resolve({ attributes, error }))));

  it('answers every path in the order asked, across batches, once flushed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-xattr-'));
    try {
      const paths = Array.from({ length: XATTR_BATCH * 2 + 10 }, (_, i) => join(dir, `f${i}`));
      for (const p of paths) writeFileSync(p, '');
      const tools = spawnSync('setfattr', ['-n', 'user.mark', '-v', 'here', paths[700]!]).status === 0;
      const reader = new XattrReader();
      const answers = read(reader, paths);
      reader.flush();
      const results = await Promise.all(answers);
      if (results[0]!.error) {
        // No getfattr on this host: every path says so.
        expect(tools).toBe(false);
        expect(results.every((r) => r.error instanceof XattrToolMissingError)).toBe(true);
        return;
      }
      expect(results.map((r, i) => (r.attributes ? i : -1)).filter((i) => i >= 0)).toEqual(tools ? [700] : []);
      if (tools) expect(results[700]!.attributes).toEqual({ xattrs: { 'user.mark': 'here' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails every path with XattrToolMissingError where getfattr is missing', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'dw-nogetfattr-'));
    const path = process.env.PATH;
    try {
      for (const tool of ['xargs', 'sh']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
      process.env.PATH = bin;
      const reader = new XattrReader();
      const answers = read(reader, ['/etc/hostname', '/etc/passwd']);
      reader.flush();
      for (const r of await Promise.all(answers)) expect(r.error).toBeInstanceOf(XattrToolMissingError);
      // Later asks fail at once.
      expect((await read(reader, ['/etc/hosts'])[0])!.error).toBeInstanceOf(XattrToolMissingError);
    } finally {
      process.env.PATH = path;
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
