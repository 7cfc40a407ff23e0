import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Tree } from '../functions/contract/tree.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { errorMessage, log } from './log.ts';
import { paths } from './state.ts';

/**
 * What the agent remembers of the last tree the server accepted for each policy (`complete` answered
 * 200): the hashes of all its nodes, in `<stateDir>/trees/<policyId>.nodes`. The server never deletes a
 * node and stores one only once its whole subtree is stored, so every remembered node is on the server:
 * the next changed scan uploads what is not remembered without asking `have` (sync.ts planKnown).
 * Only a hint: a wrong or stale file costs one fallback to the `have` sync, never a wrong baseline.
 */

/** Per-policy memory of accepted trees, as deliver() uses it. */
export interface TreeMemory {
  /** Hashes of the last accepted tree of `policyId`, or null when there is none (or it is unusable). */
  recall(policyId: string): ReadonlySet<string> | null;
  /** Replaces the memory of `policyId` with `tree` after the server accepted it. */
  remember(policyId: string, tree: Tree): void;
  /** Drops the memory of `policyId`: the server turned out not to hold it. */
  forget(policyId: string): void;
}

const MAGIC = 'driftwatch-nodes 1';
const HASH = /^[A-Za-z0-9_-]{22}$/;

export function treeFileName(stateDir: string, policyId: string): string {
  const safe = policyId.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return join(paths(stateDir).trees, `${safe}.nodes`);
}

interface Remembered {
  root: string;
  hashes: Set<string>;
}

/**
 * The file: a header line `driftwatch-nodes 1 <serverId> <root>`, then one 22-character hash per line
 * (about 23 bytes per node: ~31 KB for a 20,000-file tree). Answers null for a missing, foreign
 * (another enrollment: nodes are per tenant) or damaged file.
 */
function readTreeFile(file: string, serverId: string): Remembered | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`cannot read ${file}: ${errorMessage(error)}`);
    return null;
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const [magic, version, owner, root, ...extra] = (lines[0] ?? '').split(' ');
  if (`${magic} ${version}` !== MAGIC || owner !== serverId || !root || !HASH.test(root) || extra.length > 0) return null;
  const hashes = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    if (!HASH.test(lines[i]!)) return null;
    hashes.add(lines[i]!);
  }
  return hashes.has(root) ? { root, hashes } : null;
}

/** The memory kept in `stateDir` for enrollment `serverId`. Never throws: a failure only loses the hint. */
export function treeMemory(stateDir: string, serverId: string): TreeMemory {
  return {
    recall(policyId) {
      return readTreeFile(treeFileName(stateDir, policyId), serverId)?.hashes ?? null;
    },
    remember(policyId, tree) {
      const file = treeFileName(stateDir, policyId);
      try {
        // An unchanged scan is accepted at every poll: do not rewrite the same ~30 KB each time.
        if (readTreeFile(file, serverId)?.root === tree.root) return;
        mkdirSync(paths(stateDir).trees, { recursive: true, mode: 0o700 });
        writeFileAtomic(file, `${MAGIC} ${serverId} ${tree.root}\n${[...tree.nodes.keys()].join('\n')}\n`, 0o600);
      } catch (error) {
        log.warn(`cannot remember the tree of policy ${policyId} (${file}): ${errorMessage(error)}`);
      }
    },
    forget(policyId) {
      const file = treeFileName(stateDir, policyId);
      try {
        rmSync(file, { force: true });
      } catch (error) {
        log.warn(`cannot remove ${file}: ${errorMessage(error)}`);
      }
    },
  };
}
