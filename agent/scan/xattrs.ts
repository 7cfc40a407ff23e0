import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Entry } from '../../functions/contract/entry.ts';
import type { FsPath } from './walk.ts';

/**
 * Extended attributes, POSIX ACLs and file capabilities of many paths at once. Node has no xattr API,
 * and the agent ships as one JavaScript file with no native module, so it asks `getfattr` (Debian and
 * RHEL package `attr`): one process per batch of 512 paths rather than one per file, the paths handed
 * over NUL-separated on stdin through `xargs -0` (which keeps their order, splits at the system's
 * argument limit, and passes names that are not valid UTF-8 byte for byte, which Node's argv cannot).
 * `getfattr -d -m - -e hex -h` dumps every namespace (user, trusted, security, system) in hex without
 * following symlinks; ACLs (`system.posix_acl_*`) and capabilities (`security.capability`) come out of
 * the same dump and are decoded here, so no getfacl or getcap is needed. Where getfattr is missing
 * (or xargs), the reader says so once and the scan reports xattrs, acl and caps as unsupported.
 */

export type ExtendedAttributes = Pick<Entry, 'xattrs' | 'acl' | 'caps'>;

const CAPABILITY = 'security.capability';
const ACL_ACCESS = 'system.posix_acl_access';
const ACL_DEFAULT = 'system.posix_acl_default';
/** Values up to this many printable bytes are recorded as they are (an SELinux label); longer or binary ones as a hash. */
const MAX_TEXT_VALUE = 128;

/** Capability names by bit (linux/capability.h). */
const CAPABILITY_NAMES = [
  'chown', 'dac_override', 'dac_read_search', 'fowner', 'fsetid', 'kill', 'setgid', 'setuid', 'setpcap', 'linux_immutable',
  'net_bind_service', 'net_broadcast', 'net_admin', 'net_raw', 'ipc_lock', 'ipc_owner', 'sys_module', 'sys_rawio', 'sys_chroot',
  'sys_ptrace', 'sys_pacct', 'sys_admin', 'sys_boot', 'sys_nice', 'sys_resource', 'sys_time', 'sys_tty_config', 'mknod', 'lease',
  'audit_write', 'audit_control', 'setfcap', 'mac_override', 'mac_admin', 'syslog', 'wake_alarm', 'block_suspend', 'audit_read',
  'perfmon', 'bpf', 'checkpoint_restore',
];

/**
 * `security.capability` (vfs_cap_data, revisions 1-3) as text in getcap's spirit: the capabilities
 * sharing a set of flags, then `=` and the flags (e effective, i inheritable, p permitted), groups
 * separated by spaces, a namespaced file's owner as ` [rootid=N]`.
 * @example decodeCapabilities(Buffer.from('0100000280000000000000000000000000000000', 'hex')) // 'cap_setuid=ep'
 */
export function decodeCapabilities(value: Buffer): string {
  if (value.length < 4) return `invalid:${value.toString('hex')}`;
  const magic = value.readUInt32LE(0);
  const revision = magic >>> 24;
  const words = revision === 1 ? 1 : revision === 2 || revision === 3 ? 2 : 0;
  if (words === 0 || value.length < 4 + words * 8) return `invalid:${value.toString('hex')}`;
  const effective = (magic & 1) === 1;
  const groups = new Map<string, string[]>();
  for (let bit = 0; bit < words * 32; bit++) {
    const word = 4 + (bit >> 5) * 8;
    const mask = 1 << (bit & 31);
    const permitted = (value.readUInt32LE(word) & mask) !== 0;
    const inheritable = (value.readUInt32LE(word + 4) & mask) !== 0;
    if (!permitted && !inheritable) continue;
    const flags = `${effective ? 'e' : ''}${inheritable ? 'i' : ''}${permitted ? 'p' : ''}`;
    const names = groups.get(flags) ?? [];
    names.push(`cap_${CAPABILITY_NAMES[bit] ?? bit}`);
    groups.set(flags, names);
  }
  const text = [...groups].map(([flags, names]) => `${names.join(',')}=${flags}`).join(' ');
  const rootid = revision === 3 && value.length >= 24 ? value.readUInt32LE(20) : 0;
  return rootid !== 0 ? `${text} [rootid=${rootid}]` : text;
}

const ACL_TAGS: Record<number, string> = { 0x01: 'user', 0x02: 'user', 0x04: 'group', 0x08: 'group', 0x10: 'mask', 0x20: 'other' };

/**
 * A POSIX ACL xattr (posix_acl_xattr, version 2: {tag, perm, id} entries) in getfacl's short text form
 * with numeric ids (names differ between hosts): `user::rw-,user:1000:r--,group::r--,mask::r--,other::r--`.
 */
export function decodeAcl(value: Buffer, prefix = ''): string {
  if (value.length < 4 || value.readUInt32LE(0) !== 2 || (value.length - 4) % 8 !== 0) return `${prefix}invalid:${value.toString('hex')}`;
  const parts: string[] = [];
  for (let offset = 4; offset < value.length; offset += 8) {
    const tag = value.readUInt16LE(offset);
    const perm = value.readUInt16LE(offset + 2);
    const qualified = tag === 0x02 || tag === 0x08;
    const who = `${ACL_TAGS[tag] ?? `tag${tag}`}:${qualified ? value.readUInt32LE(offset + 4) : ''}`;
    parts.push(`${prefix}${who}:${perm & 4 ? 'r' : '-'}${perm & 2 ? 'w' : '-'}${perm & 1 ? 'x' : '-'}`);
  }
  return parts.join(',');
}

/** An xattr value as recorded: short printable text as it is, anything else as `sha256:<hex>`. */
export function xattrValue(value: Buffer): string {
  const text = value.length > 0 && value[value.length - 1] === 0 ? value.subarray(0, -1) : value;
  if (text.length <= MAX_TEXT_VALUE && text.every((b) => b >= 0x20 && b < 0x7f)) {
    const string = text.toString('latin1');
    if (!string.startsWith('sha256:')) return string;
  }
  return `sha256:${createHash('sha256').update(value).digest('hex')}`;
}

/** getfattr's quoting of names and paths: `\ooo` octal escapes (for `\n`, `\r`, `\`, and `=` in names). */
function unquote(text: Buffer): Buffer {
  if (!text.includes(0x5c)) return text;
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (b === 0x5c && i + 3 < text.length && /^[0-7]{3}$/.test(text.toString('latin1', i + 1, i + 4))) {
      out.push(parseInt(text.toString('latin1', i + 1, i + 4), 8) & 0xff);
      i += 3;
    } else out.push(b);
  }
  return Buffer.from(out);
}

/** One file's dump (name -> raw value) turned into the Entry fields. */
export function toExtendedAttributes(values: Map<string, Buffer>): ExtendedAttributes {
  const out: ExtendedAttributes = {};
  const xattrs: Record<string, string> = {};
  let any = false;
  for (const name of [...values.keys()].sort()) {
    const value = values.get(name)!;
    if (name === CAPABILITY) out.caps = decodeCapabilities(value);
    else if (name === ACL_ACCESS) out.acl = out.acl ? `${decodeAcl(value)},${out.acl}` : decodeAcl(value);
    else if (name === ACL_DEFAULT) out.acl = out.acl ? `${out.acl},${decodeAcl(value, 'default:')}` : decodeAcl(value, 'default:');
    else {
      xattrs[name] = xattrValue(value);
      any = true;
    }
  }
  if (any) out.xattrs = xattrs;
  return out;
}

const asBuffer = (p: FsPath): Buffer => (typeof p === 'string' ? Buffer.from(p) : p);

/**
 * Parses `getfattr --dump --encoding=hex` output for `requested` paths (in the order given, as getfattr
 * visits them): answers each path's attributes, or undefined for one getfattr printed nothing for (none).
 */
export function parseDump(output: Buffer, requested: readonly FsPath[]): (ExtendedAttributes | undefined)[] {
  const result: (ExtendedAttributes | undefined)[] = new Array(requested.length).fill(undefined);
  let next = 0;
  let current: Map<string, Buffer> | null = null;
  let currentIndex = -1;
  const finish = () => {
    if (current && currentIndex >= 0) result[currentIndex] = toExtendedAttributes(current);
    current = null;
    currentIndex = -1;
  };
  let start = 0;
  while (start < output.length) {
    let end = output.indexOf(0x0a, start);
    if (end < 0) end = output.length;
    const line = output.subarray(start, end);
    start = end + 1;
    if (line.length === 0) {
      finish();
      continue;
    }
    if (line.toString('latin1', 0, 8) === '# file: ') {
      finish();
      const path = unquote(line.subarray(8));
      // getfattr lists only paths that have attributes, in the order asked: find this one from `next` on.
      for (let i = next; i < requested.length; i++) {
        if (asBuffer(requested[i]!).equals(path)) {
          current = new Map();
          currentIndex = i;
          next = i + 1;
          break;
        }
      }
      continue;
    }
    if (!current) continue;
    const eq = line.lastIndexOf(0x3d);
    if (eq <= 0) continue;
    const name = unquote(line.subarray(0, eq)).toString('utf8');
    const hex = line.toString('latin1', eq + 1);
    (current as Map<string, Buffer>).set(name, /^0x[0-9a-fA-F]*$/.test(hex) ? Buffer.from(hex.slice(2), 'hex') : Buffer.from(hex.replace(/^"|"$/g, ''), 'latin1'));
  }
  finish();
  return result;
}

/** getfattr (or xargs) is not installed: the attributes it reads cannot be recorded. */
export class XattrToolMissingError extends Error {
  constructor(detail: string) {
    super(`getfattr is not available (${detail}): extended attributes, ACLs and capabilities are not recorded; install the "attr" package`);
    this.name = 'XattrToolMissingError';
  }
}

/** Paths per getfattr run (xargs may cut a run shorter at the system's argument limit). */
export const XATTR_BATCH = 512;
const MARKER = '#dw-batch ';
/** Paths are written to xargs in chunks of about this many bytes. */
const WRITE_CHUNK = 32 << 10;
const NUL = Buffer.from([0]);
/**
 * Run by xargs for each batch: getfattr over the batch, then a marker line with the batch's size, so the
 * reader knows which paths a stretch of output answers (getfattr prints nothing for a path without
 * attributes). A missing getfattr (127) makes sh exit 255, which stops xargs (its exit code 124).
 */
const BATCH_SCRIPT = `getfattr --dump --match=- --encoding=hex --no-dereference --absolute-names -- "$@"; [ $? -eq 127 ] && exit 255; echo "${MARKER}$#"`;

type Answer = (attributes: ExtendedAttributes | undefined, error?: Error) => void;

/**
 * One long-lived `xargs -0 -n 512 sh -c 'getfattr ...; echo marker'` process fed paths on stdin as the
 * walk finds them: the processes start from xargs (small), not from the agent (whose fork, at a few
 * milliseconds each for a large process, was a sixth of a baseline's CPU with one spawn per batch).
 * Each path is answered in order once its batch is through. `flush()` ends the current process (its
 * last, partial batch runs) so that every path asked so far gets its answer; the next path starts a new
 * process. A missing tool fails every pending path with XattrToolMissingError.
 */
export class XattrReader {
  private child: ChildProcessWithoutNullStreams | null = null;
  /** Paths written to a process and not answered yet, oldest first, with the process they went to. */
  private pending: { path: FsPath; answer: Answer; child: ChildProcessWithoutNullStreams }[] = [];
  private out: Buffer = Buffer.alloc(0);
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  /** Output lines of the batch being read. */
  private dump: Buffer[] = [];
  private failure: Error | null = null;

  /** Asks for the attributes of `path`; `answer` is called once they are known (or with the failure). */
  read(path: FsPath, answer: Answer): void {
    if (this.failure) return answer(undefined, this.failure);
    const child = (this.child ??= this.start());
    this.pending.push({ path, answer, child });
    // Written in chunks: one pipe write per path cost more than getfattr itself.
    const bytes = asBuffer(path);
    this.queued.push(bytes, NUL);
    this.queuedBytes += bytes.length + 1;
    if (this.queuedBytes >= WRITE_CHUNK) this.write();
  }

  private write(): void {
    if (this.queued.length > 0) this.child?.stdin.write(Buffer.concat(this.queued));
    this.queued = [];
    this.queuedBytes = 0;
  }

  /** Ends the current process: everything asked so far will be answered. */
  flush(): void {
    this.write();
    this.child?.stdin.end();
    this.child = null;
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn('xargs', ['-0', '-n', String(XATTR_BATCH), 'sh', '-c', BATCH_SCRIPT, 'driftwatch-getfattr'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => this.output(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    child.stdin.on('error', () => {
      /* the process ended early (tool missing): reported on 'close' */
    });
    child.on('error', (error: NodeJS.ErrnoException) => this.fail(child, error.code === 'ENOENT' ? new XattrToolMissingError('no xargs') : error));
    child.on('close', (code) => {
      // xargs 124: getfattr missing (see BATCH_SCRIPT); 126/127: sh missing or unusable.
      if (code === 124 || code === 126 || code === 127) this.fail(child, new XattrToolMissingError(stderr.trim().split('\n')[0] || `xargs exit ${code}`));
      else if (this.pending.some((p) => p.child === child)) this.fail(child, new Error(`getfattr ended before answering (${stderr.trim().split('\n')[0] || `exit ${code}`})`));
    });
    return child;
  }

  private output(chunk: Buffer): void {
    this.out = this.out.length ? Buffer.concat([this.out, chunk]) : chunk;
    let start = 0;
    for (let end = this.out.indexOf(10, start); end >= 0; end = this.out.indexOf(10, start)) {
      const line = this.out.subarray(start, end + 1);
      start = end + 1;
      if (line.toString('latin1', 0, MARKER.length) !== MARKER) {
        this.dump.push(line);
        continue;
      }
      const count = Number(line.toString('latin1', MARKER.length, line.length - 1));
      const batch = this.pending.splice(0, count);
      const found = parseDump(Buffer.concat(this.dump), batch.map((b) => b.path));
      this.dump = [];
      batch.forEach((b, i) => b.answer(found[i]));
    }
    this.out = this.out.subarray(start);
  }

  /** Fails what `child` was asked; a missing tool fails everything from now on. */
  private fail(child: ChildProcessWithoutNullStreams, error: Error): void {
    if (error instanceof XattrToolMissingError) this.failure ??= error;
    if (this.child === child) this.child = null;
    const failed = this.pending.filter((p) => p.child === child);
    this.pending = this.pending.filter((p) => p.child !== child);
    for (const p of failed) p.answer(undefined, error);
  }
}
