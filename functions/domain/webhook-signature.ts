import { createHmac } from 'node:crypto';

/**
 * The signatures on every delivery to a sync destination: the contract's `X-Driftwatch-Signature`
 * (`sha256=<hex HMAC-SHA256 of the raw body>`) and Standard Webhooks' `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, spec 1.0.0). With several
 * secrets (a rotation's grace period), each header carries one signature per secret: Standard Webhooks
 * space-separates them (its rule), X-Driftwatch-Signature comma-separates them.
 */
export const STANDARD_SECRET_PREFIX = 'whsec_';

/**
 * The Standard Webhooks key of a secret: a `whsec_<base64>` secret is its decoded bytes (the spec's
 * serialization); any other secret is its characters as bytes (what verifiers call the "raw" format).
 */
export function standardWebhooksKey(secret: string): Buffer {
  return secret.startsWith(STANDARD_SECRET_PREFIX) ? Buffer.from(secret.slice(STANDARD_SECRET_PREFIX.length), 'base64') : Buffer.from(secret, 'latin1');
}

/** True when a `whsec_` secret carries 24 to 64 bytes of valid base64 (the spec's range); other secrets are used as given. */
export function isUsableSecret(secret: string): boolean {
  if (!secret.startsWith(STANDARD_SECRET_PREFIX)) return true;
  const encoded = secret.slice(STANDARD_SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return false;
  const bytes = Buffer.from(encoded, 'base64').length;
  return bytes >= 24 && bytes <= 64;
}

export interface SignedDelivery {
  /** `msg_...`: the same for every attempt of one batch, so a receiver can drop a repeat. */
  id: string;
  /** When this attempt is made (seconds since the epoch go in the header). */
  at: Date;
  body: string;
  /** Current secret first, then the previous one while its grace period lasts. */
  secrets: readonly string[];
}

/** The signature headers of one attempt. */
export function signatureHeaders(delivery: SignedDelivery): Record<string, string> {
  if (delivery.id.includes('.')) throw new Error('a webhook id must not contain "."');
  const timestamp = String(Math.floor(delivery.at.getTime() / 1000));
  const signed = `${delivery.id}.${timestamp}.${delivery.body}`;
  return {
    'x-driftwatch-signature': delivery.secrets.map((s) => `sha256=${createHmac('sha256', Buffer.from(s, 'latin1')).update(delivery.body).digest('hex')}`).join(', '),
    'webhook-id': delivery.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': delivery.secrets.map((s) => `v1,${createHmac('sha256', standardWebhooksKey(s)).update(signed).digest('base64')}`).join(' '),
  };
}
