import { closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import type { PathEntry } from '../functions/contract/entry.ts';
import { buildTree, isLeaf, type Tree } from '../functions/contract/tree.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { errorMessage, log } from './log.ts';
import { paths } from './state.ts';

/**
 * What the agent remembers of the last tree the server accepted for each policy (`complete` answered
 * 200): its entries, in `<stateDir>/trees/<policyId>.entries`, from which the tree is rebuilt. The
 * server never deletes a node and stores one only once its whole subtree is stored, so every node of
 * that tree is on the server: the next changed scan uploads what is not in it without asking `have`
 * (sync.ts planKnown), as deltas against its nodes where shorter (delta.ts).
 * Only a hint: a wrong or stale file costs one fallback to the `have` sync, never a wrong baseline.
 */

/** Per-policy memory of accepted trees, as deliver() uses it. */
export interface TreeMemory {
  /** The last accepted tree of `policyId`, or null when there is none (or it is unusable). */
  recall(policyId: string): Tree | null;
  /** Replaces the memory of `policyId` with `tree` after the server accepted it. */
  remember(policyId: string, tree: Tree): void;
  /** Drops the memory of `policyId`: the server turned out not to hold it. */
  forget(policyId: string): void;
}

const FORMAT = 'driftwatch-entries';
const VERSION = 1;
const HASH = /^[A-Za-z0-9_-]{22}$/;
/** Compressed bytes read to find the header line without inflating the whole file. */
const HEADER_PEEK = 4096;

interface Header {
  format: string;
  version: number;
  serverId: string;
  root: string;
  entryCount: number;
}

function safeName(policyId: string): string {
  return policyId.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function treeFileName(stateDir: string, policyId: string): string {
  return join(paths(stateDir).trees, `${safeName(policyId)}.entries`);
}

/** The hash-only memory of earlier versions; removed when the policy's memory is next written. */
const legacyFileName = (stateDir: string, policyId: string) => join(paths(stateDir).trees, `${safeName(policyId)}.nodes`);

function parseHeader(line: string, serverId: string): Header | null {
  let header: Partial<Header>;
  try {
    header = JSON.parse(line) as Partial<Header>;
  } catch {
    return null;
  }
  if (!header || header.format !== FORMAT || header.version !== VERSION || header.serverId !== serverId) return null;
  if (typeof header.root !== 'string' || !HASH.test(header.root) || !Number.isSafeInteger(header.entryCount)) return null;
  return header as Header;
}

/** The header of `file` from its first few KB, or null (missing, foreign, damaged). */
function peekHeader(file: string, serverId: string): Header | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(HEADER_PEEK);
    const read = readSync(fd, buffer, 0, HEADER_PEEK, 0);
    // A truncated gzip stream inflates as far as it goes with a sync flush.
    const text = gunzipSync(buffer.subarray(0, read), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    const end = text.indexOf('\n');
    return end < 0 ? null : parseHeader(text.slice(0, end), serverId);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * The file: gzip'd lines, a JSON header `{format, version, serverId, root, entryCount}`, then one JSON
 * `[path, entry]` per line in path order (~150 bytes per file before gzip, gzip level 1). Answers
 * the rebuilt tree, or null for a missing, foreign (another enrollment: nodes are per tenant) or
 * damaged file: the rebuilt root must be the one the header names.
 */
function readTreeFile(file: string, serverId: string): Tree | null {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`cannot read ${file}: ${errorMessage(error)}`);
    return null;
  }
  try {
    const lines = gunzipSync(raw).toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const header = parseHeader(lines[0] ?? '', serverId);
    if (!header) return null;
    if (lines.length - 1 !== header.entryCount) throw new Error(`${lines.length - 1} entries, header says ${header.entryCount}`);
    const entries: PathEntry[] = [];
    for (let i = 1; i < lines.length; i++) {
      const entry = JSON.parse(lines[i]!) as PathEntry;
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !entry[1] || typeof entry[1] !== 'object') throw new Error(`line ${i + 1} is not an entry`);
      entries.push(entry);
    }
    const tree = buildTree(entries);
    if (tree.root !== header.root) throw new Error('its entries do not make the tree it names');
    return tree;
  } catch (error) {
    log.warn(`ignoring ${file}: ${errorMessage(error)}`);
    return null;
  }
}

/** The entries of `tree` in path order (its leaves left to right). */
export function treeEntries(tree: Tree): PathEntry[] {
  const entries: PathEntry[] = [];
  const stack: string[] = [tree.root];
  while (stack.length > 0) {
    const node = tree.nodes.get(stack.pop()!);
    if (!node) throw new Error('tree lacks one of its own nodes');
    if (isLeaf(node)) for (const entry of node.entries) entries.push(entry);
    else for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return entries;
}

/** The memory kept in `stateDir` for enrollment `serverId`. Never throws: a failure only loses the hint. */
export function treeMemory(stateDir: string, serverId: string): TreeMemory {
  return {
    recall(policyId) {
      return readTreeFile(treeFileName(stateDir, policyId), serverId);
    },
    remember(policyId, tree) {
      const file = treeFileName(stateDir, policyId);
      try {
        // An unchanged scan is accepted at every poll: do not rewrite the same file each time.
        if (peekHeader(file, serverId)?.root === tree.root) return;
        const entries = treeEntries(tree);
        const header: Header = { format: FORMAT, version: VERSION, serverId, root: tree.root, entryCount: entries.length };
        const lines = [JSON.stringify(header), ...entries.map((entry) => JSON.stringify(entry))];
        mkdirSync(paths(stateDir).trees, { recursive: true, mode: 0o700 });
        // Level 1: ~4x faster than the default for ~25% more bytes, on a file read once per changed scan.
        writeFileAtomic(file, gzipSync(`${lines.join('\n')}\n`, { level: 1 }), 0o600);
        rmSync(legacyFileName(stateDir, policyId), { force: true });
      } catch (error) {
        log.warn(`cannot remember the tree of policy ${policyId} (${file}): ${errorMessage(error)}`);
      }
    },
    forget(policyId) {
      for (const file of [treeFileName(stateDir, policyId), legacyFileName(stateDir, policyId)]) {
        try {
          rmSync(file, { force: true });
        } catch (error) {
          log.warn(`cannot remove ${file}: ${errorMessage(error)}`);
        }
      }
    },
  };
}
