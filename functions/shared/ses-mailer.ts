import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { assertHeaderSafe, type Mailer, type OutgoingMail } from './mailer.ts';

/** Mail through Amazon SES v2 (the cloud build): one SendEmail per recipient, text and HTML parts. */
export class SesMailer implements Mailer {
  private readonly client = new SESv2Client({ maxAttempts: 3 });

  constructor(private readonly from: string) {}

  async send(mail: OutgoingMail): Promise<{ messageId: string }> {
    assertHeaderSafe(mail, this.from);
    const out = await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: [mail.to] },
        Content: {
          Simple: {
            Subject: { Data: mail.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
          },
        },
      }),
    );
    return { messageId: out.MessageId ?? '' };
  }
}
