/**
 * Outbound webhooks (issue "Event-driven work"): subscriptions of a URL to event types.
 * {@link enqueueDeliveries} is an event-dispatcher handler that records one delivery per
 * (webhook, event); deliver.ts sends them.
 */
import { and, eq, isNull, lte } from 'drizzle-orm';
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { webhookDeliveries, webhooks } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError } from '../errors.js';
import type { EventHandler } from '../events/dispatcher.js';
import { interestChanged, matchesEventType } from '../events/interest.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Bus } from '../realtime/bus.js';
import type { Clock } from '../scheduler/clock.js';
import { parseInput, withoutSemanticPrefix } from '../validation.js';

export type WebhookRow = typeof webhooks.$inferSelect;
type DeliveryRow = typeof webhookDeliveries.$inferSelect;

/** An event type, `*` (every event) or `Subject.*` (every event of a subject), with or without `$.`. */
const EventTypePattern = z
  .string()
  .trim()
  .transform(withoutSemanticPrefix)
  .pipe(z.string().regex(/^(\*|[A-Z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*(\.\*)?)$/, 'must be an event type (Lead.created), Subject.* or *'));

/** What `createWebhook` accepts. */
export const CreateWebhookModel = z.object({
  url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
  secret: z.string().min(16, 'must be at least 16 characters').max(200),
  eventTypes: z.array(EventTypePattern).min(1, 'name at least one event type'),
});

export { matchesEventType } from '../events/interest.js';

/**
 * Creates a webhook; events stored from now on are delivered to it. Appends
 * `Webhook.created` (without the secret).
 * @throws ValidationError
 */
export async function createWebhook(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: z.input<typeof CreateWebhookModel>,
): Promise<WebhookRow> {
  const data = parseInput(CreateWebhookModel, input);
  const created = await transactionWithEvents(deps, async (tx, outbox) => {
    const [row] = await tx.insert(webhooks).values({ organizationId, ...data }).returning();
    await outbox.append({ organizationId, type: 'Webhook.created', subjectId: row!.id, payload: { url: row!.url, eventTypes: row!.eventTypes } });
    return row!;
  });
  interestChanged(deps.bus, organizationId);
  return created;
}

/**
 * Deletes a webhook: no new deliveries, pending ones are dropped; the delivery log stays
 * readable. Appends `Webhook.deleted`.
 * @throws NotFoundError; InvalidTransitionError when it is already deleted
 */
export async function deleteWebhook(deps: { db: Database; bus: Bus }, organizationId: string, webhookId: string): Promise<WebhookRow> {
  const deleted = await transactionWithEvents(deps, async (tx, outbox) => {
    const [webhook] = await tx
      .select()
      .from(webhooks)
      .where(and(eq(webhooks.organizationId, organizationId), eq(webhooks.id, webhookId)))
      .for('update');
    if (!webhook) throw new NotFoundError('Webhook', webhookId);
    if (webhook.deletedAt) throw new InvalidTransitionError('Webhook', 'DELETED', 'DELETED');
    const [row] = await tx.update(webhooks).set({ deletedAt: new Date() }).where(eq(webhooks.id, webhook.id)).returning();
    await tx
      .update(webhookDeliveries)
      .set({ status: 'FAILED', nextAttemptAt: null })
      .where(and(eq(webhookDeliveries.webhookId, webhook.id), eq(webhookDeliveries.status, 'PENDING')));
    await outbox.append({ organizationId, type: 'Webhook.deleted', subjectId: webhook.id, payload: { url: webhook.url } });
    return row!;
  });
  interestChanged(deps.bus, organizationId);
  return deleted;
}

/**
 * Sends a FAILED delivery again (README "Events, triggers, webhooks"): it becomes PENDING,
 * due at `now`, and the deliverer makes one more attempt — its attempts so far are kept, so
 * a failing one is FAILED again at once. Appends `Webhook.redelivery.requested`, which
 * wakes the deliverer.
 * @throws NotFoundError for an unknown delivery; InvalidTransitionError when the delivery
 *   is not FAILED or its webhook was deleted
 */
export async function redeliverWebhook(deps: { db: Database; bus: Bus; clock: Clock }, organizationId: string, deliveryId: string): Promise<DeliveryRow> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const [found] = await tx
      .select({ delivery: webhookDeliveries, deletedAt: webhooks.deletedAt })
      .from(webhookDeliveries)
      .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
      .where(and(eq(webhookDeliveries.organizationId, organizationId), eq(webhookDeliveries.id, deliveryId)))
      .for('update', { of: webhookDeliveries });
    if (!found) throw new NotFoundError('WebhookDelivery', deliveryId);
    const { delivery } = found;
    if (found.deletedAt) throw new InvalidTransitionError('WebhookDelivery', delivery.status, 'PENDING', 'its webhook was deleted');
    if (delivery.status !== 'FAILED') throw new InvalidTransitionError('WebhookDelivery', delivery.status, 'PENDING', 'only a FAILED delivery is sent again');
    const [pending] = await tx
      .update(webhookDeliveries)
      .set({ status: 'PENDING', nextAttemptAt: deps.clock.now() })
      .where(eq(webhookDeliveries.id, delivery.id))
      .returning();
    await outbox.append({
      organizationId,
      type: 'Webhook.redelivery.requested',
      subjectId: delivery.webhookId,
      payload: { deliveryId: delivery.id, eventSeq: delivery.eventSeq, eventType: delivery.eventType },
    });
    return pending!;
  });
}

/**
 * Event-dispatcher handler: a PENDING delivery, due at `now`, for every live webhook of
 * the event's organisation created before the event whose types match it. The unique
 * key (webhook, event) keeps it to one.
 */
export const enqueueDeliveries: EventHandler = {
  wants: (interest, type) => interest.webhookPatterns.some((pattern) => matchesEventType(pattern, type)),
  handle: async (tx, _outbox, event, now) => {
    const candidates = await tx
      .select({ id: webhooks.id, eventTypes: webhooks.eventTypes })
      .from(webhooks)
      .where(and(eq(webhooks.organizationId, event.organizationId), isNull(webhooks.deletedAt), lte(webhooks.createdAt, event.at)));
    const matching = candidates.filter((webhook) => webhook.eventTypes.some((pattern) => matchesEventType(pattern, event.type)));
    if (matching.length === 0) return;
    await tx
      .insert(webhookDeliveries)
      .values(
        matching.map((webhook) => ({
          organizationId: event.organizationId,
          webhookId: webhook.id,
          eventSeq: event.seq,
          eventType: event.type,
          nextAttemptAt: now,
        })),
      )
      .onConflictDoNothing();
  },
};

