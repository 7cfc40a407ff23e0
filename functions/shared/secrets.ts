import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** sha256 hex of a secret: the only form in which API keys and agent secrets are stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of two hex digests (or any equal-length strings). */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Enrollment keys are derived, not stored: HMAC(master, tenant + generation). Rotation bumps the
 * generation, which invalidates the old key without keeping any copy of it.
 */
export function deriveEnrollmentSecret(masterSecret: string, tenantId: string, generation: number): string {
  return createHmac('sha256', masterSecret).update(`enrollment:${tenantId}:${generation}`).digest('base64url');
}

/**
 * A key that seals secrets we must use again later (webhook signing secrets): AES-256-GCM keyed by
 * sha256 of key material from configuration (`WEBHOOK_SECRET_KEY`: a Secrets Manager secret in the cloud,
 * a generated key file in the local stack's data dir), never by anything stored beside the sealed value.
 * Its id (the first 8 hex of a hash of the key) is written into each sealed value, so a second, previous
 * key can still open what it sealed while the key is being changed.
 */
export interface SealingKey {
  id: string;
  key: Buffer;
}

/** The sealing key made from configured key material (at least 32 characters). */
export function sealingKey(material: string): SealingKey {
  const key = createHash('sha256').update(`driftwatch-secret-sealing:${material}`).digest();
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

/**
 * Seals `plain` with AES-256-GCM: `v2.<keyId>.<iv>.<tag>.<ciphertext>` (base64url). `context` (the tenant and
 * the item it belongs to) is bound as additional data, so a sealed value copied onto another item does not open.
 */
export function sealSecret(key: SealingKey, plain: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v2', key.id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/** Opens a value sealed by sealSecret with whichever of `keys` sealed it; throws when none did or it was altered. */
export function openSecret(keys: readonly SealingKey[], sealed: string, context: string): string {
  const [version, keyId, iv, tag, body] = sealed.split('.');
  if (version !== 'v2' || !keyId || !iv || !tag || body === undefined) throw new Error('unsupported sealed secret');
  const key = keys.find((k) => k.id === keyId);
  if (!key) throw new Error(`no configured key opens this secret (sealed with key ${keyId})`);
  const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
