import { describe, expect, it } from 'vitest';
import { assertHeaderSafe, mailerFor, UnsafeHeaderError } from './mailer.ts';
import { SesMailer } from './ses-mailer.ts';
import { SmtpMailer } from './smtp-mailer.ts';

const mail = { to: 'ops@example.com', subject: '[critical] web-1: 1 change (1 modified)', text: 't', html: '<p>t</p>' };

describe('mailer', () => {
  it('is chosen by MAIL_TRANSPORT: ses, or an smtp:// URL; anything else is a configuration error', async () => {
    expect(await mailerFor('ses', 'alerts@example.com')).toBeInstanceOf(SesMailer);
    expect(await mailerFor('smtp://127.0.0.1:2525', 'alerts@example.com')).toBeInstanceOf(SmtpMailer);
    await expect(mailerFor('sendmail', 'alerts@example.com')).rejects.toThrow(/MAIL_TRANSPORT/);
  });

  it('refuses, before any connection, a recipient, subject or sender that would break out of its header', async () => {
    expect(() => assertHeaderSafe(mail, 'alerts@example.com')).not.toThrow();
    for (const bad of [{ ...mail, subject: 'x\r\nBcc: evil@example.com' }, { ...mail, to: 'a@example.com\nBcc: evil@example.com' }, { ...mail, subject: 'x\u2028y' }]) {
      expect(() => assertHeaderSafe(bad, 'alerts@example.com')).toThrow(UnsafeHeaderError);
    }
    // Port 9 (discard) on loopback: were a connection tried, the error would be a network one.
    await expect((await mailerFor('smtp://127.0.0.1:9', 'alerts@example.com')).send({ ...mail, subject: 'x\r\nBcc: e@x' })).rejects.toBeInstanceOf(UnsafeHeaderError);
    await expect((await mailerFor('ses', 'alerts@example.com')).send({ ...mail, to: 'a@x\r\nBcc: e@x' })).rejects.toBeInstanceOf(UnsafeHeaderError);
  });
});
