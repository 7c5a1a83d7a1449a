/**
 * Sends webhook deliveries. A sender claims due PENDING deliveries with FOR UPDATE SKIP
 * LOCKED and pushes their next attempt {@link LEASE_SECONDS} ahead (a process that dies
 * mid-send leaves them to be retried then), sends each event by its webhook's kind
 * (src/webhooks/channels.ts: signed JSON, a Slack message or an e-mail), and records the
 * attempt: DELIVERED when the receiver accepted it, otherwise a retry after the next delay of
 * {@link RETRY_DELAYS_SECONDS}, FAILED once they are used up.
 */
import { and, asc, eq, inArray, lte, min } from 'drizzle-orm';

import type { Database } from '../db/client.js';
import type { WebhookAttempt } from '../db/documents.js';
import { events, webhookDeliveries, webhooks } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { Mailer } from '../net/mailer.js';
import type { OutboundPolicy } from '../net/outbound.js';
import { sendEvent } from './channels.js';

/** Waits before the 2nd, 3rd … 6th attempt: 10 s, 1 min, 5 min, 30 min, 2 h. */
export const RETRY_DELAYS_SECONDS = [10, 60, 300, 1800, 7200] as const;
/** Attempts before a delivery is FAILED. */
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;
/** How far a claim pushes the next attempt, covering one send. */
const LEASE_SECONDS = 60;
/** Deliveries claimed per transaction. */
const BATCH = 20;

type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** What the deliverer works with: the database, the outbound policy of HTTP targets and the mailer of e-mail ones (none: no SMTP_URL). */
export interface DeliveryDeps {
  db: Database;
  logger: Logger;
  outbound: OutboundPolicy;
  mailer: Mailer | undefined;
}

/**
 * Sends every delivery due at `now` (claimed batch by batch), each once per call.
 * @returns the number of attempts made
 */
export async function deliverWebhooks(deps: DeliveryDeps, now: Date): Promise<number> {
  let attempts = 0;
  for (;;) {
    const claimed = await claim(deps.db, now);
    await Promise.all(claimed.map((delivery) => attempt(deps, delivery, now)));
    attempts += claimed.length;
    if (claimed.length < BATCH) return attempts;
  }
}

/** When the earliest PENDING delivery falls due (null: none is pending); one query. */
export async function nextDeliveryDue(db: Database): Promise<Date | null> {
  const [row] = await db
    .select({ at: min(webhookDeliveries.nextAttemptAt) })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.status, 'PENDING'));
  return row?.at ?? null;
}

async function claim(db: Database, now: Date): Promise<DeliveryRow[]> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.status, 'PENDING'), lte(webhookDeliveries.nextAttemptAt, now)))
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(BATCH)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    return tx
      .update(webhookDeliveries)
      .set({ nextAttemptAt: new Date(now.getTime() + LEASE_SECONDS * 1000) })
      .where(inArray(webhookDeliveries.id, due.map((row) => row.id)))
      .returning();
  });
}

/** Sends one delivery by its webhook's kind and records the attempt; never throws for the receiver's faults. */
async function attempt(deps: DeliveryDeps, delivery: DeliveryRow, now: Date): Promise<void> {
  const [target] = await deps.db
    .select({ kind: webhooks.kind, url: webhooks.url, secret: webhooks.secret, event: events })
    .from(webhooks)
    .innerJoin(events, eq(events.seq, delivery.eventSeq))
    .where(eq(webhooks.id, delivery.webhookId));
  if (!target) return;
  const started = performance.now();
  const { statusCode, error } = await sendEvent(deps, target, target.event, delivery.id, now);
  const record: WebhookAttempt = { at: now.toISOString(), statusCode, error, durationMs: Math.round(performance.now() - started) };
  const made = delivery.attempts.length + 1;
  const outcome =
    error === null
      ? { status: 'DELIVERED' as const, nextAttemptAt: null, deliveredAt: now }
      : made >= MAX_ATTEMPTS
        ? { status: 'FAILED' as const, nextAttemptAt: null }
        : { status: 'PENDING' as const, nextAttemptAt: new Date(now.getTime() + RETRY_DELAYS_SECONDS[made - 1]! * 1000) };
  await deps.db
    .update(webhookDeliveries)
    // The claim's lease keeps other senders off this row, so its attempts are current.
    .set({ ...outcome, attempts: [...delivery.attempts, record] })
    .where(and(eq(webhookDeliveries.id, delivery.id), eq(webhookDeliveries.status, 'PENDING')));
  if (error) deps.logger.warn({ deliveryId: delivery.id, kind: target.kind, url: target.url, error, attempt: made }, 'webhook delivery failed');
}
