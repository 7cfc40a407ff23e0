import type { Platform } from '../../contract/enums.ts';
import { normalizePath, relativeTo } from '../../contract/targets.ts';
import { newTarget } from '../../contract/target-defaults.ts';
import { ImportCollector, ImportFormatError, isSupportedAttribute, orderedAttributes, type ImportContext, type ImportedTarget, type ParsedImport } from './import-result.ts';
import { globHasWildcard, regexToGlob, unescapeGlob } from './regex-glob.ts';

/**
 * AIDE configuration (aide.conf(5), 0.18) as policy targets. AIDE selects files with regular
 * expressions matched against the whole path from its start, and checks them with groups of attributes:
 *
 * - `/regex GROUP` (regular rule). A literal path matches as a prefix, so `/etc` is the recursive target
 *   `/etc`; with a trailing `$` (`/etc$`) it matches that entry only (recursive false, exclude `*`). A
 *   wildcard in the last segment gives a wildcard target (`/etc/ssh/ssh_host_.*_key$` ->
 *   `/etc/ssh/ssh_host_*_key`, matched entries only); without the `$` the names may go on (`*` appended)
 *   and everything below them counts (recursive). AIDE's `/lib` also matching `/lib64` is not reproduced.
 * - `=/regex GROUP` (equals rule): the entry itself, not its children.
 * - `!/regex` (negative rule): an exclude on every imported target that contains the regex's directory;
 *   a remainder starting with `.*` matches at any depth, as in the regex.
 * - A file type restriction (`/path f Full`) is noted, not applied: targets record every type (`0` is none).
 * - `Name = p+i+u+g+sha256-m` defines a group; attributes map to target attributes (ATOMS below), those
 *   without an equivalent are named in a note. The hash algorithm is a policy setting, not a target's.
 * - Config escapes (`\ `, `\@`, `\\`) and URL escapes (`%20`) are decoded before the regex is read.
 * - `@@define`/`@@undef`, `@@{VAR}`, `@@ifdef`/`@@ifndef`, `@@if [not] defined VAR`, `@@else`, `@@endif`
 *   are evaluated; host conditions are read as "this is not that host" (noted); `@@include` and
 *   `@@x_include` are skipped (import the included files separately). Options (`database_in=...`) are noted.
 * Regexes without a glob equivalent are skipped with the reason (regex-glob.ts).
 */

/** AIDE attribute -> target attribute, or null (no equivalent). */
const ATOMS: Record<string, string | null> = {
  p: 'mode',
  ftype: 'type',
  i: 'inode',
  l: 'linkTarget',
  n: 'nlink',
  u: 'owner',
  g: 'group',
  s: 'size',
  S: 'size',
  growing: null,
  compressed: null,
  b: null,
  m: 'mtime',
  a: null,
  c: 'ctime',
  I: null,
  ANF: null,
  ARF: null,
  acl: 'acl',
  xattrs: 'xattrs',
  selinux: null,
  e2fsattrs: null,
  caps: 'caps',
};
const HASHES = ['md5', 'sha1', 'sha256', 'sha512', 'rmd160', 'tiger', 'haval', 'gost', 'crc32', 'crc32b', 'whirlpool', 'stribog256', 'stribog512', 'sha512_256', 'sha3_256', 'sha3_512'];
for (const hash of HASHES) ATOMS[hash] = 'content';

/** Why an attribute has no equivalent, for notes. */
const ATOM_NAMES: Record<string, string> = {
  b: 'b (block count)',
  a: 'a (access time)',
  I: 'I (ignore changed file names)',
  ANF: 'ANF (allow new files)',
  ARF: 'ARF (allow removed files)',
  selinux: 'selinux (SELinux context)',
  e2fsattrs: 'e2fsattrs (ext2 file attributes)',
  growing: 'growing (allow growing files)',
  compressed: 'compressed (compare uncompressed content)',
  n: 'n (link count)',
  acl: 'acl',
  xattrs: 'xattrs',
  caps: 'caps',
};

const X_GROUP = ['acl', 'selinux', 'xattrs', 'e2fsattrs', 'caps'];
/** AIDE's predefined groups (aide.conf(5), 0.18). */
const PREDEFINED: Record<string, string[]> = {
  R: ['p', 'ftype', 'i', 'l', 'n', 'u', 'g', 's', 'm', 'c', 'md5', ...X_GROUP],
  L: ['p', 'ftype', 'i', 'l', 'n', 'u', 'g', ...X_GROUP],
  '>': ['p', 'ftype', 'l', 'u', 'g', 'i', 'n', 'S', ...X_GROUP],
  H: HASHES,
  X: X_GROUP,
  E: [],
};

/** Configuration options (not rules): noted, not used. */
const OPTIONS = new Set([
  'database', 'database_in', 'database_out', 'database_new', 'database_attrs', 'database_add_metadata', 'gzip_dbout', 'verbose', 'log_level',
  'report_level', 'report_url', 'report_detailed_init', 'report_base16', 'report_quiet', 'report_append', 'report_format', 'report_grouped',
  'report_summarize_changes', 'report_ignore_e2fsattrs', 'report_ignore_changed_attrs', 'report_ignore_added_attrs', 'report_ignore_removed_attrs',
  'report_force_attrs', 'summarize_changes', 'grouped', 'acl_no_symlink_follow', 'warn_dead_symlinks', 'root_prefix', 'config_version', 'num_workers',
]);

const FILE_TYPES = /^[fdlcbpsDP0](,[fdlcbpsDP0])*$/;

interface Frame {
  /** Whether lines in this branch apply. */
  active: boolean;
  /** False for a condition that was not evaluated (@@if): its @@else branch is skipped too. */
  evaluated: boolean;
  line: number;
  directive: string;
  elseSeen: boolean;
}

interface Selection {
  line: number;
  kind: 'regular' | 'equals';
  glob: string;
  anchoredEnd: boolean;
  atoms: Set<string>;
}

interface Exclusion {
  line: number;
  glob: string;
  anchoredEnd: boolean;
}

/** Splits `text` at unescaped separators (a backslash keeps the next character, and stays); empty parts dropped unless `keepEmpty`. */
function splitUnescaped(text: string, isSeparator: (ch: string) => boolean, keepEmpty: boolean): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (isSeparator(ch)) {
      if (current || keepEmpty) parts.push(current);
      current = '';
    } else current += ch;
  }
  if (current || keepEmpty) parts.push(current);
  return parts;
}

/** The fields of a rule line (AIDE escapes spaces in paths as `\ `). */
const words = (line: string): string[] => splitUnescaped(line, (ch) => ch === ' ' || ch === '\t', false);

/** Segments of a glob split at unescaped `/` (escapes kept). */
const globSegments = (glob: string): string[] => splitUnescaped(glob, (ch) => ch === '/', true);

/** The regex a rule line holds: config escapes (`\ `, `\@`, `\\`) and URL escapes (`%20`) decoded. */
function decodeRegex(raw: string): string {
  return raw.replace(/\\([ @\\])/g, '$1').replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

class AideReader {
  private readonly out: ImportCollector;
  private readonly defines = new Map<string, string>();
  private readonly rules = new Map<string, Set<string>>(Object.entries(PREDEFINED).map(([k, v]) => [k, new Set(v)]));
  private readonly frames: Frame[] = [];
  private readonly selections: Selection[] = [];
  private readonly exclusions: Exclusion[] = [];
  private recognised = 0;

  constructor(private readonly context: ImportContext) {
    this.out = new ImportCollector(context);
  }

  read(text: string): ParsedImport {
    if (text.includes('\u0000')) throw new ImportFormatError(text.slice(0, text.indexOf('\u0000')).split('\n').length, 'binary data (a NUL byte), not an AIDE configuration');
    const lines = text.split('\n');
    let firstContent = 0;
    lines.forEach((raw, index) => {
      const line = index + 1;
      const content = raw.trim();
      if (content === '' || content.startsWith('#')) return;
      if (firstContent === 0) firstContent = line;
      this.line(line, content);
    });
    const open = this.frames.at(-1);
    if (open) throw new ImportFormatError(open.line, `${open.directive} has no @@endif`);
    if (this.recognised === 0 && firstContent > 0) throw new ImportFormatError(firstContent, 'not an AIDE configuration: no selection, rule, option or @@ directive');
    this.emit();
    return this.out.result();
  }

  private line(line: number, content: string): void {
    if (content.startsWith('@@') && !content.startsWith('@@{')) {
      this.recognised++;
      this.directive(line, content);
      return;
    }
    const inactive = this.frames.find((f) => !f.active);
    if (inactive) {
      this.out.skip(line, `not in effect: inside ${inactive.directive} (line ${inactive.line})`);
      return;
    }
    const substituted = this.substitute(content);
    if ('problem' in substituted) {
      this.out.skip(line, substituted.problem);
      return;
    }
    const text = substituted.text;
    if (text.startsWith('/') || text.startsWith('=/') || text.startsWith('!/')) {
      this.recognised++;
      this.selection(line, text);
      return;
    }
    const assignment = /^([A-Za-z_>][A-Za-z0-9_]*|>)\s*=\s*(.*)$/.exec(text);
    if (assignment) {
      this.recognised++;
      this.assignment(line, assignment[1]!, assignment[2]!.trim());
      return;
    }
    this.out.skip(line, 'not an AIDE selection line, rule or option');
  }

  private substitute(content: string): { text: string } | { problem: string } {
    let missing: string | undefined;
    const text = content.replace(/@@\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
      const value = this.defines.get(name);
      if (value === undefined) missing ??= name;
      return value ?? whole;
    });
    return missing ? { problem: `@@{${missing}} is not defined (@@define it in this file)` } : { text };
  }

  private directive(line: number, content: string): void {
    const [directive = '', ...args] = content.split(/\s+/);
    const arg = args[0];
    const active = this.frames.every((f) => f.active);
    const push = (value: boolean, evaluated = true): void => {
      this.frames.push({ active: value, evaluated, line, directive: `${directive}${arg ? ` ${arg}` : ''}`, elseSeen: false });
    };
    switch (directive) {
      case '@@define':
        if (!arg) return this.out.skip(line, '@@define needs a name');
        if (!active) return this.out.skip(line, 'not in effect (inside a false @@if block)');
        this.defines.set(arg, args.slice(1).join(' '));
        return;
      case '@@undef':
        if (active && arg) this.defines.delete(arg);
        return;
      case '@@ifdef':
      case '@@ifndef':
        return push(this.defines.has(arg ?? '') === (directive === '@@ifdef'));
      case '@@ifhost':
      case '@@ifnhost':
        // The importing host is unknown: read the file as for a host that is none of those named.
        this.out.note(line, `${directive} ${arg ?? ''}: read as for a host other than ${arg ?? '(none)'}`);
        return push(directive === '@@ifnhost');
      case '@@if': {
        const [not, kind, name] = args[0] === 'not' ? [true, args[1], args[2]] : [false, args[0], args[1]];
        if (kind === 'defined' && name) return push(this.defines.has(name) !== not);
        if (kind === 'hostname' && name) {
          this.out.note(line, `${content}: read as for a host other than ${name}`);
          return push(not);
        }
        this.out.skip(line, `${content} is not evaluated: the lines up to its @@else/@@endif are skipped`);
        return push(false, false);
      }
      case '@@else': {
        const frame = this.frames.at(-1);
        if (!frame || frame.elseSeen) throw new ImportFormatError(line, '@@else without a matching @@if');
        frame.elseSeen = true;
        frame.active = frame.evaluated && !frame.active;
        frame.line = line;
        frame.directive = `@@else of ${frame.directive}`;
        return;
      }
      case '@@endif':
        if (!this.frames.pop()) throw new ImportFormatError(line, '@@endif without a matching @@if');
        return;
      case '@@include':
      case '@@x_include':
      case '@@x_include_setenv':
        return this.out.skip(line, `${directive} is not followed: import the included file${directive === '@@include' ? '' : 's'} separately`);
      default:
        return this.out.skip(line, `unknown directive ${directive}`);
    }
  }

  private assignment(line: number, name: string, value: string): void {
    if (OPTIONS.has(name)) {
      this.out.note(line, `AIDE option ${name} is not used (the server keeps the baseline and the reports)`);
      return;
    }
    const atoms = this.expression(value);
    if ('problem' in atoms) {
      this.out.skip(line, `rule ${name}: ${atoms.problem}`);
      return;
    }
    this.rules.set(name, atoms.atoms);
    const { attributes, unsupported } = mapAtoms(atoms.atoms);
    const missing = unsupported.length ? `; no equivalent for ${unsupported.join(', ')}` : '';
    this.out.note(line, `rule ${name}: ${attributes.length ? attributes.join(', ') : 'no attribute'}${missing}`);
  }

  /** `p+i+Full-m` -> the set of AIDE attributes (evaluated left to right). */
  private expression(value: string): { atoms: Set<string> } | { problem: string } {
    if (value === '') return { problem: 'empty rule' };
    const atoms = new Set<string>();
    const parts = value.replace(/\s+/g, '').split(/(?=[+-])/);
    for (const part of parts) {
      const sign = part[0] === '-' ? '-' : '+';
      const name = part.replace(/^[+-]/, '');
      const expanded = this.rules.get(name) ?? (name in ATOMS ? new Set([name]) : undefined);
      if (!expanded) return { problem: `unknown attribute or rule ${name}` };
      for (const atom of expanded) {
        if (sign === '+') atoms.add(atom);
        else atoms.delete(atom);
      }
    }
    return { atoms };
  }

  private selection(line: number, text: string): void {
    const negative = text.startsWith('!');
    const equals = text.startsWith('=');
    const parts = words(negative || equals ? text.slice(1) : text);
    const regex = parts[0]!;
    const rest = parts.slice(1);
    if (rest.length > (negative ? 1 : 2)) return this.out.skip(line, `too many fields (${parts.length})`);
    const restriction = negative ? rest[0] : rest.length === 2 ? rest[0] : undefined;
    if (restriction !== undefined && !FILE_TYPES.test(restriction)) return this.out.skip(line, `${restriction} is not a file type restriction`);
    if (restriction && restriction !== '0') this.out.note(line, `file type restriction ${restriction} is not applied: targets record every type`);
    const converted = regexToGlob(decodeRegex(regex));
    if ('problem' in converted) return this.out.skip(line, `${regex}: ${converted.problem}`);
    if (negative) {
      this.exclusions.push({ line, glob: converted.glob, anchoredEnd: converted.anchoredEnd });
      return;
    }
    const ruleText = rest.at(-1);
    if (!ruleText) return this.out.skip(line, 'a selection line needs a rule');
    const atoms = this.expression(ruleText);
    if ('problem' in atoms) return this.out.skip(line, atoms.problem);
    this.selections.push({ line, kind: equals ? 'equals' : 'regular', glob: converted.glob, anchoredEnd: converted.anchoredEnd, atoms: atoms.atoms });
  }

  /** Targets from the selections, then each exclusion on the targets that contain it. */
  private emit(): void {
    for (const selection of this.selections) this.emitSelection(selection);
    for (const exclusion of this.exclusions) this.emitExclusion(exclusion);
  }

  private emitSelection({ line, kind, glob, anchoredEnd, atoms }: Selection): void {
    const segments = globSegments(glob);
    if (segments.slice(0, -1).some(globHasWildcard)) return this.out.skip(line, `${glob}: a wildcard may appear in the last path segment only`);
    const { attributes, unsupported } = mapAtoms(atoms);
    if (attributes.length === 0) return this.out.skip(line, `the group has no attribute a target compares${unsupported.length ? ` (only ${unsupported.join(', ')})` : ''}`);
    let last = segments.at(-1)!;
    const wildcard = globHasWildcard(last);
    // Without `$` (and `=`) the regex matches every path that starts like this: longer names, and all below.
    const prefix = !anchoredEnd && kind === 'regular';
    if (wildcard && prefix && !last.endsWith('*')) last += '*';
    const path = normalizePath([...segments.slice(0, -1).map(unescapeGlob), wildcard ? last : unescapeGlob(last)].join('/') || '/', 'linux');
    const scope = prefix ? {} : wildcard ? { recursive: false } : { recursive: false, exclude: ['*'] };
    this.out.add(line, newTarget(path, { attributes, ...scope }));
  }

  private emitExclusion({ line, glob, anchoredEnd }: Exclusion): void {
    const segments = globSegments(glob);
    const firstWild = segments.findIndex(globHasWildcard);
    const literalCount = firstWild < 0 ? segments.length - 1 : firstWild;
    const dir = normalizePath(segments.slice(0, literalCount).map(unescapeGlob).join('/') || '/', 'linux');
    let remainder = segments.slice(literalCount).join('/');
    if (!anchoredEnd && !remainder.endsWith('*')) remainder += '*';
    const anyDepth = remainder.startsWith('*') && !remainder.includes('/');
    const applied: string[] = [];
    for (const imported of this.out.targets) {
      const pattern = excludeFor(imported, dir, remainder, anyDepth, this.context.platform);
      if (pattern === null) continue;
      if (!imported.target.exclude.includes(pattern)) imported.target.exclude.push(pattern);
      applied.push(`${pattern} on ${imported.target.path}`);
    }
    if (applied.length === 0) return this.out.skip(line, `no imported selection contains ${dir}`);
    this.out.note(line, `exclude ${applied.join(', ')}`);
  }
}

/** The exclude pattern that makes `imported` skip what `dir` + `remainder` names, or null when it does not apply. */
function excludeFor(imported: ImportedTarget, dir: string, remainder: string, anyDepth: boolean, platform: Platform): string | null {
  const path = imported.target.path;
  const slash = path.lastIndexOf('/');
  const wildcard = globHasWildcard(path.slice(slash + 1));
  if (wildcard) {
    // Patterns of a wildcard target are relative to each matched root: only name patterns carry over.
    return anyDepth && relativeTo(dir, normalizePath(path.slice(0, slash) || '/', platform), platform) !== null ? remainder : null;
  }
  const relDir = relativeTo(path, dir, platform);
  // A target below the exclusion's directory: a pattern that matches at any depth still reaches into it.
  if (relDir === null) return anyDepth && relativeTo(dir, path, platform) !== null ? remainder : null;
  if (anyDepth) return relDir === '' ? remainder : `/${relDir}/**/${remainder}`;
  return `/${relDir === '' ? '' : `${relDir}/`}${remainder}`;
}

/** AIDE attributes -> target attributes, and the names of those without an equivalent. */
function mapAtoms(atoms: ReadonlySet<string>): { attributes: ReturnType<typeof orderedAttributes>; unsupported: string[] } {
  const mapped: string[] = [];
  const unsupported = new Set<string>();
  for (const atom of atoms) {
    const attribute = ATOMS[atom];
    if (attribute && isSupportedAttribute(attribute)) mapped.push(attribute);
    else unsupported.add(ATOM_NAMES[atom] ?? atom);
  }
  return { attributes: orderedAttributes(mapped), unsupported: [...unsupported].sort() };
}

/**
 * Reads an aide.conf (its text, `\n` line ends) into targets for a policy.
 * @throws ImportFormatError when the file is not AIDE configuration or its @@if blocks do not balance.
 */
export function parseAideConf(text: string, context: ImportContext): ParsedImport {
  return new AideReader(context).read(text);
}
