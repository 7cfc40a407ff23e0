import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque, time-ordered ids (`srv_0k3x...`): a 48-bit millisecond timestamp then 80 random bits, in
 * Crockford base32, so ids sort by creation time and list queries need no extra timestamp key.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** A new id with the given prefix, e.g. `newId('pol')`. */
export function newId(prefix: string, now: Date = new Date()): string {
  const time = Buffer.alloc(6);
  time.writeUIntBE(now.getTime(), 0, 6);
  return `${prefix}_${base32(time)}${base32(randomBytes(10))}`;
}

/** Random secret material for keys, url-safe. */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * An id with the same shape and time order as `newId`, but derived from `seed`: processing the same
 * input twice yields the same id, which is what makes a redelivered queue message harmless.
 */
export function deterministicId(prefix: string, time: Date, seed: string): string {
  const stamp = Buffer.alloc(6);
  stamp.writeUIntBE(time.getTime(), 0, 6);
  return `${prefix}_${base32(stamp)}${base32(createHash('sha256').update(seed).digest().subarray(0, 10))}`;
}
