import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateWebhookKey } from './credentials.ts';
import { openSecret, sealingKey, sealSecret } from '../shared/secrets.ts';

/** The local stand-in for the cloud's webhook key: generated once into the data dir, private, and kept. */
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the local webhook key file', () => {
  it('is generated on first start (0600) and read back on the next, so sealed secrets still open', async () => {
    dir = await mkdtemp(join(tmpdir(), 'dw-key-'));
    const file = join(dir, 'webhook-key.json');
    const first = await loadOrCreateWebhookKey(file);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const sealed = sealSecret(sealingKey(first), 'the signing secret', 'sync-destination:t:d');
    const again = await loadOrCreateWebhookKey(file);
    expect(again).toBe(first);
    expect(openSecret([sealingKey(again)], sealed, 'sync-destination:t:d')).toBe('the signing secret');
    expect(await readFile(file, 'utf8')).not.toContain('the signing secret');
  });

  it('a sealed secret opens only with its key and its context', () => {
    const key = sealingKey('k'.repeat(32));
    const sealed = sealSecret(key, 's3cret-value', 'sync-destination:t1:d1');
    expect(sealed).not.toContain('s3cret');
    expect(() => openSecret([key], sealed, 'sync-destination:t2:d1')).toThrow();
    expect(() => openSecret([sealingKey('x'.repeat(32))], sealed, 'sync-destination:t1:d1')).toThrow(/no configured key/);
    // A previous key still opens what it sealed.
    expect(openSecret([sealingKey('x'.repeat(32)), key], sealed, 'sync-destination:t1:d1')).toBe('s3cret-value');
  });
});
