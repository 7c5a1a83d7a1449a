/**
 * Fleet alerts (docs/product/fleets.md `alerts: { errorRate: { threshold: 0.05, channel:
 * 'slack' }, queueDepth: { threshold: 1000, channel: 'pagerduty' } }`). An alert fires
 * when its metric crosses the threshold (above it, or below it for `BELOW`):
 * `Fleet.alert.triggered` is raised once per crossing, and `Fleet.alert.resolved` when
 * the metric crosses back. With a `webhookUrl` the triggered event is POSTed there by
 * the webhook deliverer (signed, 10 s timeout, retried with backoff: webhooks/deliver.ts),
 * after the evaluating transaction committed, so a slow receiver never holds the fleet.
 */
import { randomBytes } from 'node:crypto';

import { asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';

import type { Database } from '../../db/client.js';
import { fleetAlerts, webhookDeliveries, webhooks } from '../../db/schema.js';
import { transactionWithEvents } from '../../events/outbox.js';
import type { Bus } from '../../realtime/bus.js';
import { parseInput } from '../../validation.js';
import { readFleetStatus, type FleetStatus } from './status.js';
import { lockFleet } from '../core/store.js';

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

const AlertModel = z.object({
  metric: z.enum(Object.keys(ALERT_METRICS) as [AlertMetric, ...AlertMetric[]]),
  threshold: z.number().finite(),
  /** Default: BELOW for HEALTH_SCORE, ABOVE for the rest. */
  direction: z.enum(['ABOVE', 'BELOW']).nullish(),
  channel: z.string().trim().min(1, 'must not be empty').max(100),
  webhookUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).nullish(),
  webhookSecret: z.string().min(16, 'must be at least 16 characters').max(200).nullish(),
});

/** What `configureFleetAlerts` accepts: the fleet's alerts, all of them. */
export const ConfigureAlertsModel = z.object({
  fleetId: z.uuid(),
  alerts: z.array(AlertModel).max(50),
});

/**
 * Replaces the alerts of fleet `fleetId` (their webhooks are deleted with them) and
 * appends `Fleet.alerts.configured`. An alert with a URL gets a webhook of its own,
 * signed with `webhookSecret` (a random one when omitted).
 * @throws ValidationError; NotFoundError
 */
export async function configureFleetAlerts(
  deps: { db: Database; bus: Bus },
  organizationId: string,
  input: z.input<typeof ConfigureAlertsModel>,
): Promise<FleetAlertRow[]> {
  const data = parseInput(ConfigureAlertsModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, organizationId, data.fleetId);
    const old = await tx.delete(fleetAlerts).where(eq(fleetAlerts.fleetId, fleet.id)).returning({ webhookId: fleetAlerts.webhookId });
    const oldWebhooks = old.flatMap((alert) => (alert.webhookId ? [alert.webhookId] : []));
    if (oldWebhooks.length) await tx.update(webhooks).set({ deletedAt: new Date() }).where(inArray(webhooks.id, oldWebhooks));
    const created: FleetAlertRow[] = [];
    for (const alert of data.alerts) {
      const [webhook] = alert.webhookUrl
        ? await tx
            .insert(webhooks)
            .values({ organizationId, url: alert.webhookUrl, secret: alert.webhookSecret ?? randomBytes(32).toString('hex'), eventTypes: [] })
            .returning()
        : [];
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
  });
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
