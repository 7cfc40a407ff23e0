import { deterministicId } from '../shared/ids.ts';
import { addHours } from './alert-timing.ts';

/**
 * Alert digest ids, derived from what the digest is about, so a retried ingest or a second sweep finds the
 * same digest instead of making another (and nobody gets the same changes twice).
 */

/** The digest of one scan. */
export const scanDigestId = (scanId: string, detectedAt: string): string => deterministicId('dig', new Date(detectedAt), `scan\n${scanId}`);

/** The digest of one server's real-time window. */
export const windowDigestId = (serverId: string, window: { index: number; start: Date }): string => deterministicId('dig', window.start, `window\n${serverId}\n${window.index}`);

/** The summary of what one profile held back in one UTC hour (sent at the hour's end if no digest carried it). */
export const heldBackDigestId = (profileId: string, hour: Date): string => deterministicId('dig', addHours(hour, 1), `held-back\n${profileId}\n${hour.toISOString()}`);
