import picomatch from 'picomatch';
import type { Target } from '../contract/policy.schemas.ts';

/**
 * Target scoping: which paths a policy target covers. Pure (no I/O), shared by the agent (to walk) and
 * the server (to check that an uploaded path lies under a target and to find the target it belongs to).
 * Imports no zod at runtime: the agent bundle carries this file.
 *
 * Rules (CONTRACT "Target"):
 * - `path` is absolute. A glob (`* ? [ ] { }`) may appear in its LAST segment only: `/etc/*.conf` stands
 *   for every entry of `/etc` whose name matches; each match is a target root of its own. The parent
 *   (`/etc`) is not recorded.
 * - A plain target's root is always recorded (it was named explicitly): the directory itself for a
 *   directory target, the file for a file target. include/exclude never apply to it.
 *   A wildcard target's matched roots are subject to the name-only (no `/`) include/exclude patterns,
 *   exactly like any entry below a root: `/var/log/*` with exclude `*.gz` skips `/var/log/x.gz`.
 * - Depth: `recursive: true` records everything below each root. `recursive: false` records a plain
 *   root and its direct children only; for a wildcard target it records the matched entries only
 *   (the wildcard already is the one level of listing), without walking into matched directories.
 * - `include` / `exclude` globs (picomatch, `dot: true`) match the entry's path relative to its root,
 *   gitignore-like:
 *   - a pattern with no `/` matches the entry's NAME at any depth (`*.log` matches `logs/x.log`);
 *   - a pattern with a `/` (leading, middle or `**` forms) matches the whole relative path from the root
 *     (`cache/**`, `/tmp`); a leading `/` only anchors and is stripped;
 *   - a trailing `/` makes the pattern match directories only (`build/`).
 *   Note that picomatch's `cache/**` also matches `cache` itself, so that directory is excluded whole.
 * - Exclude: an excluded entry is not recorded; an excluded directory is not descended into either, so
 *   nothing below it is in scope.
 * - Include (when non-empty): only entries that match an include pattern, or that lie below a directory
 *   that matches one (as for exclude, a matching directory stands for its whole subtree: include `ssh`
 *   keeps `ssh/` and everything in it), are recorded. Directories that do not match are NOT recorded but
 *   are still descended into so that matching entries below them are found (the walk skips directories
 *   that provably cannot hold a match of an anchored include such as `conf.d/*.conf`). Exclude wins over
 *   include.
 * - Platform: linux paths are POSIX and case-sensitive. For `platform: 'windows'` backslashes are
 *   normalised to `/` (in target paths, patterns and looked-up paths) and matching ignores case.
 */

export type TargetPlatform = 'linux' | 'windows';

export interface CompileOptions {
  platform?: TargetPlatform;
}

/** What the walk does with one matched root of a target. */
export interface RootDecision {
  /** Record the root entry itself. */
  record: boolean;
  /** Walk below it (it must be a directory, not excluded, and the depth must allow children). */
  descend: boolean;
  /** The root matched an include pattern: everything below it counts as included. */
  includedBelow: boolean;
}

export interface CompiledTarget {
  readonly target: Target;
  readonly platform: TargetPlatform;
  /** The target path, normalised (no trailing or doubled `/`): `/etc`, `/etc/*.conf`. */
  readonly path: string;
  /** Where the walk starts: a plain target's own path, or a wildcard target's parent directory (not recorded). */
  readonly base: string;
  /** The last-segment glob of a wildcard target (`*.conf`), or null for a plain path. */
  readonly rootPattern: string | null;
  /** Deepest level recorded below a root (root = 0): Infinity when recursive, else 1 (plain) or 0 (wildcard). */
  readonly maxDepth: number;
  /** Whether `name` (one entry of `base`) is a root of this wildcard target. Plain targets: false. */
  matchesRootName(name: string): boolean;
  /** How to treat a root: for a plain target `name` is ignored (always recorded). */
  rootDecision(name: string, isDirectory: boolean): RootDecision;
  /** `relPath` (relative to the root, `/`-separated, non-empty) matches an exclude pattern. */
  isExcluded(relPath: string, isDirectory: boolean): boolean;
  /** The directory at `relPath` is excluded: the walk must not record it nor descend into it. */
  isExcludedDir(relPath: string): boolean;
  /** `relPath` itself matches an include pattern (or include is empty). Ancestors are not considered. */
  matchesInclude(relPath: string, isDirectory: boolean): boolean;
  /**
   * Whether the entry at `relPath` is recorded, all rules considered (include incl. matching ancestor
   * directories, exclude of the entry and of every ancestor, depth). `''` is the root of a plain target.
   */
  includesEntry(relPath: string, isDirectory: boolean): boolean;
  /**
   * Whether the walk should list the (not excluded, recorded or not) directory at `relDir` (`''` = root):
   * depth allows children, and some entry below could be recorded.
   */
  mayDescend(relDir: string, includedAbove: boolean): boolean;
  /**
   * Whether the absolute `path` is in this target's scope (would be recorded by a walk). When
   * `isDirectory` is unknown, a path counts if it would be recorded as either a file or a directory.
   */
  contains(path: string, isDirectory?: boolean): boolean;
  /**
   * Whether a walk of this target lists the directory at absolute `dir` (the real-time watcher asks this
   * before watching a directory): the same depth, exclude and include rules as the walk itself.
   */
  walksInto(dir: string): boolean;
}

const GLOB_CHARS = /[*?[\]{}]/;

/** True when the string holds glob syntax (the same characters the policy schema checks). */
export function hasGlob(segment: string): boolean {
  return GLOB_CHARS.test(segment);
}

/**
 * Normalises an absolute path: `\` to `/` on windows, doubled `/` collapsed, trailing `/` removed
 * (except for a root: `/`, `C:/`).
 */
export function normalizePath(path: string, platform: TargetPlatform = 'linux'): string {
  let p = platform === 'windows' ? path.replace(/\\/g, '/') : path;
  if (p.includes('//')) p = p.replace(/\/{2,}/g, '/');
  while (p.length > 1 && p.endsWith('/') && !/^[A-Za-z]:\/$/.test(p)) p = p.slice(0, -1);
  return p;
}

/** `dir` joined with a child name, `/`-separated; `dir` may be a root (`/`, `C:/`). */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

interface Rule {
  /** Matches the whole relative path (has a `/`) rather than the name. */
  anchored: boolean;
  dirOnly: boolean;
  re: RegExp;
  /** Anchored rules: the literal directory prefix every match starts with ('' when unknown). */
  base: string;
}

function compileRule(raw: string, platform: TargetPlatform): Rule | null {
  let p = platform === 'windows' ? raw.replace(/\\/g, '/') : raw;
  let dirOnly = false;
  while (p.length > 1 && p.endsWith('/')) {
    dirOnly = true;
    p = p.slice(0, -1);
  }
  let anchored = false;
  if (p.startsWith('/')) {
    anchored = true;
    p = p.replace(/^\/+/, '');
  }
  if (p.includes('/')) anchored = true;
  if (p === '' || p === '/') return null;
  const nocase = platform === 'windows';
  const re = picomatch.makeRe(p, { dot: true, nocase, windows: false });
  let base = '';
  if (anchored) {
    const scanned = picomatch.scan(p);
    base = scanned.negated || scanned.isExtglob || scanned.isBrace || scanned.base.includes('\\') ? '' : scanned.base;
    if (nocase) base = base.toLowerCase();
  }
  return { anchored, dirOnly, re, base };
}

function compileRules(patterns: readonly string[] | undefined, platform: TargetPlatform): Rule[] {
  const rules: Rule[] = [];
  for (const pattern of patterns ?? []) {
    const rule = compileRule(pattern, platform);
    if (rule) rules.push(rule);
  }
  return rules;
}

/** Does any rule match? `rel === ''` (a wildcard root) is tested against name-only rules. */
function anyRule(rules: readonly Rule[], rel: string, name: string, isDirectory: boolean): boolean {
  for (const rule of rules) {
    if (rule.dirOnly && !isDirectory) continue;
    if (rule.anchored) {
      if (rel !== '' && rule.re.test(rel)) return true;
    } else if (rule.re.test(name)) return true;
  }
  return false;
}

const basename = (rel: string): string => rel.slice(rel.lastIndexOf('/') + 1);

/**
 * The part of `path` below `dir` ('' when equal, `/`-separated), or null when `path` is neither `dir`
 * nor inside it. Both must be normalised; windows compares without case.
 */
export function relativeTo(dir: string, path: string, platform: TargetPlatform = 'linux'): string | null {
  const nocase = platform === 'windows';
  const d = nocase ? dir.toLowerCase() : dir;
  const p = nocase ? path.toLowerCase() : path;
  if (p === d) return '';
  const prefix = d.endsWith('/') ? d : `${d}/`;
  if (!p.startsWith(prefix)) return null;
  return path.slice(prefix.length);
}

export function compileTarget(target: Target, options: CompileOptions = {}): CompiledTarget {
  const platform: TargetPlatform = options.platform ?? 'linux';
  const nocase = platform === 'windows';
  const path = normalizePath(target.path, platform);
  const slash = path.lastIndexOf('/');
  const lastSegment = path.slice(slash + 1);
  const wildcard = slash >= 0 && lastSegment !== '' && hasGlob(lastSegment);
  const base = wildcard ? path.slice(0, slash) || '/' : path;
  const rootPattern = wildcard ? lastSegment : null;
  const rootRe = wildcard ? picomatch.makeRe(lastSegment, { dot: true, nocase, windows: false }) : null;
  const recursive = target.recursive ?? true;
  const maxDepth = recursive ? Infinity : wildcard ? 0 : 1;
  const excludes = compileRules(target.exclude, platform);
  const includes = compileRules(target.include, platform);
  const includeAll = includes.length === 0;
  const includeHasNameRule = includes.some((r) => !r.anchored);

  const isExcluded = (rel: string, isDirectory: boolean): boolean =>
    excludes.length > 0 && anyRule(excludes, rel, basename(rel), isDirectory);
  const matchesInclude = (rel: string, isDirectory: boolean): boolean =>
    includeAll || anyRule(includes, rel, basename(rel), isDirectory);

  const rootDecision = (name: string, isDirectory: boolean): RootDecision => {
    if (!wildcard) return { record: true, descend: isDirectory && maxDepth >= 1, includedBelow: false };
    if (excludes.length > 0 && anyRule(excludes, '', name, isDirectory)) return { record: false, descend: false, includedBelow: false };
    const included = includeAll || anyRule(includes, '', name, isDirectory);
    return { record: included, descend: isDirectory && maxDepth >= 1, includedBelow: !includeAll && included };
  };

  const mayDescend = (relDir: string, includedAbove: boolean): boolean => {
    const depth = relDir === '' ? 0 : relDir.split('/').length;
    if (depth + 1 > maxDepth) return false;
    if (includeAll || includedAbove || includeHasNameRule) return true;
    const dir = nocase ? relDir.toLowerCase() : relDir;
    return includes.some(
      (r) => r.base === '' || dir === '' || r.base === dir || r.base.startsWith(`${dir}/`) || dir.startsWith(`${r.base}/`),
    );
  };

  /** Scope check for a path below a root (`rel` non-empty). */
  const inScope = (rel: string, isDirectory: boolean | undefined, includedAbove: boolean): boolean => {
    const segments = rel.split('/');
    if (segments.length > maxDepth) return false;
    let included = includeAll || includedAbove;
    let prefix = '';
    for (let i = 0; i < segments.length - 1; i++) {
      prefix = i === 0 ? segments[0]! : `${prefix}/${segments[i]}`;
      if (isExcluded(prefix, true)) return false;
      if (!included && matchesInclude(prefix, true)) included = true;
    }
    const kinds = isDirectory === undefined ? [false, true] : [isDirectory];
    return kinds.some((dir) => !isExcluded(rel, dir) && (included || matchesInclude(rel, dir)));
  };

  const contains = (absolute: string, isDirectory?: boolean): boolean => {
    const p = normalizePath(absolute, platform);
    const rel = relativeTo(base, p, platform);
    if (rel === null) return false;
    if (!wildcard) return rel === '' || inScope(rel, isDirectory, false);
    if (rel === '') return false; // the parent of a wildcard is not recorded
    const cut = rel.indexOf('/');
    const name = cut < 0 ? rel : rel.slice(0, cut);
    if (!rootRe!.test(name)) return false;
    if (cut < 0) {
      const kinds = isDirectory === undefined ? [false, true] : [isDirectory];
      return kinds.some((dir) => rootDecision(name, dir).record);
    }
    const root = rootDecision(name, true);
    if (!root.descend) return false;
    return inScope(rel.slice(cut + 1), isDirectory, root.includedBelow);
  };

  /** Below a root: no excluded ancestor, then the walk's own depth and include pruning. */
  const walksBelowRoot = (rel: string, includedAbove: boolean): boolean => {
    let included = includeAll || includedAbove;
    if (rel !== '') {
      let prefix = '';
      for (const segment of rel.split('/')) {
        prefix = prefix === '' ? segment : `${prefix}/${segment}`;
        if (isExcluded(prefix, true)) return false;
        if (!included && matchesInclude(prefix, true)) included = true;
      }
    }
    return mayDescend(rel, included);
  };

  const walksInto = (absolute: string): boolean => {
    const rel = relativeTo(base, normalizePath(absolute, platform), platform);
    if (rel === null) return false;
    if (!wildcard) return walksBelowRoot(rel, false);
    if (rel === '') return true; // the wildcard's parent: its entries are the candidate roots
    const cut = rel.indexOf('/');
    const name = cut < 0 ? rel : rel.slice(0, cut);
    if (!rootRe!.test(name)) return false;
    const root = rootDecision(name, true);
    return root.descend && walksBelowRoot(cut < 0 ? '' : rel.slice(cut + 1), root.includedBelow);
  };

  return {
    target,
    platform,
    path,
    base,
    rootPattern,
    maxDepth,
    matchesRootName: (name) => rootRe !== null && rootRe.test(name),
    rootDecision,
    isExcluded: (rel, isDirectory) => rel !== '' && isExcluded(rel, isDirectory),
    isExcludedDir: (rel) => rel !== '' && isExcluded(rel, true),
    matchesInclude: (rel, isDirectory) => rel !== '' && matchesInclude(rel, isDirectory),
    includesEntry: (rel, isDirectory) => (rel === '' ? !wildcard : inScope(rel, isDirectory, false)),
    mayDescend,
    contains,
    walksInto,
  };
}

const compiledCache: Record<TargetPlatform, WeakMap<Target, CompiledTarget>> = { linux: new WeakMap(), windows: new WeakMap() };

/** `compileTarget`, memoised per target object (the server checks many paths against the same targets). */
export function compiledTarget(target: Target, options: CompileOptions = {}): CompiledTarget {
  const cache = compiledCache[options.platform ?? 'linux'];
  let compiled = cache.get(target);
  if (!compiled) {
    compiled = compileTarget(target, options);
    cache.set(target, compiled);
  }
  return compiled;
}

export interface TargetForPathOptions extends CompileOptions {
  /** The entry's kind when known (`type === 'directory'`): matters for directory-only patterns (`build/`). */
  isDirectory?: boolean;
}

/**
 * The first target (in policy order) whose scope contains `path`, or undefined when none does: the
 * server rejects such an upload, and takes severity/attributes from the target found. The agent
 * records a path covered by two targets once, under this same first target.
 */
export function targetForPath(targets: readonly Target[], path: string, options: TargetForPathOptions = {}): Target | undefined {
  for (const target of targets) {
    if (compiledTarget(target, options).contains(path, options.isDirectory)) return target;
  }
  return undefined;
}
