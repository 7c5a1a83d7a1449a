/**
 * A fleet's dashboard (docs/product/fleets.md `fleet.enableDashboard({ metrics,
 * refreshInterval, alerts })`): which figures the operations console charts for the
 * fleet and how often it re-reads what the `fleetStatus` subscription does not push,
 * stored on the fleet; the alerts given with it replace the fleet's alerts in the same
 * transaction, as `configureFleetAlerts` would.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';

import type { Database } from '../../db/client.js';
import type { FleetDashboard, FleetDashboardMetric } from '../../db/documents.js';
import { fleets } from '../../db/schema.js';
import { transactionWithEvents } from '../../events/outbox.js';
import type { Mailer } from '../../net/mailer.js';
import type { Bus } from '../../realtime/bus.js';
import { parseInput } from '../../validation.js';
import { lockFleet, type FleetRow } from '../core/store.js';
import { AlertModel, checkDeliverable, replaceAlerts } from './alerts.js';

/** The figures a dashboard can chart, each read from the fleet's status or metrics. */
export const DASHBOARD_METRICS = [
  'THROUGHPUT',
  'LATENCY',
  'ERROR_RATE',
  'UTILIZATION',
  'QUEUE_DEPTH',
  'PROCESSING',
  'HEALTH_SCORE',
] as const satisfies readonly FleetDashboardMetric[];

/** The seed's example interval: 30 s. */
export const DEFAULT_REFRESH_INTERVAL_MS = 30_000;

/** What `enableFleetDashboard` accepts. */
export const EnableDashboardModel = z.object({
  fleetId: z.uuid(),
  metrics: z
    .array(z.enum(DASHBOARD_METRICS))
    .min(1, 'must name at least one metric')
    .transform((metrics) => [...new Set(metrics)]),
  refreshIntervalMs: z
    .number()
    .int()
    .min(1_000, 'must be at least 1000 ms')
    .max(3_600_000, 'must be at most an hour')
    .nullish()
    .transform((ms) => ms ?? DEFAULT_REFRESH_INTERVAL_MS),
  alerts: z.array(AlertModel).max(50).nullish(),
});

/**
 * Enables (or reconfigures) the dashboard of fleet `fleetId` at `now` and appends
 * `Fleet.dashboard.enabled`; with `alerts`, replaces the fleet's alerts too.
 * @returns the fleet row with its dashboard
 * @throws ValidationError (unknown metric, interval out of 1 s–1 h, an alert's problem); NotFoundError
 */
export async function enableFleetDashboard(
  deps: { db: Database; bus: Bus; mailer: Mailer | undefined },
  organizationId: string,
  input: z.input<typeof EnableDashboardModel>,
  now: Date,
): Promise<FleetRow> {
  const data = parseInput(EnableDashboardModel, input);
  if (data.alerts) checkDeliverable(data.alerts, deps.mailer);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const fleet = await lockFleet(tx, organizationId, data.fleetId);
    const dashboard: FleetDashboard = { metrics: data.metrics, refreshIntervalMs: data.refreshIntervalMs, enabledAt: now.toISOString() };
    const [updated] = await tx.update(fleets).set({ dashboard }).where(eq(fleets.id, fleet.id)).returning();
    if (data.alerts) await replaceAlerts(tx, outbox, fleet, data.alerts);
    await outbox.append({
      organizationId,
      type: 'Fleet.dashboard.enabled',
      subjectId: fleet.id,
      payload: { metrics: data.metrics, refreshIntervalMs: data.refreshIntervalMs },
    });
    return updated!;
  });
}
