import { execFileSync } from 'node:child_process';

/**
 * A Node 22 binary (the Lambda runtime's major) for the cold-import figure: the npm registry's
 * `node@22` package, fetched once into npx's cache. Null when it cannot be had (no registry).
 */
export function findNode22(): string | null {
  if (process.versions.node.startsWith('22.')) return process.execPath;
  try {
    const path = execFileSync('npx', ['-y', 'node@22', '-p', 'process.execPath'], { encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return path || null;
  } catch {
    return null;
  }
}
