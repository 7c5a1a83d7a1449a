/**
 * Fleet alerts (docs/product/fleets.md `alerts: { errorRate: { threshold: 0.05, channel:
 * 'slack' }, queueDepth: { threshold: 1000, channel: 'pagerduty' } }`). An alert fires
 * when its metric crosses the threshold (above it, or below it for `BELOW`):
 * `Fleet.alert.triggered` is raised once per crossing, and `Fleet.alert.resolved` when
 * the metric crosses back. An alert may name one delivery target for its triggered
 * events: a `webhookUrl` (the event as signed JSON), a `slackWebhookUrl` (a Slack
 * incoming webhook: a message saying what crossed which threshold) or `emailTo`
 * addresses (an e-mail through `SMTP_URL`). Each target is a webhook row of that kind,
 * and the webhook deliverer sends it (10 s timeout, retried with backoff, attempts
 * recorded: webhooks/deliver.ts, webhooks/channels.ts) after the evaluating transaction
 * committed, so a slow receiver never holds the fleet.
 */
import { randomBytes } from 'node:crypto';

import { asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';

import type { Database, Transaction } from '../../db/client.js';
import { fleetAlerts, webhookDeliveries, webhooks } from '../../db/schema.js';
import { transactionWithEvents, type Outbox } from '../../events/outbox.js';
import type { Bus } from '../../realtime/bus.js';
import { ValidationError } from '../../errors.js';
import type { Mailer } from '../../net/mailer.js';
import { parseInput } from '../../validation.js';
import { mailtoUrl, type WebhookKind } from '../../webhooks/channels.js';
import { readFleetStatus, type FleetStatus } from './status.js';
import { lockFleet, type FleetRow } from '../core/store.js';

export type FleetAlertRow = typeof fleetAlerts.$inferSelect;

/** The metrics an alert can watch, read from the fleet's status. */
export const ALERT_METRICS = {
  QUEUE_DEPTH: (s: FleetStatus) => s.queueDepth,
  UTILIZATION: (s: FleetStatus) => s.utilization,
  ERROR_RATE: (s: FleetStatus) => 1 - s.recentSuccessRate,
  AVG_WAIT_TIME_MS: (s: FleetStatus) => s.avgWaitTimeMs,
  HEALTH_SCORE: (s: FleetStatus) => s.healthScore,
  SLA_BREACHES: (s: FleetStatus) => s.slaBreaches,
} satisfies Record<string, (status: FleetStatus) => number>;

export type AlertMetric = keyof typeof ALERT_METRICS;

/** One alert, as `configureFleetAlerts` and `enableFleetDashboard` accept it. */
export const AlertModel = z.object({
  metric: z.enum(Object.keys(ALERT_METRICS) as [AlertMetric, ...AlertMetric[]]),
  threshold: z.number().finite(),
  /** Default: BELOW for HEALTH_SCORE, ABOVE for the rest. */
  direction: z.enum(['ABOVE', 'BELOW']).nullish(),
  channel: z.string().trim().min(1, 'must not be empty').max(100),
  webhookUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).nullish(),
  webhookSecret: z.string().min(16, 'must be at least 16 characters').max(200).nullish(),
  slackWebhookUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).nullish(),
  emailTo: z.array(z.email({ message: 'must be an e-mail address' })).min(1, 'must name at least one address').max(20).nullish(),
}).refine((alert) => [alert.webhookUrl, alert.slackWebhookUrl, alert.emailTo].filter((target) => target != null).length <= 1, {
  message: 'give at most one of webhookUrl, slackWebhookUrl and emailTo',
  path: ['webhookUrl'],
});

/** An alert as {@link AlertModel} parsed it. */
export type ValidAlert = z.output<typeof AlertModel>;

/**
 * Checks that every alert's target can be sent from this server.
 * @throws ValidationError at `alerts.<i>.emailTo` for e-mail targets without a mailer (no `SMTP_URL`)
 */
export function checkDeliverable(alerts: readonly ValidAlert[], mailer: Mailer | undefined): void {
  const unsendable = alerts.flatMap((alert, index) => (alert.emailTo && !mailer ? [index] : []));
  if (unsendable.length > 0) {
    throw new ValidationError(
      unsendable.map((index) => ({ path: ['alerts', String(index), 'emailTo'], message: 'e-mail is not configured on this server (set SMTP_URL)' })),
    );
  }
}

/** The delivery target of an alert's input, as the webhook row that carries it; null: events only. */
function deliveryTarget(alert: ValidAlert): { kind: WebhookKind; url: string; secret: string } | null {
  // Only WEBHOOK targets are signed; the others get a random secret nobody reads.
  const secret = alert.webhookSecret ?? randomBytes(32).toString('hex');
  if (alert.webhookUrl) return { kind: 'WEBHOOK', url: alert.webhookUrl, secret };
  if (alert.slackWebhookUrl) return { kind: 'SLACK', url: alert.slackWebhookUrl, secret };
  if (alert.emailTo) return { kind: 'EMAIL', url: mailtoUrl(alert.emailTo), secret };
  return null;
}

/** What `configureFleetAlerts` accepts: the fleet's alerts, all of them. */
export const ConfigureAlertsModel = z.object({
  fleetId: z.uuid(),
  alerts: z.array(AlertModel).max(50),
});

/**
 * Replaces the alerts of fleet `fleetId` (their webhooks are deleted with them) and
 * appends `Fleet.alerts.configured`. An alert with a delivery target gets a webhook of
 * its own of that kind; a WEBHOOK target is signed with `webhookSecret` (a random one
 * when omitted).
 * @throws ValidationError (e.g. `emailTo` on a server without `SMTP_URL`, or two targets on one alert); NotFoundError
 */
export async function configureFleetAlerts(
  deps: { db: Database; bus: Bus; mailer: Mailer | undefined },
  organizationId: string,
  input: z.input<typeof ConfigureAlertsModel>,
): Promise<FleetAlertRow[]> {
  const data = parseInput(ConfigureAlertsModel, input);
  checkDeliverable(data.alerts, deps.mailer);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, organizationId, data.fleetId);
    return replaceAlerts(tx, outbox, fleet, data.alerts);
  });
}

/**
 * Replaces the alerts of the locked `fleet` inside the caller's transaction (its old
 * alerts' webhooks are deleted, new targets created) and appends `Fleet.alerts.configured`.
 * `alerts` were validated by {@link parseAlerts}.
 */
export async function replaceAlerts(tx: Transaction, outbox: Outbox, fleet: FleetRow, alerts: ValidAlert[]): Promise<FleetAlertRow[]> {
  const { organizationId } = fleet;
  const old = await tx.delete(fleetAlerts).where(eq(fleetAlerts.fleetId, fleet.id)).returning({ webhookId: fleetAlerts.webhookId });
  const oldWebhooks = old.flatMap((alert) => (alert.webhookId ? [alert.webhookId] : []));
  if (oldWebhooks.length) await tx.update(webhooks).set({ deletedAt: new Date() }).where(inArray(webhooks.id, oldWebhooks));
  const created: FleetAlertRow[] = [];
  for (const alert of alerts) {
    const target = deliveryTarget(alert);
    const [webhook] = target ? await tx.insert(webhooks).values({ organizationId, ...target, eventTypes: [] }).returning() : [];
    const [row] = await tx
      .insert(fleetAlerts)
      .values({
        organizationId,
        fleetId: fleet.id,
        metric: alert.metric,
        threshold: alert.threshold,
        direction: alert.direction ?? (alert.metric === 'HEALTH_SCORE' ? 'BELOW' : 'ABOVE'),
        channel: alert.channel,
        webhookId: webhook?.id ?? null,
      })
      .returning();
    created.push(row!);
  }
  await outbox.append({
    organizationId,
    type: 'Fleet.alerts.configured',
    subjectId: fleet.id,
    payload: { alerts: created.map((a) => ({ alertId: a.id, metric: a.metric, threshold: a.threshold, direction: a.direction, channel: a.channel })) },
  });
  return created;
}

/**
 * Evaluates the alerts of fleet `fleetId` at `now`: each crossing flips `firing` and
 * appends `Fleet.alert.triggered` (queuing a delivery to the alert's webhook) or
 * `Fleet.alert.resolved`. Alerts another process is evaluating are left to it.
 * @returns the number of crossings
 */
export async function evaluateFleetAlerts(deps: { db: Database; bus: Bus }, fleetId: string, now: Date): Promise<number> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const alerts = await tx
      .select()
      .from(fleetAlerts)
      .where(eq(fleetAlerts.fleetId, fleetId))
      .orderBy(asc(fleetAlerts.id))
      .for('update', { skipLocked: true });
    if (alerts.length === 0) return 0;
    const status = await readFleetStatus(tx, fleetId, now);
    let crossings = 0;
    for (const alert of alerts) {
      const value = ALERT_METRICS[alert.metric as AlertMetric](status);
      const crossed = alert.direction === 'ABOVE' ? value > alert.threshold : value < alert.threshold;
      if (crossed === alert.firing) continue;
      crossings++;
      await tx
        .update(fleetAlerts)
        .set({ firing: crossed, lastValue: value, ...(crossed ? { lastTriggeredAt: now } : {}) })
        .where(eq(fleetAlerts.id, alert.id));
      const type = crossed ? 'Fleet.alert.triggered' : 'Fleet.alert.resolved';
      const seq = await outbox.append({
        organizationId: alert.organizationId,
        type,
        subjectId: fleetId,
        payload: { alertId: alert.id, metric: alert.metric, value, threshold: alert.threshold, direction: alert.direction, channel: alert.channel },
      });
      if (crossed && alert.webhookId) {
        await tx
          .insert(webhookDeliveries)
          .values({ organizationId: alert.organizationId, webhookId: alert.webhookId, eventSeq: seq, eventType: type, nextAttemptAt: now });
      }
    }
    return crossings;
  });
}
