import { appendFile, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { LocalService } from './service.ts';

/** One mail as `GET /_local/mail` shows it. */
export interface Mail {
  /** Envelope recipients: who the mail was actually delivered to. */
  to: string[];
  from: string;
  subject: string;
  text: string;
  /** ISO-8601: the mail's Date header, else the time it arrived. */
  date: string;
  html?: string;
}

export interface MailSinkOptions {
  /** The mailbox file (JSON lines): earlier runs' mail is read back from it. */
  file: string;
  /** Called for each mail once it is stored (npm start prints a line). */
  onMail?: (mail: Mail) => void;
  onError?: (error: unknown) => void;
}

/**
 * The local stand-in for SES: an SMTP server on 127.0.0.1 that accepts any mail, parses it and keeps it,
 * in memory and appended to a JSON-lines file so the mailbox survives a restart.
 */
export class MailSink implements LocalService {
  readonly name = 'mail sink';
  port = 0;
  private mailbox: Mail[] = [];
  private writes: Promise<void> = Promise.resolve();
  private server: SMTPServer | undefined;

  constructor(private readonly o: MailSinkOptions) {}

  /** Every mail received, oldest first (also those of earlier runs on the same data dir). */
  mails(): Mail[] {
    return this.mailbox.slice();
  }

  async start(): Promise<void> {
    this.mailbox = await loadMails(this.o.file);
    const server = new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      size: 25 * 1024 * 1024,
      closeTimeout: 2000,
      onAuth(auth, _session, callback) {
        callback(null, { user: auth.username ?? 'local' });
      },
      onData: (stream, session, callback) => {
        simpleParser(stream).then(
          (parsed) => {
            const mailFrom = session.envelope.mailFrom;
            const mail: Mail = {
              to: session.envelope.rcptTo.map((r) => r.address),
              from: parsed.from?.value[0]?.address ?? (mailFrom ? mailFrom.address : ''),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              date: (parsed.date ?? new Date()).toISOString(),
            };
            if (typeof parsed.html === 'string') mail.html = parsed.html;
            this.mailbox.push(mail);
            // Acknowledge only once the mail is stored: a sender that got 250 finds it in the mailbox.
            this.writes = this.writes.then(() => appendFile(this.o.file, `${JSON.stringify(mail)}\n`, { mode: 0o600 })).catch((error) => this.o.onError?.(error));
            void this.writes.then(() => {
              this.o.onMail?.(mail);
              callback();
            });
          },
          (error: Error) => {
            this.o.onError?.(error);
            callback(error);
          },
        );
      },
    });
    server.on('error', (error) => this.o.onError?.(error));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server?.server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.writes;
  }
}

/** Starts a mail sink on its own (the stack starts it as one of its services). */
export async function startMailSink(opts: MailSinkOptions): Promise<MailSink> {
  const sink = new MailSink(opts);
  await sink.start();
  return sink;
}

async function loadMails(file: string): Promise<Mail[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const mails: Mail[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      mails.push(JSON.parse(line) as Mail);
    } catch {
      // A line cut short by a crash: skip it, keep the rest of the mailbox.
    }
  }
  return mails;
}
