import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The dependency rules of docs/architecture.md, checked from the import statements of the sources.
 * A rule names the folder it governs and what modules under it may not import.
 */
export interface ImportRule {
  /** Files under this folder (repo-relative, `/`-separated) are governed. */
  folder: string;
  /** Why, for the failure message. */
  because: string;
  /** True when the import specifier (as written) or its resolved repo path is forbidden. */
  forbids(specifier: string, resolved: string | null): boolean;
}

const under = (folder: string) => (resolved: string | null) => resolved !== null && resolved.startsWith(`${folder}/`);

export const RULES: readonly ImportRule[] = [
  {
    folder: 'functions/domain',
    because: 'domain code is pure: no store, api, workers, use cases, queues, local stack or SDK',
    forbids: (spec, resolved) =>
      /^(@aws-sdk\/|@aws-lambda-powertools\/|hono|@hono\/|aws-lambda$)/.test(spec) ||
      ['functions/store', 'functions/api', 'functions/workers', 'functions/use-cases', 'functions/queues', 'functions/local'].some((f) => under(f)(resolved)),
  },
  {
    folder: 'functions/store',
    because: 'the store knows no HTTP',
    forbids: (spec, resolved) => /^(hono|@hono\/)/.test(spec) || under('functions/api')(resolved),
  },
  {
    folder: 'functions/model',
    because: 'the model is shapes only',
    forbids: (_spec, resolved) => ['functions/store', 'functions/api', 'functions/workers', 'functions/use-cases'].some((f) => under(f)(resolved)),
  },
];

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The specifiers a source imports (static, re-export and dynamic imports). */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) found.push((match[1] ?? match[2])!);
  return found;
}

/** Repo-relative path of a relative specifier, else null (a package). */
export function resolveSpecifier(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const parts = file.split('/').slice(0, -1);
  for (const segment of specifier.split('/')) {
    if (segment === '..') parts.pop();
    else if (segment !== '.') parts.push(segment);
  }
  return parts.join('/');
}

export interface Violation {
  file: string;
  specifier: string;
  because: string;
}

/** Every broken rule among `files` (repo-relative path -> source text). */
export function violations(files: ReadonlyMap<string, string>, rules: readonly ImportRule[] = RULES): Violation[] {
  const out: Violation[] = [];
  for (const [file, source] of files) {
    if (file.endsWith('.test.ts')) continue;
    for (const rule of rules.filter((r) => file.startsWith(`${r.folder}/`))) {
      for (const specifier of importsOf(source)) {
        if (rule.forbids(specifier, resolveSpecifier(file, specifier))) out.push({ file, specifier, because: rule.because });
      }
    }
  }
  return out;
}

/** The repository's TypeScript sources under `folders`. */
export function sources(root: string, folders: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.set(relative(root, path).split('\\').join('/'), readFileSync(path, 'utf8'));
    }
  };
  for (const folder of folders) walk(join(root, folder));
  return files;
}
