import { mkdirSync, mkdtempSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Target } from '../../functions/contract/policy.schemas.ts';
import { compileTarget } from '../../functions/contract/targets.ts';
import { walkTarget, type WalkVisitor } from './walk.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dw-walk-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
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

function collect(extra: Partial<WalkVisitor> = {}) {
  const recorded: string[] = [];
  const errors: { path: string; error: unknown }[] = [];
  const visitor: WalkVisitor = {
    record: (path: string, _stats: Stats) => {
      recorded.push(path);
    },
    error: (path, error) => errors.push({ path, error }),
    ...extra,
  };
  return { recorded, errors, visitor };
}

describe('walkTarget', () => {
  it('skips entries that vanish between readdir and lstat, reporting each, and goes on', async () => {
    const d = join(dir, 'd');
    mkdirSync(d);
    for (const name of ['a', 'b', 'c']) writeFileSync(join(d, name), name);
    mkdirSync(join(dir, 'e'));
    writeFileSync(join(dir, 'e', 'kept'), 'x');
    const { recorded, errors, visitor } = collect();
    let deleted = false;
    visitor.record = (path) => {
      recorded.push(path);
      if (!deleted && path.startsWith(`${d}/`)) {
        // the first file of d to be visited removes its two siblings, already listed by readdir
        deleted = true;
        for (const name of ['a', 'b', 'c']) if (join(d, name) !== path) rmSync(join(d, name));
      }
    };
    await walkTarget(compileTarget(target(dir)), visitor);
    expect(recorded.filter((p) => p.startsWith(`${d}/`))).toHaveLength(1);
    expect(errors.map((e) => e.path).sort()).toEqual(['a', 'b', 'c'].map((n) => join(d, n)).filter((p) => !recorded.includes(p)));
    expect(errors.every((e) => (e.error as { code?: string }).code === 'ENOENT')).toBe(true);
    expect(recorded).toContain(join(dir, 'e', 'kept'));
  });

  it('reports a directory that vanishes before it is listed', async () => {
    mkdirSync(join(dir, 'x', 'y'), { recursive: true });
    const { recorded, errors, visitor } = collect();
    visitor.record = (path) => {
      recorded.push(path);
      if (path === join(dir, 'x', 'y')) rmSync(path, { recursive: true });
    };
    await walkTarget(compileTarget(target(dir)), visitor);
    expect(recorded).toEqual([dir, join(dir, 'x'), join(dir, 'x', 'y')]);
    expect(errors.map((e) => e.path)).toEqual([join(dir, 'x', 'y')]);
  });

  it('does not record what skip() claims, but still descends', async () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'f'), 'x');
    const { recorded, visitor } = collect({ skip: (path) => path === join(dir, 'sub') });
    await walkTarget(compileTarget(target(dir)), visitor);
    expect(recorded.sort()).toEqual([dir, join(dir, 'sub', 'f')]);
  });

  it('prunes directories that cannot hold an anchored include', async () => {
    for (const p of ['nginx/conf.d/a.conf', 'nginx/other/b.conf', 'apache/c.conf']) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), p);
    }
    const listed: string[] = [];
    const { recorded, visitor } = collect();
    const compiled = compileTarget(target(dir, { include: ['nginx/conf.d/*.conf'] }));
    const spy = { ...compiled, mayDescend: (rel: string, above: boolean) => (listed.push(rel), compiled.mayDescend(rel, above)) };
    await walkTarget(spy, visitor);
    expect(recorded).toEqual([dir, join(dir, 'nginx/conf.d/a.conf')]);
    expect(listed).toContain('apache');
    expect(compiled.mayDescend('apache', false)).toBe(false);
  });
});
