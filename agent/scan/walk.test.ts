import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Target } from '../../functions/contract/policy.schemas.ts';
import { compileTarget } from '../../functions/contract/targets.ts';
import { mergeWalks, walkTarget, type WalkItem } from './walk.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-walk-'));
});
afterEach(() => {
  execFileSync('rm', ['-rf', dir]);
});

const target = (path: string, extra: Partial<Target> = {}): Target => ({
  id: 't',
  path,
  recursive: true,
  include: [],
  exclude: [],
  attributes: ['content'],
  critical: false,
  alert: true,
  ...extra,
});

/** Runs walks to the end, calling `onEntry` at each entry before the walk goes on; answers what came out. */
function collect(walks: Generator<WalkItem>[], onEntry: (path: string) => void = () => {}) {
  const recorded: string[] = [];
  const errors: { path: string; kind: string; code?: string }[] = [];
  const unlisted: string[] = [];
  for (const item of mergeWalks(walks)) {
    if (item.kind === 'entry') {
      recorded.push(item.path);
      item.handle?.release();
      onEntry(item.path);
    } else if (item.kind === 'unlisted') unlisted.push(item.path);
    else errors.push({ path: item.path, kind: item.kind, code: item.kind === 'skipped' ? (item.error as { code?: string }).code : 'ENOENT' });
  }
  return { recorded, errors, unlisted };
}

const walk = (t: Target, onEntry?: (path: string) => void) => collect(walkTarget(compileTarget(t)), onEntry);

describe('walkTarget', () => {
  it('skips entries that vanish between readdir and lstat, reporting each, and goes on', () => {
    const d = join(dir, 'd');
    mkdirSync(d);
    for (const name of ['a', 'b', 'c']) writeFileSync(join(d, name), name);
    mkdirSync(join(dir, 'e'));
    writeFileSync(join(dir, 'e', 'kept'), 'x');
    let deleted = false;
    const { recorded, errors } = walk(target(dir), (path) => {
      if (!deleted && path.startsWith(`${d}/`)) {
        // the first file of d to be visited removes its two siblings, already listed by readdir
        deleted = true;
        for (const name of ['a', 'b', 'c']) if (join(d, name) !== path) rmSync(join(d, name));
      }
    });
    expect(recorded.filter((p) => p.startsWith(`${d}/`))).toHaveLength(1);
    expect(errors.map((e) => e.path).sort()).toEqual(['a', 'b', 'c'].map((n) => join(d, n)).filter((p) => !recorded.includes(p)));
    expect(errors.every((e) => e.code === 'ENOENT' && e.kind === 'vanished')).toBe(true);
    expect(recorded).toContain(join(dir, 'e', 'kept'));
  });

  // Issue 11 changes this one: a directory is listed where it sorts (with its own entry), so a directory
  // removed after it was recorded shows as its listed children vanishing, not as a failed listing.
  it('reports what was listed in a directory that vanishes while it is walked', () => {
    mkdirSync(join(dir, 'x', 'y'), { recursive: true });
    writeFileSync(join(dir, 'x', 'y', 'z'), 'z');
    const { recorded, errors } = walk(target(dir), (path) => {
      if (path === join(dir, 'x', 'y')) rmSync(path, { recursive: true });
    });
    expect(recorded).toEqual([dir, join(dir, 'x'), join(dir, 'x', 'y')]);
    expect(errors.map((e) => e.path)).toEqual([join(dir, 'x', 'y', 'z')]);
  });

  // Issue 11 changes this one too: targets are merged in path order, the first target winning a path
  // (it used to be a skip() callback asking the earlier targets).
  it('merges targets in path order, the earlier target winning a path both record', () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'f'), 'x');
    writeFileSync(join(dir, 'sub-z'), 'x');
    const first = compileTarget(target(dir, { exclude: ['f'] }));
    const second = compileTarget(target(join(dir, 'sub')));
    const { recorded } = collect([...walkTarget(first), ...walkTarget(second)]);
    expect(recorded).toEqual([dir, join(dir, 'sub'), join(dir, 'sub-z'), join(dir, 'sub', 'f')]);
  });

  it('prunes directories that cannot hold an anchored include', () => {
    for (const p of ['nginx/conf.d/a.conf', 'nginx/other/b.conf', 'apache/c.conf']) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), p);
    }
    const listed: string[] = [];
    const compiled = compileTarget(target(dir, { include: ['nginx/conf.d/*.conf'] }));
    const spy = { ...compiled, mayDescend: (rel: string, above: boolean) => (listed.push(rel), compiled.mayDescend(rel, above)) };
    const { recorded } = collect(walkTarget(spy));
    expect(recorded).toEqual([dir, join(dir, 'nginx/conf.d/a.conf')]);
    expect(listed).toContain('apache');
    expect(compiled.mayDescend('apache', false)).toBe(false);
  });

  it('yields paths in code-unit order: a directory, then names sorting before "name/", then its contents', () => {
    for (const p of ['a/x', 'a-b', 'a.d/y', 'a0', 'b']) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), p);
    }
    const { recorded } = walk(target(dir));
    const sorted = [...recorded].sort((p, q) => (p < q ? -1 : p > q ? 1 : 0));
    expect(recorded).toEqual(sorted);
    expect(recorded.map((p) => p.slice(dir.length))).toEqual(['', '/a', '/a-b', '/a.d', '/a.d/y', '/a/x', '/a0', '/b']);
  });

  it('walks names that are not valid UTF-8, and below them, in their wire form', () => {
    const raw = Buffer.concat([Buffer.from(`${dir}/app-`), Buffer.from([0xff])]);
    mkdirSync(raw);
    writeFileSync(Buffer.concat([raw, Buffer.from('/bin\\x41')]), 'x');
    symlinkSync(Buffer.from([0xfe]), Buffer.concat([raw, Buffer.from('/link')]));
    const { recorded, errors } = walk(target(dir, { exclude: ['*.skip'] }));
    expect(errors).toEqual([]);
    expect(recorded).toEqual([dir, `${dir}/app-\\xff`, `${dir}/app-\\xff/bin\\x5cx41`, `${dir}/app-\\xff/link`]);
  });

  it('matches include and exclude globs against the wire form of a name', () => {
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/evil-`), Buffer.from([0xff]), Buffer.from('.conf')]), 'x');
    writeFileSync(join(dir, 'good.conf'), 'x');
    expect(walk(target(dir, { exclude: ['*\\\\xff*'] })).recorded).toEqual([dir, join(dir, 'good.conf')]);
    expect(walk(target(dir, { include: ['*.conf'] })).recorded).toEqual([dir, `${dir}/evil-\\xff.conf`, join(dir, 'good.conf')]);
  });

  it('walks deeper than PATH_MAX through open directory handles', () => {
    const segment = 'd'.repeat(250);
    const depth = 24;
    execFileSync(process.execPath, [
      '-e',
      `const fs = require('fs'); process.chdir(process.argv[1]); for (let i = 0; i < ${depth}; i++) { fs.mkdirSync('${segment}'); process.chdir('${segment}'); } fs.writeFileSync('f', 'x');`,
      dir,
    ]);
    const deepest = join(dir, ...Array.from({ length: depth }, () => segment), 'f');
    expect(Buffer.byteLength(deepest)).toBeGreaterThan(4096);
    const { recorded, errors } = walk(target(dir));
    expect(errors).toEqual([]);
    expect(recorded).toHaveLength(depth + 2);
    expect(recorded[recorded.length - 1]).toBe(deepest);
  });

  it('announces a directory it may not list, and an entry it may not lstat, where they sort', () => {
    mkdirSync(join(dir, 'locked'));
    writeFileSync(join(dir, 'locked', 'inside'), 'x');
    writeFileSync(join(dir, 'locked-z'), 'x');
    // Run as nobody: root may list anything.
    const script = `
      const { walkTarget, mergeWalks } = await import(${JSON.stringify(new URL('./walk.ts', import.meta.url).href)});
      const { compileTarget } = await import(${JSON.stringify(new URL('../../functions/contract/targets.ts', import.meta.url).href)});
      const out = [];
      for (const item of mergeWalks(walkTarget(compileTarget(${JSON.stringify(target(dir))})))) out.push([item.kind, item.path, item.unlistable ?? null]);
      console.log(JSON.stringify(out));`;
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'locked'), 0o700);
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { uid: 65534, gid: 65534, cwd: process.cwd(), encoding: 'utf8' });
    expect(JSON.parse(stdout)).toEqual([
      ['entry', dir, null],
      ['entry', join(dir, 'locked'), 'EACCES'],
      ['entry', join(dir, 'locked-z'), null],
      ['unlisted', join(dir, 'locked'), null],
    ]);
  });
});
