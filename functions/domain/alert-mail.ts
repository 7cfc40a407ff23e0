import type { ChangeType, Severity } from '../model/enums.ts';
import { clockTime } from './alert-timing.ts';

/**
 * The words of alert mail: one digest per server and scan (or real-time window), the summary of what
 * flood control held back, and the test mail of a profile. Pure: it renders, it sends nothing.
 *
 * Header safety lives here: every text that reaches a header (the subject) goes through `headerText`,
 * so a hostname or a path carrying CR/LF cannot start a header of its own.
 */

/** One change as a digest lists it (an Event has these fields). */
export interface DigestChange {
  path: string;
  previousPath?: string | undefined;
  changeType: ChangeType;
  changedAttributes: readonly string[];
  severity: Severity;
  before: { hash?: { algorithm: string; value: string } | undefined } | null;
  after: { hash?: { algorithm: string; value: string } | undefined } | null;
}

/** What flood control held back of one profile since `since`, reported once in the next mail. */
export interface HeldBack {
  changes: number;
  servers: number;
  /** ISO time of the first held-back change. */
  since: string;
  critical: boolean;
  /** Where to see them. */
  link: string;
}

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export interface DigestMailInput {
  hostname: string;
  profileName: string;
  /** The changes this profile is told about (its severities, alerting targets only). */
  changes: readonly DigestChange[];
  /** The events of this digest in the API (or console). */
  link: string;
  /** When the changes were detected (ISO), for the first line. */
  detectedAt: string;
  heldBack?: HeldBack | undefined;
  /** The profile's hourly limit, to explain a held-back line. */
  mailsPerHour: number;
  /** Changes listed one by one before "and N more". */
  maxListed?: number;
}

/** How many changes a mail lists before "and N more": enough to act on, short enough to read. */
export const MAX_LISTED_CHANGES = 50;
const MAX_SUBJECT = 200;
const HASH_PREFIX = 12;
const CHANGE_ORDER: readonly ChangeType[] = ['added', 'modified', 'removed', 'renamed'];

/**
 * Text made safe for a mail header: control characters (CR and LF among them) and Unicode line breaks
 * become a space, so the text stays on its one header line; capped at a readable length.
 * @example headerText('web-1\r\nBcc: x@evil') // 'web-1 Bcc: x@evil'
 */
export function headerText(text: string, max = MAX_SUBJECT): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Critical first, then by path: what a reader should see first comes first. */
export function orderForMail<T extends DigestChange>(changes: readonly T[]): T[] {
  return [...changes].sort((a, b) => (a.severity === b.severity ? (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) : a.severity === 'critical' ? -1 : 1));
}

/** `3 changes (1 added, 2 modified)`. */
export function changeSummary(changes: readonly DigestChange[]): string {
  const counts = CHANGE_ORDER.map((type) => [type, changes.filter((c) => c.changeType === type).length] as const).filter(([, n]) => n > 0);
  return `${plural(changes.length, 'change')} (${counts.map(([type, n]) => `${n} ${type}`).join(', ')})`;
}

/** The highest severity among `changes`. */
export const worstSeverity = (changes: readonly { severity: Severity }[]): Severity => (changes.some((c) => c.severity === 'critical') ? 'critical' : 'normal');

/** `37 more changes on 12 servers since 10:00 UTC`. */
function heldBackCount(heldBack: HeldBack): string {
  return `${heldBack.changes} more ${heldBack.changes === 1 ? 'change' : 'changes'} on ${plural(heldBack.servers, 'server')} since ${clockTime(new Date(heldBack.since))} UTC`;
}

/** `and 37 more changes on 12 servers since 10:00 UTC`: the line a digest carries for what was held back. */
export const heldBackLine = (heldBack: HeldBack): string => `and ${heldBackCount(heldBack)}`;

/** The digest of one server's changes for one profile: `[critical] web-1: 3 changes (1 added, 2 modified)`. */
export function digestMail(input: DigestMailInput): MailContent {
  const ordered = orderForMail(input.changes);
  const max = input.maxListed ?? MAX_LISTED_CHANGES;
  const listed = ordered.slice(0, max);
  const more = ordered.length - listed.length;
  const host = headerText(input.hostname, 100);
  const summary = changeSummary(ordered);
  const subject = headerText(`[${worstSeverity(ordered)}] ${host}: ${summary}`);
  const heldNote = input.heldBack ? `${heldBackLine(input.heldBack)} (held back: at most ${plural(input.mailsPerHour, 'mail')} an hour per profile): ${input.heldBack.link}` : undefined;

  const text = [
    `${host}: ${summary}, detected ${input.detectedAt}.`,
    `Alert profile: ${headerText(input.profileName)}`,
    '',
    ...listed.flatMap(textLines),
    ...(more > 0 ? [`and ${more} more`] : []),
    '',
    `All changes: ${input.link}`,
    ...(heldNote ? ['', heldNote] : []),
    '',
  ].join('\n');

  const rows = listed.map(
    (c) =>
      `<tr><td>${c.severity === 'critical' ? '<strong>critical</strong>' : 'normal'}</td><td>${c.changeType}</td><td><code>${escapeHtml(pathLabel(c))}</code></td><td>${escapeHtml(c.changedAttributes.join(', '))}</td><td><code>${escapeHtml(hashChange(c))}</code></td></tr>`,
  );
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p><strong>${escapeHtml(host)}</strong>: ${escapeHtml(summary)}, detected ${escapeHtml(input.detectedAt)}.<br>Alert profile: ${escapeHtml(headerText(input.profileName))}</p>`,
    '<table cellpadding="4" style="border-collapse:collapse"><tr><th align="left">severity</th><th align="left">change</th><th align="left">path</th><th align="left">attributes</th><th align="left">hash before → after</th></tr>',
    ...rows,
    '</table>',
    more > 0 ? `<p>and ${more} more</p>` : '',
    `<p><a href="${escapeHtml(input.link)}">All changes</a></p>`,
    input.heldBack
      ? `<p>${escapeHtml(heldBackLine(input.heldBack))} (held back: at most ${escapeHtml(plural(input.mailsPerHour, 'mail'))} an hour per profile): <a href="${escapeHtml(input.heldBack.link)}">see them</a></p>`
      : '',
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}

/** The mail that reports what flood control held back, when no digest came along to carry it. */
export function heldBackMail(input: { profileName: string; heldBack: HeldBack; mailsPerHour: number }): MailContent {
  const count = heldBackCount(input.heldBack);
  const sentence = `${count} were not mailed one by one`;
  const why = `The alert profile "${headerText(input.profileName)}" sends at most ${plural(input.mailsPerHour, 'mail')} an hour; this mail sums up the rest.`;
  return {
    subject: headerText(`[${input.heldBack.critical ? 'critical' : 'normal'}] ${count}`),
    text: `${sentence}.\n${why}\n\nSee them: ${input.heldBack.link}\n`,
    html: `<!doctype html><html><body style="font-family:sans-serif"><p>${escapeHtml(sentence)}.<br>${escapeHtml(why)}</p><p><a href="${escapeHtml(input.heldBack.link)}">See them</a></p></body></html>`,
  };
}

/** The mail of `POST /v1/alert-profiles/{id}/test`. */
export function testMail(input: { profileName: string; severities: readonly Severity[]; requestedAt: string }): MailContent {
  const name = headerText(input.profileName);
  const body = `This is a test of the Driftwatch alert profile "${name}" (severities: ${input.severities.join(', ')}), requested at ${input.requestedAt}. Alerts of this profile will reach this address.`;
  return {
    subject: headerText(`[test] Driftwatch alert profile "${name}": delivery check`),
    text: `${body}\n`,
    html: `<!doctype html><html><body style="font-family:sans-serif"><p>${escapeHtml(body)}</p></body></html>`,
  };
}

function textLines(c: DigestChange): string[] {
  const details = [c.changedAttributes.length ? `changed: ${c.changedAttributes.join(', ')}` : '', hashChange(c)].filter(Boolean).join('; ');
  return [`${c.severity === 'critical' ? 'CRITICAL' : 'normal  '}  ${c.changeType.padEnd(8)}  ${pathLabel(c)}`, ...(details ? [`            ${details}`] : [])];
}

/** A path as a mail shows it (paths are in wire form already: control bytes escaped as \xHH). */
function pathLabel(c: DigestChange): string {
  const path = headerText(c.path, 4096);
  return c.previousPath ? `${headerText(c.previousPath, 4096)} -> ${path}` : path;
}

/** `sha256 1a2b3c4d5e6f -> 9f8e7d6c5b4a`, or '' when neither side has content. */
function hashChange(c: DigestChange): string {
  const before = c.before?.hash;
  const after = c.after?.hash;
  if (!before && !after) return '';
  if (before && after && before.value === after.value) return '';
  const short = (h: { value: string } | undefined) => (h ? h.value.slice(0, HASH_PREFIX) : '(none)');
  return `${(after ?? before)!.algorithm} ${short(before)} -> ${short(after)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
