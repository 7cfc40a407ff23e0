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

function encryptionKey(masterSecret: string): Buffer {
  return createHash('sha256').update(`encryption:${masterSecret}`).digest();
}

/** AES-256-GCM for secrets we must use later (webhook HMAC secrets): `v1.<iv>.<tag>.<ciphertext>`. */
export function encryptSecret(masterSecret: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey(masterSecret), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function decryptSecret(masterSecret: string, sealed: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unsupported sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey(masterSecret), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
