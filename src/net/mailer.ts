/**
 * Outgoing e-mail of the e-mail alert channel, through the operator's SMTP server
 * (`SMTP_URL`, e.g. `smtp://user:pass@mail.example.com:587` or `smtps://…:465`; nodemailer
 * reads the URL's host, port, credentials and TLS mode). The SMTP server is the
 * operator's own choice, so it is not subject to the outbound policy that guards the
 * destinations users name (src/net/outbound.ts).
 */
import nodemailer, { type Transporter } from 'nodemailer';

/** One message: plain text to one or more recipients. */
export interface MailMessage {
  to: readonly string[];
  subject: string;
  text: string;
}

/** Sends mail through one SMTP transport (a connection per message unless the URL asks for `?pool=true`). */
export class Mailer {
  private readonly transport: Transporter;

  /**
   * @param options.smtpUrl the SMTP server (`SMTP_URL`)
   * @param options.from the sender of every message (`ALERT_EMAIL_FROM`), e.g. `Workforce <alerts@example.com>`
   */
  constructor(private readonly options: { smtpUrl: string; from: string }) {
    this.transport = nodemailer.createTransport(options.smtpUrl);
  }

  /**
   * Sends `message`; resolves when the SMTP server accepted it for every recipient.
   * @throws Error with the SMTP server's answer or the connection's failure
   */
  async send(message: MailMessage): Promise<void> {
    const info = await this.transport.sendMail({ from: this.options.from, to: [...message.to], subject: message.subject, text: message.text });
    const rejected = info.rejected ?? [];
    if (rejected.length > 0) throw new Error(`the SMTP server refused ${rejected.map(String).join(', ')}`);
  }

  /** Closes the transport's connections. */
  close(): void {
    this.transport.close();
  }
}
