/** GraphQL types and operations of outbound webhooks. */
import { and, eq, isNull } from 'drizzle-orm';

import type { WebhookAttempt } from '../db/documents.js';
import { webhookDeliveries, webhookDeliveryStatus, webhookKind, webhooks } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import { MAX_ATTEMPTS } from './deliver.js';
import { createWebhook, deleteWebhook, redeliverWebhook } from './service.js';
import { SIGNATURE_HEADER } from './signature.js';

const DeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  description: 'Where a delivery is.',
  values: {
    PENDING: { description: 'Not yet accepted; `nextAttemptAt` says when it is tried.' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    FAILED: { description: `Every attempt (${MAX_ATTEMPTS}) failed, or the webhook was deleted.` },
  } satisfies Record<(typeof webhookDeliveryStatus.enumValues)[number], { description: string }>,
});

const AttemptRef = builder.objectRef<WebhookAttempt>('WebhookAttempt').implement({
  description: 'One attempt of a delivery: an HTTP request, or an e-mail handed to the SMTP server.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', description: 'When it was made.', resolve: (a) => new Date(a.at) }),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: 'HTTP status of the answer; null when none came, and for e-mail.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed; null on success.' }),
    durationMs: t.exposeInt('durationMs', { description: 'How long it took, milliseconds.' }),
  }),
});

// Referenced by table name from `Webhook.deliveries`.
const WebhookDelivery = builder.drizzleNode('webhookDeliveries', {
  name: 'WebhookDelivery',
  description: 'One event sent (or to be sent) to one webhook, with its attempts; its ID is the `deliveryId` of the POSTed body.',
  id: { column: (delivery) => delivery.id },
  fields: (t) => ({
    eventSeq: t.exposeInt('eventSeq', { description: '`seq` of the event delivered.' }),
    eventType: t.exposeString('eventType', { description: 'Type of the event.' }),
    status: t.field({ type: DeliveryStatusEnum, description: 'Outcome so far.', resolve: (d) => d.status }),
    attempts: t.field({ type: [AttemptRef], description: 'Attempts, oldest first.', resolve: (d) => d.attempts }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true, description: 'When it is tried next, while PENDING.' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true, description: 'When it was accepted.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the event was queued for the webhook.' }),
  }),
});

const WebhookKindEnum = builder.enumType('WebhookKind', {
  description: 'How a webhook’s events are delivered.',
  values: {
    WEBHOOK: { description: `The event as JSON, POSTed and signed in the \`${SIGNATURE_HEADER}\` header.` },
    SLACK: { description: 'A message to a Slack incoming webhook (an alert’s `slackWebhookUrl`).' },
    EMAIL: { description: 'An e-mail to the addresses of a `mailto:` URL (an alert’s `emailTo`), through the server’s SMTP server.' },
  } satisfies Record<(typeof webhookKind.enumValues)[number], { description: string }>,
});

export const Webhook = builder.drizzleNode('webhooks', {
  name: 'Webhook',
  description: `Delivers events to a target: a URL POSTed signed JSON (the \`${SIGNATURE_HEADER}\` header: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">), or for an alert a Slack incoming webhook or e-mail recipients.`,
  id: { column: (webhook) => webhook.id },
  fields: (t) => ({
    kind: t.field({ type: WebhookKindEnum, description: 'How events are delivered.', resolve: (webhook) => webhook.kind }),
    url: t.exposeString('url', { description: 'Where events go: an http(s) URL, or a `mailto:` URL listing the recipients of an EMAIL webhook.' }),
    eventTypes: t.exposeStringList('eventTypes', { description: 'Event types delivered: exact, `Subject.*` or `*`.' }),
    deletedAt: t.expose('deletedAt', { type: 'DateTime', nullable: true, description: 'When it was deleted; nothing is delivered after.' }),
    deliveries: t.drizzleConnection({
      type: 'webhookDeliveries',
      description: 'Deliveries with their attempts and outcomes, oldest first.',
      args: { status: t.arg({ type: DeliveryStatusEnum, description: 'Only deliveries in this status.' }) },
      totalCount: (webhook, args, ctx) =>
        ctx.db.$count(
          webhookDeliveries,
          and(eq(webhookDeliveries.webhookId, webhook.id), args.status ? eq(webhookDeliveries.status, args.status) : undefined),
        ),
      resolve: (query, webhook, args, ctx) =>
        ctx.db.query.webhookDeliveries.findMany(
          query({ where: { webhookId: webhook.id, ...(args.status ? { status: args.status } : {}) }, orderBy: { id: 'asc' } }),
        ),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created; later events are delivered.' }),
  }),
});

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  description: 'A webhook: event types, URL and signing secret.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'http(s) URL that receives POSTs.' }),
    secret: t.string({ required: true, description: 'Signing secret, at least 16 characters; never shown again.' }),
    eventTypes: t.stringList({ required: true, description: 'Event types: exact (`Worker.task.completed`, or `$.Worker.task.completed`, stored without `$.`), `Subject.*` or `*`.' }),
  }),
});

const RedeliverWebhookInput = builder.inputType('RedeliverWebhookInput', {
  description: 'The FAILED delivery to send again.',
  fields: (t) => ({ deliveryId: t.globalID({ required: true, for: WebhookDelivery, description: 'The delivery.' }) }),
});

const DeleteWebhookInput = builder.inputType('DeleteWebhookInput', {
  description: 'The webhook to delete.',
  fields: (t) => ({ webhookId: t.globalID({ required: true, for: Webhook, description: 'The webhook.' }) }),
});

builder.queryField('webhooks', (t) =>
  t.drizzleConnection({
    type: 'webhooks',
    description: 'Live webhooks, oldest first.',
    totalCount: (_root, _args, ctx) =>
      ctx.db.$count(webhooks, and(eq(webhooks.organizationId, ctx.actor.organizationId), isNull(webhooks.deletedAt))),
    resolve: (query, _root, _args, ctx) =>
      ctx.db.query.webhooks.findMany(
        query({ where: { organizationId: ctx.actor.organizationId, deletedAt: { isNull: true } }, orderBy: { id: 'asc' } }),
      ),
  }),
);

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: Webhook,
    description: 'Creates a webhook; later matching events are delivered, retried with backoff, and logged in `deliveries`. Appends `Webhook.created`.',
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    resolve: (_root, { input }, ctx) => createWebhook(ctx, ctx.actor.organizationId, input),
  }),
  redeliverWebhook: t.field({
    type: WebhookDelivery,
    description:
      'Sends a FAILED delivery of a live webhook again: it is PENDING, due at once, and gets one more attempt (its earlier attempts stay in `attempts`); failing, it is FAILED again. Appends `Webhook.redelivery.requested`.',
    errors: { types: [NotFoundError, InvalidTransitionError] },
    args: { input: t.arg({ type: RedeliverWebhookInput, required: true }) },
    resolve: (_root, { input }, ctx) => redeliverWebhook(ctx, ctx.actor.organizationId, input.deliveryId.id),
  }),
  deleteWebhook: t.field({
    type: Webhook,
    description: 'Deletes a webhook; pending deliveries are dropped, the log stays. Appends `Webhook.deleted`.',
    errors: { types: [NotFoundError, InvalidTransitionError] },
    args: { input: t.arg({ type: DeleteWebhookInput, required: true }) },
    resolve: (_root, { input }, ctx) => deleteWebhook(ctx, ctx.actor.organizationId, input.webhookId.id),
  }),
}));
