import type { HeldBack } from '../domain/alert-mail.ts';
import { alertKeys } from './keys.ts';
import { defineEntity } from './entity.ts';
import { queryAll, updateItem, type Item } from './db.ts';

/**
 * Alert digests and the record of their delivery. The table is the truth and the alerts queue only a
 * wake-up: a digest stays in the pending index (gsi1, by `wakeAt`) until every mail of it is out, and the
 * schedule tick wakes any whose time has come (a real-time window that has ended, a held-back summary due,
 * or a message that a crash dropped).
 */
export type DigestKind = 'scan' | 'window' | 'held-back' | 'test';

export interface DigestItem {
  id: string;
  kind: DigestKind;
  /**
   * `open`: a real-time window still taking scans; `closed`: its content is fixed; `done`: every mail is out;
   * `parked`: a mail was refused on the queue's last attempt: its message waits in the DLQ (a redrive
   * sends what is left), and the tick no longer wakes it.
   */
  status: 'open' | 'closed' | 'done' | 'parked';
  createdAt: string;
  /** scan and window: the server, and the group whose alert profiles are told (as at ingest). */
  serverId?: string;
  hostname?: string;
  groupId?: string;
  /** scan and window: its scans as `<detectedAt>|<scanId>`, a string set (joining twice changes nothing). */
  scans?: Set<string>;
  /** held-back and test: the one profile it is for. */
  profileId?: string;
  /** held-back: the UTC hour (ISO start) whose held-back changes it reports. */
  hour?: string;
  /** test: when the user asked. */
  requestedAt?: string;
  /** When the schedule tick should (re)send it; absent once done. */
  wakeAt?: string;
}

/** What was decided for one profile of a digest, written once: a retry follows it instead of deciding again. */
export interface DecisionItem {
  digestId: string;
  profileId: string;
  /** `send`: it took one of the profile's mails of the hour; `hold`: over the limit, counted as held back. */
  decision: 'send' | 'hold';
  /** The UTC hour (ISO start) whose limit it was counted against. */
  hour: string;
  /** send: what earlier was held back and this mail reports (claimed before the decision was written). */
  heldBack?: HeldBack;
  /** hold: its changes were added to the hour's held-back count. */
  counted?: boolean;
  decidedAt: string;
}

/**
 * One recipient's mail of one digest and profile. Claimed (`sending`) with a conditional write before the
 * mail is handed to the transport, `sent` once it took it; `unconfirmed` when a claim was found stale: a
 * worker died between the claim and the transport's answer, and the mail is not sent again (at most once).
 */
export interface SendItem {
  digestId: string;
  profileId: string;
  recipient: string;
  state: 'sending' | 'sent' | 'unconfirmed';
  claimedAt: string;
  sentAt?: string;
  messageId?: string;
}

export const digests = defineEntity<DigestItem>({
  name: 'alert digest',
  key: (tenantId, digestId) => alertKeys.digest(tenantId, digestId),
  idOf: (digest) => digest.id,
  indexes: (tenantId, digest) => (digest.wakeAt ? alertKeys.pendingDigestIndex(tenantId, { id: digest.id, wakeAt: digest.wakeAt }) : {}),
});

const decisions = defineEntity<DecisionItem, { digestId: string; profileId: string }>({
  name: 'alert decision',
  key: (tenantId, { digestId, profileId }) => alertKeys.digestDecision(tenantId, digestId, profileId),
  idOf: (d) => ({ digestId: d.digestId, profileId: d.profileId }),
});

const sends = defineEntity<SendItem, { digestId: string; profileId: string; recipient: string }>({
  name: 'alert send',
  key: (tenantId, { digestId, profileId, recipient }) => alertKeys.digestSend(tenantId, digestId, profileId, recipient),
  idOf: (s) => ({ digestId: s.digestId, profileId: s.profileId, recipient: s.recipient }),
});

/** Everything about one digest's delivery. */
export interface DigestState {
  digest: DigestItem;
  decisions: Map<string, DecisionItem>;
  /** By `sendId(profileId, recipient)`. */
  sends: Map<string, SendItem>;
}

export const sendId = (profileId: string, recipient: string): string => `${profileId}\n${recipient}`;

/** The digest, its decisions and its sends in one consistent Query of its partition. */
export async function readDigest(tenantId: string, digestId: string): Promise<DigestState | undefined> {
  const items = await queryAll<Item>({ pk: alertKeys.digestPartition(tenantId, digestId), consistent: true });
  let digest: DigestItem | undefined;
  const byProfile = new Map<string, DecisionItem>();
  const byRecipient = new Map<string, SendItem>();
  for (const item of items) {
    const sk = item.sk as string;
    if (sk === 'DIGEST') digest = digests.fromItem(item);
    else if (sk.startsWith('PROFILE#')) {
      const decision = decisions.fromItem(item);
      byProfile.set(decision.profileId, decision);
    } else if (sk.startsWith('SEND#')) {
      const send = sends.fromItem(item);
      byRecipient.set(sendId(send.profileId, send.recipient), send);
    }
  }
  return digest ? { digest, decisions: byProfile, sends: byRecipient } : undefined;
}

/** Records a new digest (pending); false when it exists already (a retried ingest or request). */
export const createDigest = (tenantId: string, digest: DigestItem): Promise<boolean> => digests.create(tenantId, digest);

/**
 * Adds a real-time scan to its server's window digest, creating the digest on first use. Refused (false)
 * when the window was closed (its mail is being sent) without this scan in it: the caller then mails the
 * scan on its own. Adding a scan already in the set changes nothing, so a retried ingest is harmless.
 */
export async function joinWindow(tenantId: string, window: Omit<DigestItem, 'kind' | 'status' | 'scans'> & { wakeAt: string }, scanEntry: string): Promise<boolean> {
  const joined = await updateItem(
    alertKeys.digest(tenantId, window.id),
    {
      // Only what is not there yet: the tick may have moved wakeAt, and a window never reopens.
      setIfMissing: { ...window, kind: 'window', status: 'open', ...alertKeys.pendingDigestIndex(tenantId, window) },
      add: { scans: new Set([scanEntry]) },
    },
    { expression: 'attribute_not_exists(pk) OR #status = :open OR contains(#scans, :entry)', names: { '#status': 'status', '#scans': 'scans' }, values: { ':open': 'open', ':entry': scanEntry } },
  );
  return joined !== undefined;
}

/** Fixes an open window's content (later scans go elsewhere); the digest as it is now. */
export async function closeDigest(tenantId: string, digestId: string): Promise<DigestItem | undefined> {
  const closed = await digests.update(tenantId, digestId, { set: { status: 'closed' } }, { expression: '#status = :open', names: { '#status': 'status' }, values: { ':open': 'open' } });
  return closed ?? (await digests.get(tenantId, digestId, { consistent: true }));
}

/** Moves a pending digest's wake time (the tick does, before it sends the wake-up). */
export async function rescheduleDigest(tenantId: string, digestId: string, wakeAt: string): Promise<boolean> {
  const updated = await digests.update(
    tenantId,
    digestId,
    { set: { wakeAt, ...alertKeys.pendingDigestIndex(tenantId, { id: digestId, wakeAt }) } },
    { expression: 'attribute_exists(pk) AND #status <> :done', names: { '#status': 'status' }, values: { ':done': 'done' } },
  );
  return updated !== undefined;
}

/** Every mail of the digest is out: it leaves the pending index. */
export async function finishDigest(tenantId: string, digestId: string): Promise<void> {
  await digests.update(tenantId, digestId, { set: { status: 'done' }, remove: ['wakeAt', 'gsi1pk', 'gsi1sk'] });
}

/** A mail was refused on the last attempt: out of the pending index, left to the DLQ and its redrive. */
export async function parkDigest(tenantId: string, digestId: string): Promise<void> {
  await digests.update(tenantId, digestId, { set: { status: 'parked' }, remove: ['wakeAt', 'gsi1pk', 'gsi1sk'] });
}

/** Pending digests whose wake time is at or before `until`. */
export function dueDigests(tenantId: string, until: Date): Promise<DigestItem[]> {
  return digests.all(alertKeys.dueDigests(tenantId, until.toISOString()));
}

/** Writes a profile's decision once; false when one exists (the caller reads and follows it). */
export const createDecision = (tenantId: string, decision: DecisionItem): Promise<boolean> => decisions.create(tenantId, decision);

export const getDecision = (tenantId: string, digestId: string, profileId: string) => decisions.get(tenantId, { digestId, profileId }, { consistent: true });

/** A held-back decision's changes were added to the hour's count. */
export async function markCounted(tenantId: string, decision: DecisionItem): Promise<void> {
  await decisions.update(tenantId, { digestId: decision.digestId, profileId: decision.profileId }, { set: { counted: true } });
}

/** Claims a recipient's mail before it is sent; false when a claim or a send exists already. */
export const claimSend = (tenantId: string, send: SendItem): Promise<boolean> => sends.create(tenantId, send);

export async function markSent(tenantId: string, send: SendItem, messageId: string, now: Date): Promise<void> {
  await sends.update(tenantId, send, { set: { state: 'sent', messageId, sentAt: now.toISOString() } });
}

/** A stale claim: the mail may or may not have gone out; it is not sent again. */
export async function markUnconfirmed(tenantId: string, send: SendItem): Promise<void> {
  await sends.update(tenantId, send, { set: { state: 'unconfirmed' } }, { expression: '#state = :sending', names: { '#state': 'state' }, values: { ':sending': 'sending' } });
}

/** The transport refused the mail: the claim goes, so the queue's retry sends it. */
export async function releaseSend(tenantId: string, send: SendItem): Promise<void> {
  await sends.remove(tenantId, send, { expression: '#state = :sending AND claimedAt = :at', names: { '#state': 'state' }, values: { ':sending': 'sending', ':at': send.claimedAt } });
}
