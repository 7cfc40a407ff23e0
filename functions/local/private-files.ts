import { chmod, readFile, rename, writeFile } from 'node:fs/promises';

/** Reads a JSON file; undefined when it does not exist, a clear error when it is not JSON. */
export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${file} is not valid JSON; fix it or remove it`);
  }
}

/**
 * Writes a JSON file readable by its owner only (0600), atomically: a temporary file with that mode,
 * then a rename, so a crash never leaves a half-written credential and the mode never is wider.
 */
export async function writePrivateJsonFile(file: string, value: unknown): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
  await chmod(file, 0o600);
}
