import { parseAideConf } from '../domain/imports/aide-conf.ts';
import { ImportFormatError, pathKey, type ImportContext, type ImportedTarget, type ParsedImport, type SkippedLine } from '../domain/imports/import-result.ts';
import { parseOssecSyscheck } from '../domain/imports/ossec-syscheck.ts';
import { parseWatchlistCsv } from '../domain/imports/watchlist-csv.ts';
import { TargetInputSchema } from '../model/policy.ts';
import type { ImportFormat, ImportTargetsResult } from '../model/target-import.ts';
import { ValidationError } from '../shared/problem.ts';
import { addPolicyTargets } from './add-policy-targets.ts';

const PARSERS: Record<ImportFormat, (text: string, context: ImportContext) => ParsedImport> = {
  watchlist: parseWatchlistCsv,
  ossec: parseOssecSyscheck,
  aide: parseAideConf,
};

/** Most lines an import file may have (a 1 MiB body of short lines would otherwise answer megabytes of `skipped`). */
export const MAX_IMPORT_LINES = 20_000;

export interface ImportTargetsInput {
  format: ImportFormat;
  text: string;
  dryRun: boolean;
}

/**
 * Imports targets from another tool's configuration into a policy: the file is parsed for the policy's
 * platform, each target is checked as a posted one would be, paths the policy already has are skipped,
 * and the rest are appended in one write (or none: a file that cannot be read, or an import that would
 * take the policy over its target limit, is a 400 and adds nothing).
 */
export async function importTargets(tenantId: string, policyId: string, input: ImportTargetsInput, now: Date): Promise<ImportTargetsResult> {
  const lines = input.text.split('\n').length;
  if (lines > MAX_IMPORT_LINES) throw new ValidationError(`An import file has at most ${MAX_IMPORT_LINES} lines; this one has ${lines}.`, [{ path: 'body', message: `${lines} lines` }]);
  const { result, added } = await addPolicyTargets(
    tenantId,
    policyId,
    (policy) => {
      const parsed = parse(input.format, input.text, { platform: policy.platform });
      const accepted = acceptable(parsed, policy.targets.map((t) => pathKey(t.path, policy.platform)), policy.platform);
      return { targets: accepted.targets.map((t) => t.target), result: accepted };
    },
    now,
    { dryRun: input.dryRun },
  );
  return {
    added: input.dryRun ? 0 : added.length,
    dryRun: input.dryRun,
    targets: result.targets.map((imported, i) => ({ line: imported.line, target: added[i]! })),
    skipped: result.skipped,
    notes: result.notes,
  };
}

function parse(format: ImportFormat, text: string, context: ImportContext): ParsedImport {
  try {
    return PARSERS[format](text, context);
  } catch (error) {
    if (error instanceof ImportFormatError) {
      throw new ValidationError(`The file cannot be read as ${format}: ${error.message}.`, [{ path: `line ${error.line}`, message: error.message }]);
    }
    throw error;
  }
}

/** The parsed targets that fit the policy: valid as posted targets, and not already in it. */
function acceptable(parsed: ParsedImport, existing: string[], platform: ImportContext['platform']): ParsedImport {
  const have = new Set(existing);
  const targets: ImportedTarget[] = [];
  const skipped: SkippedLine[] = [...parsed.skipped];
  for (const imported of parsed.targets) {
    const checked = TargetInputSchema.safeParse(imported.target);
    if (!checked.success) {
      skipped.push({ line: imported.line, reason: `${imported.target.path}: ${checked.error.issues.map((i) => `${i.path.join('.') || 'target'} ${i.message}`).join('; ')}` });
    } else if (have.has(pathKey(imported.target.path, platform))) {
      skipped.push({ line: imported.line, reason: `${imported.target.path} is already a target of the policy` });
    } else targets.push({ line: imported.line, target: checked.data });
  }
  return { targets, skipped: skipped.sort((a, b) => a.line - b.line), notes: parsed.notes };
}
