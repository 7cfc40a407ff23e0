import { ENTRY_ATTRIBUTES, type EntryAttribute } from '../../contract/entry.ts';
import type { Platform } from '../../contract/enums.ts';
import type { Target } from '../../contract/policy.schemas.ts';
import { hasGlob, normalizePath, relativeTo } from '../../contract/targets.ts';
import { wirePathProblem } from '../../contract/wire-path.ts';

/**
 * What every importer (watchlist CSV, OSSEC syscheck, AIDE) gives back: the targets it would add, each
 * with the line it came from, and every other meaningful line either skipped (with why) or noted (used,
 * or understood but without an equivalent here). A file that cannot be read at all throws
 * ImportFormatError naming the line, and nothing is added.
 */
export type ImportTarget = Omit<Target, 'id'>;

export interface ImportedTarget {
  line: number;
  target: ImportTarget;
}

export interface SkippedLine {
  line: number;
  reason: string;
}

export interface ImportNote {
  line: number;
  message: string;
}

export interface ParsedImport {
  targets: ImportedTarget[];
  skipped: SkippedLine[];
  notes: ImportNote[];
}

/** The file as a whole cannot be read (broken XML, no header, unclosed quote...): a 400 naming the line. */
export class ImportFormatError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** The policy the targets go to: its platform decides which paths fit. */
export interface ImportContext {
  platform: Platform;
}

/** Collects targets, skipped lines and notes while a parser walks a file. */
export class ImportCollector {
  readonly targets: ImportedTarget[] = [];
  readonly skipped: SkippedLine[] = [];
  readonly notes: ImportNote[] = [];
  private readonly lineOfPath = new Map<string, number>();

  constructor(readonly context: ImportContext) {}

  skip(line: number, reason: string): void {
    this.skipped.push({ line, reason });
  }

  note(line: number, message: string): void {
    this.notes.push({ line, message });
  }

  /** Adds a target unless its path is unfit for the policy or came earlier in the file (then skipped). */
  add(line: number, target: ImportTarget): ImportedTarget | undefined {
    const problem = targetPathProblem(target.path, this.context.platform);
    if (problem) {
      this.skip(line, problem);
      return undefined;
    }
    const key = pathKey(target.path, this.context.platform);
    const earlier = this.lineOfPath.get(key);
    if (earlier !== undefined) {
      this.skip(line, `${target.path} is already imported from line ${earlier}`);
      return undefined;
    }
    this.lineOfPath.set(key, line);
    const imported = { line, target };
    this.targets.push(imported);
    return imported;
  }

  result(): ParsedImport {
    const byLine = <T extends { line: number }>(items: T[]) => [...items].sort((a, b) => a.line - b.line);
    return { targets: byLine(this.targets), skipped: byLine(this.skipped), notes: byLine(this.notes) };
  }
}

/** How paths compare on a platform (Windows ignores case and separators differ). */
export const pathKey = (path: string, platform: Platform): string => {
  const normal = normalizePath(path, platform);
  return platform === 'windows' ? normal.toLowerCase() : normal;
};

const WINDOWS_PATH = /^[A-Za-z]:[\\/]/;

/**
 * Why `path` cannot be a target of a policy for `platform`, or null: the policy schema's rules
 * (absolute, a wildcard in the last segment only, no `.`/`..`) and the wire path rules.
 */
export function targetPathProblem(path: string, platform: Platform): string | null {
  if (platform === 'linux' && WINDOWS_PATH.test(path)) return `${path} is a Windows path; this policy is for linux`;
  if (platform === 'windows' && path.startsWith('/')) return `${path} is not a Windows path (C:\\...); this policy is for windows`;
  const wire = wirePathProblem(path);
  if (wire) return `${path} ${wire}`;
  if (path.length > 4096) return 'the path is longer than 4096 characters';
  const segments = path.split(platform === 'windows' ? /[\\/]/ : '/');
  if (segments.slice(0, -1).some((segment) => hasGlob(segment))) return `${path}: a wildcard may appear in the last path segment only`;
  return null;
}

/**
 * An exclusion given as an absolute path, as a pattern relative to `targetPath` (anchored with a leading
 * `/`, as gitignore does), or null when it is not below the target. `/etc/mtab` under `/etc` -> `/mtab`.
 */
export function anchoredExclude(absolute: string, targetPath: string, platform: Platform): string | null {
  const rel = relativeTo(normalizePath(targetPath, platform), normalizePath(absolute, platform), platform);
  if (rel === null || rel === '') return null;
  return `/${rel}`;
}

/** Whether this build records an attribute (the list grows: nlink, acl, xattrs, caps). */
export function isSupportedAttribute(name: string): name is EntryAttribute {
  return (ENTRY_ATTRIBUTES as readonly string[]).includes(name);
}

/** Attributes in the order of ENTRY_ATTRIBUTES, without duplicates. */
export function orderedAttributes(attributes: Iterable<string>): EntryAttribute[] {
  const set = new Set(attributes);
  return ENTRY_ATTRIBUTES.filter((a) => set.has(a));
}

/** A path as a user wrote it, tidied: trimmed, trailing separators and doubled `/` dropped (a root stays). */
export function tidyPath(path: string, platform: Platform): string {
  let p = path.trim();
  if (platform === 'linux') return normalizePath(p, 'linux');
  while (p.length > 3 && /[\\/]$/.test(p)) p = p.slice(0, -1);
  return p;
}
