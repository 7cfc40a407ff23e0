import { config } from '../shared/config.ts';
import { logger } from '../shared/logger.ts';
import { getMailer, type Mailer } from '../shared/mailer.ts';
import { digestMail, heldBackMail, testMail, type HeldBack, type MailContent } from '../domain/alert-mail.ts';
import { changesForProfile, eventsLink, isAlerting } from '../domain/alert-selection.ts';
import { addHours, DEFAULT_ALERT_MAILS_PER_PROFILE_PER_HOUR, hourOf } from '../domain/alert-timing.ts';
import { heldBackDigestId } from '../domain/alert-digest-ids.ts';
import type { AlertProfile } from '../model/alert-profile.ts';
import type { Event } from '../model/event.ts';
import { alertsQueue } from '../queues/queues.ts';
import {
  claimSend,
  closeDigest,
  createDecision,
  createDigest,
  finishDigest,
  getDecision,
  markCounted,
  markSent,
  markUnconfirmed,
  parkDigest,
  readDigest,
  rescheduleDigest,
  releaseSend,
  sendId,
  type DecisionItem,
  type DigestItem,
  type DigestState,
  type SendItem,
} from '../store/alert-digests.ts';
import { claimHeldBack, heldBackReporter, holdBack, takeMailSlot } from '../store/alert-quota.ts';
import { getAlertProfile, getAlertProfiles } from '../store/alert-profiles.ts';
import { eventsOfScan } from '../store/events.ts';
import { getGroup } from '../store/groups.ts';
import { getPolicies } from '../store/policies.ts';
import { getTenant } from '../store/tenants.ts';
import { digestRetrySpanMs, type AlertMessage } from './wake-alert-digests.ts';

/**
 * A claim older than this belongs to a worker that died between claiming a mail and hearing back from the
 * transport (two worker timeouts: no live worker holds a claim that long).
 */
const CLAIM_LEASE_MS = 2 * alertsQueue.workerTimeoutSeconds * 1000;

export interface DeliveryOptions {
  /** The transport; default the configured one (MAIL_TRANSPORT). */
  mailer?: Mailer | undefined;
  /** This is the queue's last delivery of the message: a refused mail parks the digest for the DLQ. */
  lastAttempt?: boolean | undefined;
}

/** One profile's mail of a digest, to each of its recipients. */
interface ProfileMail {
  profile: AlertProfile;
  content: MailContent;
}

/** Some mails of a digest were refused by the transport; the rest went out, these are retried by the queue. */
export class MailRefusedError extends AggregateError {
  constructor(digestId: string, errors: unknown[]) {
    super(errors, `alert digest ${digestId}: ${errors.length} mail(s) refused by the transport; retried`);
    this.name = 'MailRefusedError';
  }
}

/**
 * The alerts worker's use case: mails one digest, ONE mail per recipient of each profile it concerns, exactly
 * once from the user's point of view. Every step is recorded before the next, so a redelivered message or a
 * retry after a crash follows the record instead of doing the step again:
 * - per profile, the flood-control decision (`send`, or `hold` when the profile's hourly limit is reached, its
 *   changes counted as held back and reported by the next mail of the profile);
 * - per recipient, a conditional claim written BEFORE the mail goes to the transport, then `sent`. A claim
 *   found later still `sending` is the crash window (the worker died between the claim and the transport's
 *   answer): the mail may have gone, so it is not sent again; it is marked `unconfirmed` and logged as an error.
 * A refused mail drops its claim and fails this message (after the other recipients were served), so the
 * queue retries it; refused on the last attempt, the digest is parked and its message waits in the DLQ.
 */
export async function sendAlertDigest({ tenantId, digestId }: AlertMessage, now = new Date(), options: DeliveryOptions = {}): Promise<void> {
  const state = await readDigest(tenantId, digestId);
  if (!state || state.digest.status === 'done') return;
  // A real-time window takes no more scans from here on (a late one is mailed on its own).
  const digest = state.digest.status === 'open' ? ((await closeDigest(tenantId, digestId)) ?? state.digest) : state.digest;
  const tenant = await getTenant(tenantId);
  if (!tenant) return;
  const limit = tenant.settings.alertMailsPerProfilePerHour ?? DEFAULT_ALERT_MAILS_PER_PROFILE_PER_HOUR;

  const mails = await mailsOf(tenantId, digest, state, limit, now);
  const { settled, refused } = await deliver(tenantId, digest.id, mails, state.sends, now, options.mailer ?? (await getMailer()));
  if (refused.length) {
    // The queue retries the message; the tick keeps out of it meanwhile, and for good once it is in the DLQ.
    if (options.lastAttempt) await parkDigest(tenantId, digest.id);
    else await rescheduleDigest(tenantId, digest.id, new Date(now.getTime() + digestRetrySpanMs()).toISOString());
    throw new MailRefusedError(digest.id, refused);
  }
  // A claim of a worker still at work: it finishes the digest, or the tick wakes it again later.
  if (settled) await finishDigest(tenantId, digest.id);
}

/** What the digest says, per profile. */
async function mailsOf(tenantId: string, digest: DigestItem, state: DigestState, limit: number, now: Date): Promise<ProfileMail[]> {
  switch (digest.kind) {
    case 'test': {
      const profile = await getAlertProfile(tenantId, digest.profileId ?? '');
      if (!profile) return [];
      return [{ profile, content: testMail({ profileName: profile.name, severities: profile.severities, requestedAt: digest.requestedAt ?? digest.createdAt }) }];
    }
    case 'held-back': {
      const profile = await getAlertProfile(tenantId, digest.profileId ?? '');
      const hour = new Date(digest.hour ?? digest.createdAt);
      const held = profile && (await claimHeldBack(tenantId, profile.id, hour.toISOString(), digest.id));
      // Nothing held back, or a digest of the next hour reported it already.
      if (!profile || !held) return [];
      return [{ profile, content: heldBackMail({ profileName: profile.name, heldBack: withLink(held, profile, addHours(hour, 1)), mailsPerHour: limit }) }];
    }
    case 'scan':
    case 'window':
      return serverDigestMails(tenantId, digest, state, limit, now);
  }
}

/** A server's digest: for each profile of its group that takes some of its changes, decided, then rendered. */
async function serverDigestMails(tenantId: string, digest: DigestItem, state: DigestState, limit: number, now: Date): Promise<ProfileMail[]> {
  const group = await getGroup(tenantId, digest.groupId ?? '');
  const profiles = await getAlertProfiles(tenantId, group?.alertProfileIds ?? []);
  if (profiles.length === 0) return [];
  const changes = await alertingChanges(tenantId, digest);
  const detected = changes.map((c) => c.detectedAt).sort();
  const mails: ProfileMail[] = [];
  for (const profile of profiles) {
    const told = changesForProfile(changes, profile);
    if (told.length === 0) continue;
    const decision = state.decisions.get(profile.id) ?? (await decide(tenantId, digest, profile, limit, now));
    if (decision.decision === 'hold') {
      if (!decision.counted) await countHeldBack(tenantId, digest, decision, told, now);
      continue;
    }
    const link = eventsLink(config().CONSOLE_URL, { serverId: digest.serverId, from: detected[0], to: detected[detected.length - 1], severity: onlySeverity(profile) });
    const content = digestMail({ hostname: digest.hostname ?? '', profileName: profile.name, changes: told, link, detectedAt: detected[0] ?? digest.createdAt, heldBack: decision.heldBack, mailsPerHour: limit });
    mails.push({ profile, content });
  }
  return mails;
}

/** The changes of the digest's scans whose target alerts (read consistently: the ingest just wrote them). */
async function alertingChanges(tenantId: string, digest: DigestItem): Promise<Event[]> {
  const scans = [...(digest.scans ?? [])].map((entry) => {
    const cut = entry.indexOf('|');
    return { detectedAt: entry.slice(0, cut), scanId: entry.slice(cut + 1) };
  });
  const events = (await Promise.all(scans.map((s) => eventsOfScan(tenantId, s.scanId, s.detectedAt)))).flat();
  const policies = new Map((await getPolicies(tenantId, [...new Set(events.map((e) => e.policyId))])).map((p) => [p.id, p]));
  return events.filter((e) => isAlerting(e, policies));
}

/**
 * Flood control for one profile, decided once per digest: one of the profile's mails of this hour, or held
 * back when they are all out. A mail that goes out first claims what was held back in the hour before, to
 * report it. The decision is written last: a crash before it leaves at most one of the hour's mails unused.
 */
async function decide(tenantId: string, digest: DigestItem, profile: AlertProfile, limit: number, now: Date): Promise<DecisionItem> {
  const hour = hourOf(now);
  const previous = addHours(hour, -1).toISOString();
  // A crashed attempt that took a mail and claimed the last hour's summary must send it: no one else will.
  const send = (await takeMailSlot(tenantId, profile.id, hour.toISOString(), limit)) || (await heldBackReporter(tenantId, profile.id, previous)) === digest.id;
  const held = send ? await claimHeldBack(tenantId, profile.id, previous, digest.id) : undefined;
  const decision: DecisionItem = {
    digestId: digest.id,
    profileId: profile.id,
    decision: send ? 'send' : 'hold',
    hour: hour.toISOString(),
    ...(held ? { heldBack: withLink(held, profile, hour) } : {}),
    decidedAt: now.toISOString(),
  };
  if (await createDecision(tenantId, decision)) return decision;
  return (await getDecision(tenantId, digest.id, profile.id)) ?? decision;
}

/**
 * Adds a held-back digest's changes to its hour's count, and makes sure that hour's summary is due at the
 * hour's end. An hour whose summary went out already takes nothing more: the count moves to the next hour,
 * so nothing is added where no one reads it. Crash window: between the count and `counted`, a retry counts
 * the digest twice (an over-statement in the summary, never a missed change).
 */
async function countHeldBack(tenantId: string, digest: DigestItem, decision: DecisionItem, told: readonly Event[], now: Date): Promise<void> {
  let hour = new Date(decision.hour);
  for (let step = 0; step < 48; step++, hour = addHours(hour, 1)) {
    const end = addHours(hour, 1).toISOString();
    await createDigest(tenantId, { id: heldBackDigestId(decision.profileId, hour), kind: 'held-back', status: 'closed', createdAt: now.toISOString(), profileId: decision.profileId, hour: hour.toISOString(), wakeAt: end });
    const critical = told.filter((c) => c.severity === 'critical').length;
    if (await holdBack(tenantId, decision.profileId, hour.toISOString(), { changes: told.length, critical, serverId: digest.serverId ?? '', at: now.toISOString() })) {
      await markCounted(tenantId, decision);
      return;
    }
  }
  throw new Error(`alert digest ${digest.id}: no open hour to count its held-back changes in`);
}

/** Sends each mail to each recipient once (see sendAlertDigest). `settled`: every recipient is done. */
async function deliver(tenantId: string, digestId: string, mails: readonly ProfileMail[], sends: ReadonlyMap<string, SendItem>, now: Date, mailer: Mailer) {
  let settled = true;
  const refused: unknown[] = [];
  for (const { profile, content } of mails) {
    for (const recipient of profile.recipients) {
      const earlier = sends.get(sendId(profile.id, recipient));
      if (earlier && earlier.state !== 'sending') continue;
      if (earlier) {
        if (now.getTime() - Date.parse(earlier.claimedAt) < CLAIM_LEASE_MS) {
          settled = false; // another worker is sending it right now
          continue;
        }
        await markUnconfirmed(tenantId, earlier);
        logger.error('alert mail unconfirmed: a worker stopped between claiming it and the transport\'s answer; not sent again', { tenantId, digestId, profileId: profile.id, recipient });
        continue;
      }
      const claim: SendItem = { digestId, profileId: profile.id, recipient, state: 'sending', claimedAt: now.toISOString() };
      if (!(await claimSend(tenantId, claim))) {
        settled = false; // a concurrent delivery of the same digest claimed it first
        continue;
      }
      let messageId: string;
      try {
        ({ messageId } = await mailer.send({ to: recipient, ...content }));
      } catch (error) {
        await releaseSend(tenantId, claim);
        logger.warn('alert mail refused; the queue retries it', { tenantId, digestId, profileId: profile.id, recipient, error: (error as Error).message });
        refused.push(error);
        continue;
      }
      await markSent(tenantId, claim, messageId, now);
    }
  }
  return { settled: settled && refused.length === 0, refused };
}

/** The link of a held-back summary: the events from its first held-back change to the end of its hour. */
function withLink(held: Omit<HeldBack, 'link'>, profile: AlertProfile, until: Date): HeldBack {
  return { ...held, link: eventsLink(config().CONSOLE_URL, { from: held.since, to: until.toISOString(), severity: onlySeverity(profile) }) };
}

/** The severity filter of a profile's links, when it takes only one. */
const onlySeverity = (profile: AlertProfile): string | undefined => (profile.severities.length === 1 ? profile.severities[0] : undefined);
