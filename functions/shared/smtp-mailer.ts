import { createTransport, type Transporter } from 'nodemailer';
import { assertHeaderSafe, type Mailer, type OutgoingMail } from './mailer.ts';

/** Mail over SMTP (the local stack's mail sink, or a relay): nodemailer, one message per recipient. */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = createTransport(withTimeouts(url));
  }

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    assertHeaderSafe(mail, this.from);
    const info = await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    return { messageId: String(info.messageId ?? '') };
  }
}

/**
 * Bounded waits, unless the URL sets its own (nodemailer reads options from the URL's query): a hung relay
 * is a failed send, retried by the queue, rather than a worker timeout.
 */
function withTimeouts(url: string): string {
  const parsed = new URL(url);
  for (const [name, ms] of [['connectionTimeout', 10_000], ['greetingTimeout', 10_000], ['socketTimeout', 20_000]] as const) {
    if (!parsed.searchParams.has(name)) parsed.searchParams.set(name, String(ms));
  }
  return parsed.toString();
}
