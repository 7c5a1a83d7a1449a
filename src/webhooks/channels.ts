/**
 * How one event reaches one delivery target, by the target's kind:
 *
 * - `WEBHOOK`: the event as JSON ({@link WebhookBody}), POSTed and signed in the
 *   {@link SIGNATURE_HEADER} header; a 2xx answer accepts it.
 * - `SLACK`: a Slack incoming-webhook message (`{ text, blocks }`, Slack's "Sending
 *   messages using incoming webhooks"): a one-line summary and the details in mrkdwn; a
 *   2xx answer accepts it.
 * - `EMAIL`: a plain-text message to the recipients of the target's `mailto:` URL,
 *   through the operator's SMTP server (src/net/mailer.ts); the server's acceptance
 *   accepts it.
 *
 * HTTP targets go through the outbound policy (src/net/outbound.ts). A send never
 * throws for the receiver's faults: it answers what happened, for the attempt's record.
 */
import type { Mailer } from '../net/mailer.js';
import { outboundRefusal, type OutboundPolicy } from '../net/outbound.js';
import type { webhookKind } from '../db/schema.js';
import { SIGNATURE_HEADER, signPayload } from './signature.js';

/** A delivery target's kind. */
export type WebhookKind = (typeof webhookKind.enumValues)[number];

/** Where a delivery goes. */
export interface DeliveryTarget {
  kind: WebhookKind;
  /** http(s) URL, or `mailto:` URL for EMAIL. */
  url: string;
  /** Signs WEBHOOK bodies. */
  secret: string;
}

/** The stored event a delivery carries. */
export interface DeliveredEvent {
  seq: number;
  type: string;
  subjectId: string | null;
  payload: Record<string, unknown>;
  at: Date;
}

/** The JSON body POSTed to a WEBHOOK for one event. */
export interface WebhookBody {
  deliveryId: string;
  seq: number;
  type: string;
  subjectId: string | null;
  payload: Record<string, unknown>;
  at: string;
}

/** What one send came to: the HTTP status when there was an answer, and why it failed (null: accepted). */
export interface SendResult {
  statusCode: number | null;
  error: string | null;
}

/** Per-request timeout of HTTP targets, ms. */
const TIMEOUT_MS = 10_000;

/**
 * Sends `event` to `target` as delivery `deliveryId` at `now` (the signature's time).
 * An EMAIL target without a mailer (no `SMTP_URL`) fails with that reason.
 */
export async function sendEvent(
  deps: { outbound: OutboundPolicy; mailer: Mailer | undefined },
  target: DeliveryTarget,
  event: DeliveredEvent,
  deliveryId: string,
  now: Date,
): Promise<SendResult> {
  try {
    switch (target.kind) {
      case 'WEBHOOK': {
        const body = JSON.stringify({
          deliveryId,
          seq: event.seq,
          type: event.type,
          subjectId: event.subjectId,
          payload: event.payload,
          at: event.at.toISOString(),
        } satisfies WebhookBody);
        return await post(deps.outbound, target.url, body, {
          'x-workforce-event': event.type,
          'x-workforce-delivery': deliveryId,
          [SIGNATURE_HEADER]: signPayload(target.secret, body, Math.floor(now.getTime() / 1000)),
        });
      }
      case 'SLACK': {
        const summary = eventSummary(event);
        const body = JSON.stringify({
          text: summary.subject,
          blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${summary.subject}*\n${summary.details}` } }],
        });
        return await post(deps.outbound, target.url, body, {});
      }
      case 'EMAIL': {
        if (!deps.mailer) return { statusCode: null, error: 'e-mail is not configured on this server (SMTP_URL)' };
        const summary = eventSummary(event);
        await deps.mailer.send({ to: mailtoRecipients(target.url), subject: summary.subject, text: `${summary.details}\n\nEvent #${event.seq} at ${event.at.toISOString()}` });
        return { statusCode: null, error: null };
      }
    }
  } catch (cause) {
    return { statusCode: null, error: outboundRefusal(cause)?.message ?? (cause instanceof Error ? cause.message : String(cause)) };
  }
}

async function post(outbound: OutboundPolicy, url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
  const response = await outbound.fetch(url, {
    method: 'POST',
    redirect: 'manual',
    signal: AbortSignal.timeout(TIMEOUT_MS),
    headers: { 'content-type': 'application/json', 'user-agent': 'workforce-server-webhooks', ...headers },
    body,
  });
  await response.body?.cancel();
  return { statusCode: response.status, error: response.ok ? null : `HTTP ${response.status}` };
}

/**
 * A person's reading of an event: a one-line subject and a few lines of details. Alert
 * crossings say what crossed which threshold; other events show their payload.
 */
export function eventSummary(event: DeliveredEvent): { subject: string; details: string } {
  const { payload } = event;
  if (event.type === 'Fleet.alert.triggered' || event.type === 'Fleet.alert.resolved') {
    const triggered = event.type === 'Fleet.alert.triggered';
    const side = payload.direction === 'BELOW' ? 'below' : 'above';
    return {
      subject: `${triggered ? 'Alert triggered' : 'Alert resolved'}: ${String(payload.metric)} is ${String(payload.value)}`,
      details: [
        triggered ? `${String(payload.metric)} went ${side} its threshold of ${String(payload.threshold)}.` : `${String(payload.metric)} is back within its threshold of ${String(payload.threshold)}.`,
        `Fleet: ${event.subjectId ?? 'unknown'}`,
        `Channel: ${String(payload.channel)}`,
      ].join('\n'),
    };
  }
  return { subject: `${event.type}${event.subjectId ? ` (${event.subjectId})` : ''}`, details: JSON.stringify(payload, null, 2) };
}

/**
 * The `mailto:` URL of validated e-mail addresses (RFC 6068: addresses separated by
 * commas; a valid address holds none of the characters that would need escaping).
 */
export function mailtoUrl(recipients: readonly string[]): string {
  return `mailto:${recipients.join(',')}`;
}

/** The recipients of a `mailto:` URL made by {@link mailtoUrl}. */
export function mailtoRecipients(url: string): string[] {
  return url
    .replace(/^mailto:/, '')
    .split(',')
    .filter((part) => part !== '');
}
