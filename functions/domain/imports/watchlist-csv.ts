import { CsvError, parse } from 'csv-parse/sync';
import type { Platform } from '../../contract/enums.ts';
import { newTarget } from '../../contract/target-defaults.ts';
import { anchoredExclude, ImportCollector, ImportFormatError, orderedAttributes, targetPathProblem, tidyPath, type ImportContext, type ParsedImport } from './import-result.ts';

/**
 * The watchlist CSV of the contract (Tanium Integrity Monitor's import format):
 * `path,ops_create,ops_delete,ops_write,ops_rename,ops_permission,excludes_type,excludes_spec`.
 *
 * - A row with a `path` is a target; a row with an empty `path` adds one exclusion to the path above.
 * - `ops_*` are `on`/`off` (also yes/no, true/false, 1/0; empty is off). They choose what the target
 *   compares: `ops_write` -> content, size, mtime, ctime, linkTarget; `ops_permission` -> mode, owner,
 *   group; `ops_rename` -> inode (renames are matched by inode and content); `type` always. Added and
 *   removed entries are always reported, so `ops_create`/`ops_delete` off is noted; a row with every
 *   operation off is skipped.
 * - `excludes_type` `directory` -> a directory-only pattern (`name/`), `file` -> a pattern; `excludes_spec`
 *   is a name or glob (matched at any depth), a relative path (from the target), or an absolute path
 *   below the target (anchored). A file exclusion of `*` (all files, keeping directories) has no
 *   equivalent and is noted, not applied.
 * - Tanium's own examples leave `ops_permission` out (seven fields under the eight-column header): a
 *   row one field short is read that way, and noted. Missing trailing fields are empty.
 * Headers are matched by name in any order; `path` is required. Quoting follows RFC 4180 (csv-parse).
 */

const OPS = ['ops_create', 'ops_delete', 'ops_write', 'ops_rename', 'ops_permission'] as const;
const COLUMNS = ['path', ...OPS, 'excludes_type', 'excludes_spec'] as const;
type Column = (typeof COLUMNS)[number];

const ON = new Set(['on', 'yes', 'true', '1']);
const OFF = new Set(['off', 'no', 'false', '0', '']);

const ATTRIBUTES_OF: Partial<Record<Column, string[]>> = {
  ops_write: ['content', 'size', 'mtime', 'ctime', 'linkTarget'],
  ops_permission: ['mode', 'owner', 'group'],
  ops_rename: ['inode'],
};

interface PendingTarget {
  line: number;
  path: string;
  ops: Record<(typeof OPS)[number], boolean>;
  exclude: string[];
  /** Lines of its exclusion rows, skipped with it when the target is. */
  exclusionLines: number[];
}

type Row = Partial<Record<Column, string>>;

/** The line a record starts on: csv-parse counts the line it ended on. */
function startLine(info: { lines: number }, raw: string): number {
  const inner = raw.endsWith('\n') ? raw.slice(0, -1) : raw;
  return info.lines - (inner.match(/\n/g)?.length ?? 0);
}

class WatchlistReader {
  private readonly out: ImportCollector;
  private current: PendingTarget | null = null;
  /** The line of the last path row that was skipped: its exclusion rows are skipped with it. */
  private skippedPathLine: number | null = null;

  constructor(private readonly context: ImportContext) {
    this.out = new ImportCollector(context);
  }

  read(text: string): ParsedImport {
    let records: { record: string[]; info: { lines: number }; raw: string }[];
    try {
      const options = { bom: true, relax_column_count: true, skip_empty_lines: true, trim: true, info: true, raw: true, record_delimiter: '\n' };
      // With info and raw, each record comes as {record, info, raw} (the typings know only string[][]).
      records = parse(text.replace(/\r\n?/g, '\n'), options) as unknown as typeof records;
    } catch (error) {
      if (error instanceof CsvError) throw new ImportFormatError((error as CsvError & { lines?: number }).lines ?? 1, error.message.replace(/^[A-Za-z ]+: /, ''));
      throw error;
    }
    if (records.length === 0) throw new ImportFormatError(1, 'the file is empty (a header line is required)');
    const [header, ...rows] = records;
    const columns = this.header(startLine(header!.info, header!.raw), header!.record);
    for (const { record, info, raw } of rows) this.row(startLine(info, raw), columns, record);
    this.finish();
    return this.out.result();
  }

  private header(line: number, names: string[]): (Column | null)[] {
    const columns = names.map((name) => name.trim().toLowerCase());
    if (!columns.includes('path')) {
      throw new ImportFormatError(line, `the first line must be the header (${COLUMNS.join(',')}); it has no "path" column`);
    }
    const unknown = columns.filter((c) => !(COLUMNS as readonly string[]).includes(c));
    if (unknown.length) this.out.note(line, `column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ignored`);
    return columns.map((c) => ((COLUMNS as readonly string[]).includes(c) ? (c as Column) : null));
  }

  private row(line: number, columns: (Column | null)[], record: string[]): void {
    if (record.length > columns.length) return this.out.skip(line, `${record.length} fields; the header has ${columns.length}`);
    let fields = record;
    const permission = columns.indexOf('ops_permission');
    if (record.length === columns.length - 1 && permission >= 0) {
      fields = [...record.slice(0, permission), '', ...record.slice(permission)];
      this.out.note(line, 'one field short: read without ops_permission, as in Tanium\'s examples');
    }
    const row: Row = {};
    columns.forEach((column, i) => {
      if (column) row[column] = fields[i] ?? '';
    });
    if (Object.values(row).every((v) => v === '')) return this.out.skip(line, 'an empty row');
    if (row.path) this.pathRow(line, row);
    else this.exclusionRow(line, row);
  }

  private pathRow(line: number, row: Row): void {
    this.finish();
    this.skippedPathLine = line;
    const ops = {} as PendingTarget['ops'];
    for (const op of OPS) {
      const value = (row[op] ?? '').toLowerCase();
      if (!ON.has(value) && !OFF.has(value)) return this.out.skip(line, `${op}: expected on or off, got "${row[op]}"`);
      ops[op] = ON.has(value);
    }
    if (!OPS.some((op) => ops[op])) return this.out.skip(line, 'every operation is off: nothing to monitor');
    const path = tidyPath(row.path!, this.context.platform);
    const problem = targetPathProblem(path, this.context.platform);
    if (problem) return this.out.skip(line, problem);
    const pending: PendingTarget = { line, path, ops, exclude: [], exclusionLines: [] };
    if (row.excludes_type || row.excludes_spec) {
      if (!this.addExclusion(line, pending, row)) return;
    }
    this.current = pending;
    this.skippedPathLine = null;
  }

  private exclusionRow(line: number, row: Row): void {
    if (this.skippedPathLine !== null) return this.out.skip(line, `the path above (line ${this.skippedPathLine}) was skipped`);
    if (!this.current) return this.out.skip(line, 'an exclusion row with no path above it');
    if (OPS.some((op) => row[op])) return this.out.skip(line, 'a row without a path only adds an exclusion: its ops_* must be empty');
    if (this.addExclusion(line, this.current, row)) this.current.exclusionLines.push(line);
  }

  /** Adds the row's exclusion to the pending target; false (and the line skipped) when it cannot be read. */
  private addExclusion(line: number, target: PendingTarget, row: Row): boolean {
    const type = (row.excludes_type ?? '').toLowerCase();
    const spec = row.excludes_spec ?? '';
    if (type !== 'file' && type !== 'directory') {
      this.out.skip(line, `excludes_type: expected file or directory, got "${row.excludes_type ?? ''}"`);
      return false;
    }
    if (spec === '') {
      this.out.skip(line, 'excludes_spec is empty');
      return false;
    }
    const pattern = excludePattern(spec, target.path, this.context.platform);
    if (pattern === null) {
      this.out.skip(line, `${spec} is not below ${target.path}`);
      return false;
    }
    if (type === 'file' && /^\/?\*+$/.test(pattern)) {
      this.out.note(line, `file exclusion ${spec} (every file, keeping directories) has no equivalent: not applied`);
      return true;
    }
    const full = type === 'directory' ? `${pattern.replace(/\/+$/, '')}/` : pattern;
    if (!target.exclude.includes(full)) target.exclude.push(full);
    return true;
  }

  /** Turns the pending target (path row and its exclusion rows) into an imported target. */
  private finish(): void {
    const pending = this.current;
    this.current = null;
    if (!pending) return;
    const { line, path, ops, exclude, exclusionLines } = pending;
    const attributes = orderedAttributes(['type', ...OPS.flatMap((op) => (ops[op] ? (ATTRIBUTES_OF[op] ?? []) : []))]);
    const off = (['ops_create', 'ops_delete'] as const).filter((op) => !ops[op]);
    if (off.length) this.out.note(line, `${off.join(' and ')} off: added and removed entries are always reported`);
    if (this.out.add(line, newTarget(path, { attributes, exclude }))) return;
    for (const exclusionLine of exclusionLines) this.out.skip(exclusionLine, `the path above (line ${line}) was skipped`);
  }
}

/** An excludes_spec as a pattern relative to the target (see the module comment), or null. */
function excludePattern(spec: string, targetPath: string, platform: Platform): string | null {
  const absolute = platform === 'windows' ? /^[A-Za-z]:[\\/]/.test(spec) : spec.startsWith('/');
  if (absolute) return anchoredExclude(spec, targetPath, platform);
  const relative = platform === 'windows' ? spec.replace(/\\/g, '/') : spec;
  return relative.replace(/^\.\//, '');
}

/**
 * Reads a watchlist CSV into targets for a policy.
 * @throws ImportFormatError when the CSV does not parse (an unclosed quote...) or has no header with `path`.
 */
export function parseWatchlistCsv(text: string, context: ImportContext): ParsedImport {
  return new WatchlistReader(context).read(text);
}
