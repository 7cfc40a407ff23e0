import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ENTRY_ATTRIBUTES } from '../../contract/entry.ts';
import { newTarget } from '../../contract/target-defaults.ts';
import { anchoredExclude, ImportCollector, ImportFormatError, orderedAttributes, tidyPath, type ImportContext, type ImportedTarget, type ParsedImport } from './import-result.ts';
import { sregexToPatterns } from './ossec-sregex.ts';

/**
 * OSSEC/Wazuh `<syscheck>` configuration (an ossec.conf, an agent.conf, or just the block) as policy
 * targets. Every `<syscheck>` in the file is read, in order:
 *
 * - `<directories>`: one target per comma-separated path. `check_all` (default yes) gives every
 *   attribute; `check_sum`/`check_md5sum`/`check_sha1sum`/`check_sha256sum` -> content, `check_size` ->
 *   size, `check_owner` -> owner, `check_group` -> group, `check_perm` -> mode, `check_mtime` -> mtime,
 *   `check_inode` -> inode; `no` removes. `recursion_level="0"` -> recursive false (the directory and its
 *   entries); any other level -> recursive (noted). `restrict` (sregex) -> include name patterns. `tags`
 *   -> the description. `realtime`, `whodata`, `report_changes`, `follow_symbolic_link`, `check_attrs`
 *   are noted: they are policy settings here, or have no equivalent.
 * - `<ignore>`: an exclude, anchored, on every imported target that contains the path; `type="sregex"`
 *   -> name patterns on every imported target (or anchored ones for `^/path`), see ossec-sregex.ts.
 * - Windows paths: `%WINDIR%`, `%SYSTEMROOT%`, `%PROGRAMDATA%`, `%PROGRAMFILES%`, `%PROGRAMFILES(X86)%`,
 *   `%SYSTEMDRIVE%` are read as their usual values on drive C: and `SysNative` as `System32` (noted).
 * - Scheduling and engine options (`frequency`, `scan_on_start`, `nodiff`, `synchronization`, ...) are
 *   noted with their Driftwatch counterpart; registry options are skipped (the agent does not read the
 *   registry yet); an unknown element is skipped.
 * A DOCTYPE (entity expansion) is refused, as is XML that does not parse: both name their line.
 */

const CHECKS: Record<string, string> = {
  check_sum: 'content',
  check_md5sum: 'content',
  check_sha1sum: 'content',
  check_sha256sum: 'content',
  check_size: 'size',
  check_owner: 'owner',
  check_group: 'group',
  check_perm: 'mode',
  check_mtime: 'mtime',
  check_inode: 'inode',
};
const HASH_CHECKS = ['check_md5sum', 'check_sha1sum', 'check_sha256sum'];

/** Directory attributes that have no per-target equivalent: what to tell the user. */
const DIRECTORY_NOTES: Record<string, (value: string) => string | null> = {
  realtime: (v) => (yes(v) ? 'realtime: real-time monitoring is the policy\'s state ("real-time"), not a per-directory option' : null),
  whodata: (v) => (yes(v) ? 'whodata: who changed a file is not collected; real-time monitoring is the policy\'s state' : null),
  report_changes: (v) => (yes(v) ? 'report_changes: file contents are not kept; events carry the hashes before and after' : null),
  diff_size_limit: () => 'diff_size_limit: file contents are not kept',
  follow_symbolic_link: (v) => (yes(v) ? 'follow_symbolic_link: symbolic links are recorded, never followed' : null),
  check_attrs: (v) => (yes(v) ? 'check_attrs: Windows file attributes are not compared' : null),
};

/** Elements of `<syscheck>` with no per-target meaning here: noted with their counterpart. */
const ELEMENT_NOTES: Record<string, string> = {
  frequency: 'the scan schedule is set on the server group (scanSchedule)',
  scan_time: 'the scan schedule is set on the server group (scanSchedule)',
  scan_day: 'the scan schedule is set on the server group (scanSchedule)',
  scan_on_start: 'scans at agent start are set on the server group (scanOnAgentStart)',
  alert_new_files: 'added entries are always reported',
  nodiff: 'file contents are never kept, so there is no diff to suppress',
  process_priority: 'CPU use is the policy\'s cpuUsage',
  max_eps: 'no equivalent: the agent uploads only what changed',
  max_files_per_second: 'CPU use is the policy\'s cpuUsage',
  auto_ignore: 'no equivalent: every change is reported; label or rule away the expected ones',
  skip_nfs: 'no equivalent: targets are walked as given',
  skip_dev: 'no equivalent: device files are recorded by metadata only',
  skip_proc: 'no equivalent: targets are walked as given',
  skip_sys: 'no equivalent: targets are walked as given',
  synchronization: 'no equivalent: the server holds the baseline',
  database: 'no equivalent: the server holds the baseline',
  file_limit: 'no equivalent: see the policy\'s target limits',
  diff: 'file contents are not kept',
  remove_old_diff: 'file contents are not kept',
  prefilter_cmd: 'no equivalent: the agent hashes files itself',
  allow_remote_prefilter_cmd: 'no equivalent: the agent hashes files itself',
  whodata: 'who changed a file is not collected',
  windows_audit_interval: 'who changed a file is not collected',
  restart_audit: 'who changed a file is not collected',
  max_audit_entries: 'who changed a file is not collected',
  rt_delay: 'real-time monitoring is the policy\'s state',
};
const REGISTRY_ELEMENTS = new Set(['windows_registry', 'registry_ignore', 'registry_nodiff', 'registry_limit']);

const WINDOWS_VARIABLES: Record<string, string> = {
  WINDIR: 'C:\\Windows',
  SYSTEMROOT: 'C:\\Windows',
  PROGRAMDATA: 'C:\\ProgramData',
  PROGRAMFILES: 'C:\\Program Files',
  'PROGRAMFILES(X86)': 'C:\\Program Files (x86)',
  SYSTEMDRIVE: 'C:',
};

function yes(value: string): boolean {
  return value.trim().toLowerCase() === 'yes';
}

// Typed `Symbol` (the wrapper type) by the library; it is a symbol.
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;
type XmlNode = Record<string, unknown> & { ':@'?: Record<string, string> };
const tagOf = (node: XmlNode): string | undefined => Object.keys(node).find((k) => k !== ':@' && k !== '#text');
const childrenOf = (node: XmlNode): XmlNode[] => {
  const tag = tagOf(node);
  return tag && Array.isArray(node[tag]) ? (node[tag] as XmlNode[]) : [];
};
const textOf = (node: XmlNode): string =>
  childrenOf(node)
    .map((child) => (typeof child['#text'] === 'string' || typeof child['#text'] === 'number' ? String(child['#text']) : ''))
    .join('')
    .trim();

/** Line numbers of character offsets in a text. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

interface DirectoryOptions {
  attributes: ReturnType<typeof orderedAttributes>;
  recursive: boolean;
  include: string[];
  description?: string;
}

class SyscheckReader {
  private readonly out: ImportCollector;
  private readonly ignores: { line: number; value: string; type: string | undefined }[] = [];

  constructor(private readonly context: ImportContext) {
    this.out = new ImportCollector(context);
  }

  read(text: string): ParsedImport {
    const doctype = /<!(DOCTYPE|ENTITY)/i.exec(text);
    if (doctype) throw new ImportFormatError(text.slice(0, doctype.index).split('\n').length, 'DOCTYPE and ENTITY declarations are not accepted');
    // One synthetic root, on the first line so line numbers stay: ossec.conf may hold several <ossec_config>.
    const declaration = /^\s*<\?xml[^>]*\?>/.exec(text)?.[0] ?? '';
    const wrapped = `<driftwatch-import>${declaration.replace(/[^\n]/g, ' ')}${text.slice(declaration.length)}\n</driftwatch-import>`;
    const valid = XMLValidator.validate(wrapped);
    if (valid !== true) throw new ImportFormatError(valid.err.line, valid.err.msg.replace('driftwatch-import', 'the end of the file'));
    const parser = new XMLParser({
      preserveOrder: true,
      captureMetaData: true,
      ignoreAttributes: false,
      attributeNamePrefix: '',
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: true,
      processEntities: true,
      htmlEntities: false,
    });
    const lineAt = lineIndex(wrapped);
    const blocks: XmlNode[] = [];
    const visit = (nodes: XmlNode[]) => {
      for (const node of nodes) {
        if (tagOf(node) === 'syscheck') blocks.push(node);
        else visit(childrenOf(node));
      }
    };
    visit(parser.parse(wrapped) as XmlNode[]);
    if (blocks.length === 0) throw new ImportFormatError(1, 'no <syscheck> block in the file');
    const lineOf = (node: XmlNode) => lineAt(((node as Record<symbol, { startIndex?: number }>)[META]?.startIndex ?? 0));
    for (const block of blocks) {
      for (const element of childrenOf(block)) {
        const tag = tagOf(element);
        if (tag) this.element(lineOf(element), tag, element);
      }
    }
    for (const ignore of this.ignores) this.ignore(ignore.line, ignore.value, ignore.type);
    return this.out.result();
  }

  private element(line: number, tag: string, node: XmlNode): void {
    const attributes = node[':@'] ?? {};
    if (tag === 'directories') return this.directories(line, attributes, textOf(node));
    if (tag === 'ignore') {
      this.ignores.push({ line, value: textOf(node), type: attributes.type });
      return;
    }
    if (tag === 'disabled') {
      if (yes(textOf(node))) this.out.note(line, 'syscheck is disabled in this file; its directories are imported all the same');
      return;
    }
    if (REGISTRY_ELEMENTS.has(tag)) return this.out.skip(line, `<${tag}>: the agent does not read the Windows registry yet`);
    const note = ELEMENT_NOTES[tag];
    if (note) return this.out.note(line, `<${tag}>: ${note}`);
    this.out.skip(line, `unknown syscheck option <${tag}>`);
  }

  private directories(line: number, attributes: Record<string, string>, text: string): void {
    const options = this.directoryOptions(line, attributes);
    if (typeof options === 'string') return this.out.skip(line, options);
    const paths = text.split(',').map((p) => p.trim()).filter(Boolean);
    if (paths.length === 0) return this.out.skip(line, '<directories> names no path');
    for (const raw of paths) {
      const path = this.expand(line, raw);
      if (path === null) continue;
      this.out.add(line, newTarget(path, { attributes: options.attributes, recursive: options.recursive, include: [...options.include], ...(options.description ? { description: options.description } : {}) }));
    }
  }

  /** The target options a `<directories>` element's attributes give, or why it is skipped. */
  private directoryOptions(line: number, attributes: Record<string, string>): DirectoryOptions | string {
    for (const [name, value] of Object.entries(attributes)) {
      if ((name.startsWith('check_') || name in DIRECTORY_NOTES) && name !== 'diff_size_limit' && !/^(yes|no)$/i.test(value.trim())) {
        return `${name}: expected yes or no, got "${value}"`;
      }
    }
    const explicit = (name: string): boolean | undefined => (attributes[name] === undefined ? undefined : yes(attributes[name]));
    const chosen = new Set<string>(explicit('check_all') === false ? [] : ENTRY_ATTRIBUTES);
    for (const [check, attribute] of Object.entries(CHECKS)) {
      const on = explicit(check);
      if (on === true) chosen.add(attribute);
      else if (on === false && attribute !== 'content') chosen.delete(attribute);
    }
    // Content stays compared while any hash is on: off only when check_sum or every hash is switched off.
    const hashes = HASH_CHECKS.map(explicit);
    if (!hashes.includes(true) && (explicit('check_sum') === false || hashes.every((h) => h === false))) chosen.delete('content');
    const picked = orderedAttributes(chosen);
    if (picked.length === 0) return 'no check is enabled (check_all="no" and no check_* is yes)';

    let recursive = true;
    if (attributes.recursion_level !== undefined) {
      const level = Number(attributes.recursion_level);
      if (!/^\d+$/.test(attributes.recursion_level.trim()) || level > 320) return `recursion_level: expected 0 to 320, got "${attributes.recursion_level}"`;
      if (level === 0) recursive = false;
      else this.out.note(line, `recursion_level ${level}: every level below is recorded`);
    }
    const include: string[] = [];
    if (attributes.restrict !== undefined) {
      const converted = sregexToPatterns(attributes.restrict, this.context.platform);
      if ('problem' in converted) return `restrict: ${converted.problem}`;
      for (const pattern of converted.patterns) {
        if (pattern.kind !== 'name') return `restrict: ${pattern.path} is a path; restrict takes file names`;
        include.push(pattern.glob);
      }
    }
    for (const [name, value] of Object.entries(attributes)) {
      if (name === 'check_all' || name in CHECKS || name === 'recursion_level' || name === 'restrict' || name === 'tags') continue;
      const describe = DIRECTORY_NOTES[name];
      const message = describe ? describe(value) : `attribute ${name} has no equivalent`;
      if (message) this.out.note(line, message);
    }
    const description = attributes.tags ? `Wazuh tags: ${attributes.tags}` : undefined;
    return { attributes: picked, recursive, include, ...(description ? { description } : {}) };
  }

  /** A path with Windows variables expanded (noted), tidied; null when skipped. */
  private expand(line: number, raw: string): string | null {
    let path = raw;
    if (this.context.platform === 'windows') {
      let unknown: string | undefined;
      path = path.replace(/%([^%]+)%/g, (whole, name: string) => {
        const value = WINDOWS_VARIABLES[name.toUpperCase()];
        if (value === undefined) unknown ??= whole;
        return value ?? whole;
      });
      if (unknown) {
        this.out.skip(line, `${raw}: ${unknown} is not a variable the importer knows`);
        return null;
      }
      if (path !== raw) this.out.note(line, `${raw} read as ${path}`);
      const native = path.replace(/([\\/])SysNative(?=[\\/]|$)/i, '$1System32');
      if (native !== path) {
        this.out.note(line, `${path}: SysNative (the 64-bit view for 32-bit agents) read as System32`);
        path = native;
      }
    }
    return tidyPath(path, this.context.platform);
  }

  /** `<ignore>` after all directories are known: it excludes from the imported targets that contain it. */
  private ignore(line: number, value: string, type: string | undefined): void {
    if (value === '') return this.out.skip(line, '<ignore> names nothing');
    if (type !== undefined && type !== 'sregex') return this.out.skip(line, `<ignore type="${type}">: only plain paths and sregex are read`);
    if (type === undefined) {
      const path = this.expand(line, value);
      if (path === null) return;
      const applied = this.excludeEverywhere((target) => anchoredExclude(path, target.target.path, this.context.platform));
      if (applied.length === 0) return this.out.skip(line, `${path} is not under any imported directory`);
      return;
    }
    const converted = sregexToPatterns(value, this.context.platform);
    if ('problem' in converted) return this.out.skip(line, converted.problem);
    const missed: string[] = [];
    for (const pattern of converted.patterns) {
      if (pattern.kind === 'name') {
        this.excludeEverywhere(() => pattern.glob);
        continue;
      }
      const applied = this.excludeEverywhere((target) => {
        const anchored = anchoredExclude(pattern.path, target.target.path, this.context.platform);
        return anchored && pattern.prefix ? `${anchored}*` : anchored;
      });
      if (applied.length === 0) missed.push(pattern.path);
    }
    if (missed.length === converted.patterns.length) return this.out.skip(line, `${missed.join(', ')} is not under any imported directory`);
    if (missed.length > 0) this.out.note(line, `${missed.join(', ')} is not under any imported directory`);
  }

  /** Adds the exclude each target's function gives (null: not that target); answers the targets changed. */
  private excludeEverywhere(patternFor: (target: ImportedTarget) => string | null): ImportedTarget[] {
    const changed: ImportedTarget[] = [];
    for (const imported of this.out.targets) {
      const pattern = patternFor(imported);
      if (pattern === null) continue;
      if (!imported.target.exclude.includes(pattern)) imported.target.exclude.push(pattern);
      changed.push(imported);
    }
    return changed;
  }
}

/**
 * Reads the `<syscheck>` blocks of an OSSEC/Wazuh configuration into targets for a policy.
 * @throws ImportFormatError when the XML does not parse (naming the line), holds a DOCTYPE, or has no `<syscheck>`.
 */
export function parseOssecSyscheck(text: string, context: ImportContext): ParsedImport {
  return new SyscheckReader(context).read(text);
}
