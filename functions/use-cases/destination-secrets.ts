import { config, secret } from '../shared/config.ts';
import { openSecret, sealingKey, sealSecret, type SealingKey } from '../shared/secrets.ts';
import type { SyncDestinationItem } from '../store/sync-destinations.ts';

/**
 * Sync destinations' signing secrets, sealed with the configured key (WEBHOOK_SECRET_KEY; the previous key
 * still opens what it sealed) and bound to the tenant and the destination, so a sealed value is useless
 * anywhere else. The plain secret exists only in the request that sets it and the run that signs with it.
 */
let keys: SealingKey[] | undefined;

function sealingKeys(): SealingKey[] {
  if (!keys) {
    // A declared secret (functions/shared/function-access.ts): only the functions that declare it are given it.
    const previous = config().WEBHOOK_SECRET_KEY_PREVIOUS;
    keys = [sealingKey(secret('WEBHOOK_SECRET_KEY')), ...(previous ? [sealingKey(previous)] : [])];
  }
  return keys;
}

const contextOf = (tenantId: string, destinationId: string) => `sync-destination:${tenantId}:${destinationId}`;

export const sealDestinationSecret = (tenantId: string, destinationId: string, secret: string): string => sealSecret(sealingKeys()[0]!, secret, contextOf(tenantId, destinationId));

/** The secrets a delivery at `now` is signed with: the current one, and the previous one during its grace period. */
export function signingSecrets(tenantId: string, dest: Pick<SyncDestinationItem, 'id' | 'sealedSecret' | 'sealedPreviousSecret' | 'previousSecretValidUntil'>, now: Date): string[] {
  const open = (sealed: string) => openSecret(sealingKeys(), sealed, contextOf(tenantId, dest.id));
  const secrets = [open(dest.sealedSecret)];
  if (dest.sealedPreviousSecret && dest.previousSecretValidUntil && Date.parse(dest.previousSecretValidUntil) > now.getTime()) secrets.push(open(dest.sealedPreviousSecret));
  return secrets;
}
