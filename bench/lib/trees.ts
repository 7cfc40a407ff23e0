import { execFileSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * Deterministic test trees. The same parameters give the same paths, sizes, modes and bytes on every
 * machine: a seeded PRNG picks the shape, AES-256-CTR keystreams (keyed by seed and file index) give
 * the content. A tree is reused across runs when its manifest matches and no benchmark changed it.
 */

export interface TreeSpec {
  name: 'small' | 'bin' | 'large' | 'huge';
  files: number;
  minBytes: number;
  maxBytes: number;
  seed: number;
}

export interface TreeFile {
  path: string;
  size: number;
  mode: number;
}

export interface Tree {
  spec: TreeSpec;
  dir: string;
  files: TreeFile[];
  symlinks: string[];
  dirs: number;
  bytes: number;
  /** Whether this run wrote the tree (false: reused from an earlier run). */
  generated: boolean;
  generateS: number;
}

const FORMAT = 2;

/** mulberry32: small, fast, good enough for picking shapes. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-uniform between min and max: many small files, a few big ones (as in /etc or /usr/bin). */
const logUniform = (r: number, min: number, max: number): number => Math.round(Math.exp(Math.log(min) + r * (Math.log(max) - Math.log(min))));

const ZEROS = Buffer.alloc(1 << 20);

/** `bytes` of keystream for (seed, label). */
export function keystream(seed: number, label: string, bytes: number): Buffer {
  const key = createHash('sha256').update(`${seed}:${label}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const out = Buffer.allocUnsafe(bytes);
  for (let off = 0; off < bytes; off += ZEROS.length) {
    const n = Math.min(ZEROS.length, bytes - off);
    cipher.update(ZEROS.subarray(0, n)).copy(out, off);
  }
  return out;
}

const TEXT = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789_=  ABCDEFGHIJKLMNOPQRSTUVWXYZ#/.:-;,"\'()[]{}<>+*!?@$%&|');

/** Config-file-like text of exactly `bytes` bytes (printable, a line break every ~40-90 characters). */
export function textContent(seed: number, label: string, bytes: number): Buffer {
  const raw = keystream(seed, label, bytes);
  let col = 0;
  let width = 40 + (raw[0]! % 50);
  for (let i = 0; i < bytes; i++) {
    if (++col >= width) {
      raw[i] = 10;
      col = 0;
      width = 40 + (raw[i + 1 < bytes ? i + 1 : i]! % 50);
    } else raw[i] = TEXT[raw[i]! % TEXT.length]!;
  }
  return raw;
}

const SMALL_EXT = ['conf', 'conf', 'conf', 'cfg', 'list', 'rules', 'sh', 'pem', 'json', 'ini', ''];
const MODES = [0o644, 0o644, 0o644, 0o644, 0o644, 0o644, 0o640, 0o640, 0o600, 0o755];

interface Plan {
  files: TreeFile[];
  dirs: string[];
  symlinks: Array<{ path: string; target: string }>;
}

/** The shape of a tree: which dirs, which files with which size and mode, which symlinks. */
function plan(spec: TreeSpec, dir: string): Plan {
  const rand = prng(spec.seed);
  const dirs: string[] = [];
  if (spec.name === 'small') {
    // /etc-like: ~60 top-level dirs, some with sub- and sub-sub-dirs (a few hundred dirs in all).
    const top = Math.max(1, Math.min(60, Math.ceil(spec.files / 300)));
    for (let a = 0; a < top; a++) {
      const d = join(dir, `d${String(a).padStart(2, '0')}`);
      dirs.push(d);
      const subs = Math.floor(rand() * 7);
      for (let b = 0; b < subs; b++) {
        const s = join(d, `conf.d-${b}`);
        dirs.push(s);
        const subsubs = Math.floor(rand() * 4);
        for (let c = 0; c < subsubs; c++) dirs.push(join(s, `part-${c}`));
      }
    }
  } else {
    const count = Math.max(1, Math.ceil(spec.files / 100));
    for (let a = 0; a < count; a++) dirs.push(join(dir, `b${String(a).padStart(2, '0')}`));
  }
  const files: TreeFile[] = [];
  const symlinks: Plan['symlinks'] = [];
  for (let i = 0; i < spec.files; i++) {
    const parent = dirs[Math.floor(rand() * dirs.length)]!;
    const size = logUniform(rand(), spec.minBytes, spec.maxBytes);
    if (spec.name === 'small') {
      const ext = SMALL_EXT[Math.floor(rand() * SMALL_EXT.length)]!;
      const mode = MODES[Math.floor(rand() * MODES.length)]!;
      const path = join(parent, `f${String(i).padStart(5, '0')}${ext ? `.${ext}` : ''}`);
      files.push({ path, size, mode });
      if (i % 200 === 199) symlinks.push({ path: join(parent, `link-${i}`), target: relative(parent, path) });
    } else {
      files.push({ path: join(parent, `blob-${String(i).padStart(5, '0')}.bin`), size, mode: 0o755 });
    }
  }
  return { files, dirs, symlinks };
}

export function fileContent(spec: TreeSpec, index: number, size: number, variant = 0): Buffer {
  const label = `${spec.name}:${index}:${variant}`;
  return spec.name === 'small' ? textContent(spec.seed, label, size) : keystream(spec.seed, label, size);
}

function writeBig(path: string, spec: TreeSpec, index: number, size: number, mode: number): void {
  const key = createHash('sha256').update(`${spec.seed}:${spec.name}:${index}:0`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const fd = openSync(path, 'w', mode);
  try {
    for (let off = 0; off < size; off += ZEROS.length) {
      const chunk = cipher.update(ZEROS.subarray(0, Math.min(ZEROS.length, size - off)));
      let w = 0;
      while (w < chunk.length) w += writeSync(fd, chunk, w, chunk.length - w);
    }
  } finally {
    closeSync(fd);
  }
}

const manifestOf = (dir: string) => `${dir}.manifest.json`;

/** Generates the tree under `root/<name>` unless an identical, unmodified one is already there. */
export function ensureTree(root: string, spec: TreeSpec, log: (msg: string) => void): Tree {
  const dir = join(root, spec.name);
  const p = plan(spec, dir);
  const bytes = p.files.reduce((sum, f) => sum + f.size, 0);
  const wanted = { format: FORMAT, spec, files: p.files.length, bytes };
  const manifestFile = manifestOf(dir);
  let reuse = false;
  if (existsSync(manifestFile) && existsSync(dir)) {
    try {
      const m = JSON.parse(readFileSync(manifestFile, 'utf8'));
      reuse = !m.dirty && JSON.stringify({ format: m.format, spec: m.spec, files: m.files, bytes: m.bytes }) === JSON.stringify(wanted);
    } catch {
      reuse = false;
    }
  }
  const t0 = performance.now();
  if (!reuse) {
    log(`generating the ${spec.name} tree: ${spec.files} files, ${(bytes / 1e6).toFixed(0)} MB under ${dir}`);
    rmSync(manifestFile, { force: true });
    execFileSync('rm', ['-rf', dir]); // several times faster than fs.rmSync on 20,000 files
    for (const d of p.dirs) mkdirSync(d, { recursive: true });
    p.files.forEach((f, i) => {
      if (f.size > 4 << 20 || spec.name === 'bin') writeBig(f.path, spec, i, f.size, f.mode);
      else writeFileSync(f.path, fileContent(spec, i, f.size), { mode: f.mode });
    });
    for (const s of p.symlinks) symlinkSync(s.target, s.path);
    writeFileSync(manifestFile, `${JSON.stringify({ ...wanted, dirty: false }, null, 1)}\n`);
  }
  return {
    spec,
    dir,
    files: p.files,
    symlinks: p.symlinks.map((s) => s.path),
    dirs: p.dirs.length + 1,
    bytes,
    generated: !reuse,
    generateS: reuse ? 0 : (performance.now() - t0) / 1000,
  };
}

/** Marks a tree as changed by a benchmark: the next run regenerates it. */
export function markDirty(tree: Tree): void {
  const file = manifestOf(tree.dir);
  try {
    const m = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, `${JSON.stringify({ ...m, dirty: true }, null, 1)}\n`);
  } catch {
    /* no manifest: it is regenerated anyway */
  }
}

export interface Mutation {
  modified: string[];
  added: string[];
  removed: string[];
}

/**
 * Changes a tree in place, deterministically: rewrites `modify` files with other bytes (same size),
 * adds `add` new files next to existing ones, removes `remove` files. Picks distinct files, never one
 * an earlier mutation (`used`) already touched. (Symlinks are recorded, not followed: changing a link's
 * target file changes that file's entry only.)
 */
export function mutate(tree: Tree, counts: { modify: number; add: number; remove: number }, seed: number, used: Set<string>): Mutation {
  markDirty(tree);
  const rand = prng(seed);
  const pick = (): number => {
    for (;;) {
      const i = Math.floor(rand() * tree.files.length);
      const f = tree.files[i]!;
      if (used.has(f.path)) continue;
      used.add(f.path);
      return i;
    }
  };
  const out: Mutation = { modified: [], added: [], removed: [] };
  for (let k = 0; k < counts.modify; k++) {
    const i = pick();
    const f = tree.files[i]!;
    writeFileSync(f.path, fileContent(tree.spec, i, f.size, seed));
    out.modified.push(f.path);
  }
  for (let k = 0; k < counts.remove; k++) {
    const f = tree.files[pick()]!;
    unlinkSync(f.path);
    out.removed.push(f.path);
  }
  for (let k = 0; k < counts.add; k++) {
    const f = tree.files[pick()]!;
    const path = join(dirname(f.path), `new-${seed}-${k}.conf`);
    writeFileSync(path, fileContent(tree.spec, 1_000_000 + k, 200 + Math.floor(rand() * 4000), seed), { mode: 0o644 });
    used.add(path);
    out.added.push(path);
  }
  return out;
}
