import type { Platform } from '../../contract/enums.ts';

/**
 * OSSEC/Wazuh "simple regex" (sregex, OS_Match) as glob patterns. Its only special characters are `^`
 * (start of the path), `$` (end) and `|` (or); everything else, `.` included, is literal. So:
 *
 * | sregex | pattern |
 * |---|---|
 * | `.log$` (ends with) | name pattern `*.log` |
 * | `/cache$` (a name, exactly) | name pattern `cache` |
 * | `tmp` (contains) | name pattern `*tmp*` (a directory name matching it is skipped whole, as the path would be) |
 * | `^/proc` (starts with) | absolute prefix `/proc` (the caller anchors it below a target) |
 * | `^/etc/mtab$` | absolute path `/etc/mtab` |
 *
 * A part holding a separator anywhere else, or `!`, has no pattern: a problem is given instead.
 */
export type SregexPattern = { kind: 'name'; glob: string } | { kind: 'absolute'; path: string; prefix: boolean };

const GLOB_SPECIAL = /[*?[\]{}()!+@|\\]/g;

/** Literal text as a glob (linux escapes glob characters; Windows, where `\` is a separator, cannot). */
function literalGlob(text: string, platform: Platform): string | null {
  if (platform === 'windows') return /[*?[\]{}()!+@|]/.test(text) ? null : text;
  return text.replace(GLOB_SPECIAL, (ch) => `\\${ch}`);
}

/** The patterns of an sregex, or why it has none. */
export function sregexToPatterns(expression: string, platform: Platform): { patterns: SregexPattern[] } | { problem: string } {
  const patterns: SregexPattern[] = [];
  for (const part of expression.split('|')) {
    if (part.startsWith('!')) return { problem: `${part}: negated sregex has no pattern equivalent` };
    const start = part.startsWith('^');
    const end = part.endsWith('$') && part.length > (start ? 1 : 0);
    const core = part.slice(start ? 1 : 0, end ? -1 : undefined);
    if (core === '') return { problem: `an empty alternative in ${expression}` };
    const separators = platform === 'windows' ? /[\\/]/ : /\//;
    if (start) {
      const absolute = platform === 'windows' ? /^[A-Za-z]:[\\/]/.test(core) : core.startsWith('/');
      if (!absolute) return { problem: `${part}: anchored at the start but not an absolute path` };
      patterns.push({ kind: 'absolute', path: core, prefix: !end });
      continue;
    }
    const body = separators.test(core[0]!) ? core.slice(1) : core;
    if (separators.test(body)) return { problem: `${part}: a path inside an sregex has no pattern equivalent unless anchored with ^` };
    const glob = literalGlob(body, platform);
    if (glob === null) return { problem: `${part}: glob characters in a Windows sregex` };
    const exactName = body !== core; // `/name$`: the whole name
    if (end) patterns.push({ kind: 'name', glob: exactName ? glob : `*${glob}` });
    else patterns.push({ kind: 'name', glob: exactName ? `${glob}*` : `*${glob}*` });
  }
  return { patterns };
}
