/**
 * What keeps fleets moving in a server process: it maps every domain event to the fleet
 * it concerns and publishes `fleet:changed`; when capacity may have freed up (a task
 * ended, a worker became available, work was queued, the fleet was resized) it
 * "settles" the fleet — offboards retiring workers whose last task ended, then hands
 * out queued work — coalesced per fleet. Its scheduler jobs do the same for changes
 * other processes made, record SLA breaches, size fleets at shift boundaries, move team
 * pipelines, evaluate alerts and AUTO fleets' scaling, and rebalance fleets periodically.
 * A task's end also moves the team pipeline it is a stage of.
 */
import { eq, sql } from 'drizzle-orm';

import { fleetAlerts, fleets, workers } from '../../db/schema.js';
import { transactionWithEvents } from '../../events/outbox.js';
import type { SchedulerJob } from '../../scheduler/scheduler.js';
import { coalesce, type Kicker } from '../../scheduler/coalesce.js';
import { evaluateFleetAlerts } from '../monitoring/alerts.js';
import { AUTOSCALE_INTERVAL_MS, evaluateFleetScaling } from '../scaling/autoscaler.js';
import { drainQueue, fleetsWithServableQueue } from '../handout/dispatch.js';
import { completeRetirements } from './members.js';
import { fleetsWithStuckTasks, REBALANCE_INTERVAL_MS, rebalanceFleet } from '../handout/rebalance.js';
import { applyShifts } from '../shifts/service.js';
import { detectSlaBreaches } from '../monitoring/sla.js';
import { advanceWorkflows } from '../teams/service.js';
import { FleetStatusHub } from '../monitoring/status-hub.js';
import type { FleetDeps } from './store.js';

/** Events after which a fleet may be able to hand out queued work or finish retirements. */
const SETTLE_ON = new Set([
  'Worker.task.completed',
  'Worker.task.failed',
  'Worker.task.cancelled',
  'Worker.task.reassigned',
  'Worker.availability.changed',
  'Worker.activated',
  'Worker.retirement.cancelled',
  'Fleet.task.queued',
  'Fleet.scaled',
  'Fleet.updated',
]);

/** Events after which a team pipeline may move to its next stage. */
const TASK_ENDED = new Set(['Worker.task.completed', 'Worker.task.failed', 'Worker.task.cancelled']);

/** Workers whose fleet is remembered; a worker's fleet is set when it is hired and never changes. */
const WORKER_FLEET_CACHE = 10_000;

/**
 * How often alerts are evaluated without a change, in ms: time alone moves some metrics
 * (wait times, hourly windows). Every change of a fleet with alerts evaluates them too.
 */
const ALERT_INTERVAL_MS = 5_000;

export class FleetRuntime {
  readonly status: FleetStatusHub;
  private readonly settlers = new Map<string, Kicker>();
  private readonly alerters = new Map<string, Kicker>();
  private readonly workflows: Kicker;
  /** Fleets with alerts, as last read (every {@link ALERT_INTERVAL_MS}, and when this process configures them). */
  private alerting = new Set<string>();
  private lastAlerts = 0;
  private readonly workerFleets = new Map<string, string | null>();
  private unsubscribe: (() => Promise<void>) | undefined;
  private lastRebalance = 0;
  private lastAutoscale = 0;

  constructor(private readonly deps: FleetDeps) {
    this.status = new FleetStatusHub(deps);
    this.workflows = coalesce(
      () => advanceWorkflows(deps),
      (error) => deps.logger.error({ err: error }, 'could not advance team workflows'),
    );
  }

  /** Listens to this process's domain events. */
  start(): void {
    if (this.unsubscribe) return;
    const unlisten = this.deps.bus.listen('domain:appended', (event) => void this.react(event));
    this.unsubscribe = async () => unlisten();
  }

  /** Maps one domain event to its fleet and reacts: status push, settling, alerts. */
  private async react({ organizationId, type, subjectId }: { organizationId: string; type: string; subjectId: string | null }): Promise<void> {
    if (TASK_ENDED.has(type)) this.workflows.kick();
    const fleetId = await this.fleetOf(type, subjectId).catch((error: unknown) => {
      this.deps.logger.error({ err: error, type }, 'could not map an event to its fleet');
      return null;
    });
    if (!fleetId) return;
    this.deps.bus.publish('fleet:changed', fleetId, { type });
    if (SETTLE_ON.has(type)) this.settle(organizationId, fleetId);
    if (type === 'Fleet.alerts.configured') this.alerting.add(fleetId);
    if (this.alerting.has(fleetId) && !type.startsWith('Fleet.alert.')) this.evaluateAlerts(fleetId);
  }

  /** Stops listening and waits for work in progress. */
  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.all([...this.settlers.values(), ...this.alerters.values(), this.workflows].map((kicker) => kicker.idle()));
    await this.status.close();
  }

  /**
   * Scheduler jobs: settle fleets other processes changed; record SLA breaches; apply
   * shift boundaries; move team pipelines; evaluate
   * alerts every {@link ALERT_INTERVAL_MS} and AUTO fleets every
   * {@link AUTOSCALE_INTERVAL_MS}; rebalance every {@link REBALANCE_INTERVAL_MS}.
   */
  jobs(): SchedulerJob[] {
    return [
      {
        name: 'fleet-queues',
        run: async () => {
          for (const fleet of await fleetsWithServableQueue(this.deps)) this.settle(fleet.organizationId, fleet.id);
          await Promise.all([...this.settlers.values()].map((settler) => settler.idle()));
        },
      },
      {
        name: 'fleet-autoscale',
        run: async (now) => {
          if (!due(now, this.lastAutoscale, AUTOSCALE_INTERVAL_MS)) return;
          this.lastAutoscale = now.getTime();
          const auto = await this.deps.db
            .select({ id: fleets.id, organizationId: fleets.organizationId })
            .from(fleets)
            .where(sql`${fleets.scaling}->>'mode' = 'AUTO'`);
          for (const fleet of auto) {
            await evaluateFleetScaling(this.deps, fleet.organizationId, fleet.id, { dryRun: false }).catch((error: unknown) =>
              this.deps.logger.error({ err: error, fleetId: fleet.id }, 'could not evaluate the fleet’s scaling'),
            );
          }
        },
      },
      { name: 'fleet-sla', run: (now) => detectSlaBreaches(this.deps, now) },
      { name: 'fleet-shifts', run: (now) => applyShifts(this.deps, now) },
      { name: 'team-workflows', run: () => advanceWorkflows(this.deps) },
      {
        name: 'fleet-alerts',
        run: async (now) => {
          if (!due(now, this.lastAlerts, ALERT_INTERVAL_MS)) return;
          this.lastAlerts = now.getTime();
          const rows = await this.deps.db.selectDistinct({ fleetId: fleetAlerts.fleetId }).from(fleetAlerts);
          this.alerting = new Set(rows.map((row) => row.fleetId));
          for (const fleetId of this.alerting) this.evaluateAlerts(fleetId);
          await Promise.all([...this.alerters.values()].map((alerter) => alerter.idle()));
        },
      },
      {
        name: 'fleet-rebalance',
        run: async (now) => {
          if (!due(now, this.lastRebalance, REBALANCE_INTERVAL_MS)) return;
          this.lastRebalance = now.getTime();
          for (const fleet of await fleetsWithStuckTasks(this.deps)) {
            await rebalanceFleet(this.deps, fleet.organizationId, fleet.id, 'scheduled');
          }
        },
      },
    ];
  }

  private settle(organizationId: string, fleetId: string): void {
    let settler = this.settlers.get(fleetId);
    if (!settler) {
      settler = coalesce(
        async () => {
          await transactionWithEvents(this.deps, (tx, outbox) => completeRetirements(tx, outbox, fleetId, this.deps.clock.now()));
          await drainQueue(this.deps, organizationId, fleetId);
        },
        (error) => this.deps.logger.error({ err: error, fleetId }, 'could not settle the fleet'),
      );
      this.settlers.set(fleetId, settler);
    }
    settler.kick();
  }

  private evaluateAlerts(fleetId: string): void {
    let alerter = this.alerters.get(fleetId);
    if (!alerter) {
      alerter = coalesce(
        () => evaluateFleetAlerts(this.deps, fleetId, this.deps.clock.now()),
        (error) => this.deps.logger.error({ err: error, fleetId }, 'could not evaluate the fleet’s alerts'),
      );
      this.alerters.set(fleetId, alerter);
    }
    alerter.kick();
  }

  /** The fleet an event concerns: its subject for `Fleet.*`, its worker's fleet for `Worker.*`. */
  private async fleetOf(type: string, subjectId: string | null): Promise<string | null> {
    if (!subjectId) return null;
    if (type.startsWith('Fleet.')) return subjectId;
    if (!type.startsWith('Worker.')) return null;
    const known = this.workerFleets.get(subjectId);
    if (known !== undefined) return known;
    const [row] = await this.deps.db.select({ fleetId: workers.fleetId }).from(workers).where(eq(workers.id, subjectId));
    if (this.workerFleets.size >= WORKER_FLEET_CACHE) this.workerFleets.clear();
    this.workerFleets.set(subjectId, row?.fleetId ?? null);
    return row?.fleetId ?? null;
  }
}

/** Whether `intervalMs` separate `now` from `last` (either way: a clock set back counts too). */
function due(now: Date, last: number, intervalMs: number): boolean {
  return Math.abs(now.getTime() - last) >= intervalMs;
}
