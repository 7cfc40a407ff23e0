import { config } from './config.ts';

/** One mail to one recipient. The subject must already be header-safe (domain/alert-mail.ts headerText). */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * The one way mail leaves Driftwatch. Which transport is chosen by configuration (MAIL_TRANSPORT: `ses`
 * in the cloud, an smtp:// URL locally, pointing at the stack's mail sink), never by the caller.
 */
export interface Mailer {
  /** Hands the mail to the transport; resolves once it accepted it, rejects when it refused. */
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
}

/** Thrown before anything is sent when a mail would break its headers (a bug upstream, never sent). */
export class UnsafeHeaderError extends Error {
  constructor(field: string) {
    super(`mail ${field} contains a line break or control character`);
    this.name = 'UnsafeHeaderError';
  }
}

/** Last line of defence against header injection, whatever the transport does with the values. */
export function assertHeaderSafe(mail: OutgoingMail, from: string): void {
  for (const [field, value] of [['to', mail.to], ['subject', mail.subject], ['from', from]] as const) {
    if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(value)) throw new UnsafeHeaderError(field);
  }
}

/** The mailer for a MAIL_TRANSPORT value; each transport is loaded only when chosen. */
export async function mailerFor(transport: string, from: string): Promise<Mailer> {
  if (transport === 'ses') return new (await import('./ses-mailer.ts')).SesMailer(from);
  if (/^smtps?:\/\//.test(transport)) return new (await import('./smtp-mailer.ts')).SmtpMailer(transport, from);
  throw new Error(`MAIL_TRANSPORT must be "ses" or an smtp:// URL, not ${JSON.stringify(transport)}`);
}

let cached: Promise<Mailer> | undefined;

/** The configured mailer, made once per cold start. */
export function getMailer(): Promise<Mailer> {
  cached ??= mailerFor(config().MAIL_TRANSPORT, config().MAIL_FROM);
  return cached;
}
