/**
 * What keeps fleets moving in a server process. Its reactions (registered by event type
 * in the process's reaction registry) map every `Fleet.*` and `Worker.*` event to the
 * fleet it concerns and publish `fleet:changed`; when capacity may have freed up (a task
 * ended, a worker became available, work was queued, the fleet was resized) they
 * "settle" the fleet — offboard retiring workers whose last task ended, then hand out
 * queued work — coalesced per fleet; a task's end also moves the team pipeline it is a
 * stage of. Its scheduler jobs do the same for changes other processes made, record SLA
 * breaches, size fleets at shift boundaries, evaluate alerts and AUTO fleets' scaling
 * and rebalance periodically — each only for the fleets that need it, as read by one
 * census query (every {@link CENSUS_MAX_AGE_MS}, and at once after a fleet's policies
 * change in this process), so that a server without fleets runs none of them.
 */
import { eq, sql } from 'drizzle-orm';

import { fleetAlerts, fleets, shifts, workers } from '../../db/schema.js';
import { eventTypesOf, type DomainEventType, type EventTypesOf } from '../../events/catalogue.js';
import { transactionWithEvents } from '../../events/outbox.js';
import type { AppendedEvent, Reactions } from '../../events/reactions.js';
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
const SETTLE_ON: ReadonlySet<DomainEventType> = new Set<DomainEventType>([
  'Worker.task.completed',
  'Worker.task.failed',
  'Worker.task.cancelled',
  'Worker.task.reassigned',
  'Worker.availability.changed',
  'Worker.activated',
  'Worker.retirement.cancelled',
  'Worker.updated',
  'Fleet.task.queued',
  'Fleet.scaled',
  'Fleet.updated',
]);

/** Events after which a team pipeline may move to its next stage. */
const TASK_ENDED: ReadonlySet<DomainEventType> = new Set<DomainEventType>(['Worker.task.completed', 'Worker.task.failed', 'Worker.task.cancelled']);

/** Events an alert raises: they do not evaluate the fleet's alerts again. */
const ALERT_RAISED: ReadonlySet<DomainEventType> = new Set<DomainEventType>(['Fleet.alert.triggered', 'Fleet.alert.resolved']);

/** Events after which the census is read again (a fleet appeared, or its policies changed). */
const CENSUS_CHANGED: readonly DomainEventType[] = ['Fleet.created', 'Fleet.updated', 'Fleet.deleted', 'Fleet.shifts.configured', 'Fleet.alerts.configured'];

/** Workers whose fleet is remembered; a worker's fleet is set when it is hired and changes only when the fleet is deleted. */
const WORKER_FLEET_CACHE = 10_000;

/**
 * How often alerts are evaluated without a change, in ms: time alone moves some metrics
 * (wait times, hourly windows). Every change of a fleet with alerts evaluates them too.
 */
const ALERT_INTERVAL_MS = 5_000;

/**
 * How long the census is trusted, in clock ms: the longest a fleet created or
 * reconfigured by another process waits for its scheduled jobs here.
 */
export const CENSUS_MAX_AGE_MS = 60_000;

/**
 * How often queues and team pipelines are checked for other processes' changes, in ms
 * (this process's own changes act at once through reactions).
 */
const POLL_INTERVAL_MS = 30_000;

/** How often SLA breaches and shift boundaries are looked for, in ms (the granularity of both). */
const SLA_INTERVAL_MS = 10_000;
const SHIFT_INTERVAL_MS = 15_000;

/** One fleet as the scheduler jobs need it. */
interface CensusEntry {
  id: string;
  organizationId: string;
  auto: boolean;
  /** Its scaling policy has schedule windows, which resize it in MANUAL mode too. */
  scheduled: boolean;
  sla: boolean;
  shifts: boolean;
  alerts: boolean;
}

export class FleetRuntime {
  readonly status: FleetStatusHub;
  private readonly settlers = new Map<string, Kicker>();
  private readonly alerters = new Map<string, Kicker>();
  private readonly workflows: Kicker;
  /** Every fleet and what it needs, as read at `readAt` (clock ms); undefined: to be read. */
  private census: { fleets: CensusEntry[]; readAt: number } | undefined;
  /** Fleets with alerts: from the census, and at once when this process configures them. */
  private alerting = new Set<string>();
  private readonly workerFleets = new Map<string, string | null>();
  private unregister: (() => void) | undefined;

  constructor(private readonly deps: FleetDeps) {
    this.status = new FleetStatusHub(deps);
    this.workflows = coalesce(
      () => advanceWorkflows(deps),
      (error) => deps.logger.error({ err: error }, 'could not advance team workflows'),
    );
  }

  /** Registers this runtime's reactions to `Fleet.*` and `Worker.*` events. */
  start(reactions: Reactions): void {
    if (this.unregister) return;
    const registrations = [
      reactions.on(eventTypesOf('Fleet'), (event) => this.react(event, event.subjectId)),
      reactions.on(eventTypesOf('Worker'), (event) => void this.reactToWorker(event)),
      reactions.on(CENSUS_CHANGED, () => {
        this.census = undefined;
      }),
    ];
    this.unregister = () => registrations.forEach((unregister) => unregister());
  }

  /** Removes the reactions and waits for work in progress. */
  async stop(): Promise<void> {
    this.unregister?.();
    this.unregister = undefined;
    await Promise.all([...this.settlers.values(), ...this.alerters.values(), this.workflows].map((kicker) => kicker.idle()));
    await this.status.close();
  }

  /**
   * Scheduler jobs, each only for the fleets of the census that need it: settle fleets
   * other processes changed and move team pipelines (every {@link POLL_INTERVAL_MS}),
   * record SLA breaches, apply shift boundaries, evaluate alerts every
   * {@link ALERT_INTERVAL_MS} and AUTO or scheduled fleets every {@link AUTOSCALE_INTERVAL_MS},
   * rebalance every {@link REBALANCE_INTERVAL_MS}.
   */
  jobs(): SchedulerJob[] {
    return [
      {
        name: 'fleet-queues',
        everyMs: POLL_INTERVAL_MS,
        run: async (now) => {
          if ((await this.fleets(now)).length === 0) return;
          for (const fleet of await fleetsWithServableQueue(this.deps)) this.settle(fleet.organizationId, fleet.id);
          await Promise.all([...this.settlers.values()].map((settler) => settler.idle()));
        },
      },
      {
        name: 'fleet-autoscale',
        everyMs: AUTOSCALE_INTERVAL_MS,
        run: async (now) => {
          for (const fleet of (await this.fleets(now)).filter((entry) => entry.auto || entry.scheduled)) {
            await evaluateFleetScaling(this.deps, fleet.organizationId, fleet.id, { dryRun: false }).catch((error: unknown) =>
              this.deps.logger.error({ err: error, fleetId: fleet.id }, 'could not evaluate the fleet’s scaling'),
            );
          }
        },
      },
      {
        name: 'fleet-sla',
        everyMs: SLA_INTERVAL_MS,
        run: async (now) => ((await this.fleets(now)).some((entry) => entry.sla) ? detectSlaBreaches(this.deps, now) : undefined),
      },
      {
        name: 'fleet-shifts',
        everyMs: SHIFT_INTERVAL_MS,
        run: async (now) => ((await this.fleets(now)).some((entry) => entry.shifts) ? applyShifts(this.deps, now) : undefined),
      },
      {
        name: 'team-workflows',
        everyMs: POLL_INTERVAL_MS,
        run: async (now) => ((await this.fleets(now)).length > 0 ? advanceWorkflows(this.deps) : undefined),
      },
      {
        name: 'fleet-alerts',
        everyMs: ALERT_INTERVAL_MS,
        run: async (now) => {
          await this.fleets(now);
          for (const fleetId of this.alerting) this.evaluateAlerts(fleetId);
          await Promise.all([...this.alerters.values()].map((alerter) => alerter.idle()));
        },
      },
      {
        name: 'fleet-rebalance',
        everyMs: REBALANCE_INTERVAL_MS,
        run: async (now) => {
          if ((await this.fleets(now)).length === 0) return;
          for (const fleet of await fleetsWithStuckTasks(this.deps)) {
            await rebalanceFleet(this.deps, fleet.organizationId, fleet.id, 'scheduled');
          }
        },
      },
    ];
  }

  /** The census, read again when this process changed a fleet's policies or it is older than {@link CENSUS_MAX_AGE_MS}. */
  private async fleets(now: Date): Promise<CensusEntry[]> {
    const at = now.getTime();
    if (this.census && at >= this.census.readAt && at - this.census.readAt < CENSUS_MAX_AGE_MS) return this.census.fleets;
    const rows = await this.deps.db
      .select({
        id: fleets.id,
        organizationId: fleets.organizationId,
        auto: sql<boolean>`coalesce(${fleets.scaling}->>'mode' = 'AUTO', false)`,
        scheduled: sql<boolean>`coalesce(jsonb_array_length(${fleets.scaling}->'schedule') > 0, false)`,
        sla: sql<boolean>`coalesce(${fleets.sla}->>'responseTimeSeconds' is not null or ${fleets.sla}->>'resolutionTimeSeconds' is not null, false)`,
        shifts: sql<boolean>`exists (select 1 from ${shifts} where ${shifts.fleetId} = ${fleets.id})`,
        alerts: sql<boolean>`exists (select 1 from ${fleetAlerts} where ${fleetAlerts.fleetId} = ${fleets.id})`,
      })
      .from(fleets);
    this.census = { fleets: rows, readAt: at };
    this.alerting = new Set(rows.filter((row) => row.alerts).map((row) => row.id));
    return rows;
  }

  /** A `Worker.*` event concerns the worker's fleet, if it has one. */
  private async reactToWorker(event: AppendedEvent<EventTypesOf<'Worker'>>): Promise<void> {
    if (!event.subjectId) return;
    const fleetId = await this.fleetOfWorker(event.subjectId).catch((error: unknown) => {
      this.deps.logger.error({ err: error, type: event.type }, 'could not map an event to its fleet');
      return null;
    });
    this.react(event, fleetId);
  }

  /** Reacts to an event of fleet `fleetId`: status push, settling, team pipelines, alerts. */
  private react({ organizationId, type }: AppendedEvent<EventTypesOf<'Fleet' | 'Worker'>>, fleetId: string | null): void {
    if (!fleetId) return;
    this.deps.bus.publish('fleet:changed', fleetId, { type });
    if (type === 'Fleet.deleted') return this.forget(fleetId);
    if (SETTLE_ON.has(type)) this.settle(organizationId, fleetId);
    if (TASK_ENDED.has(type)) this.workflows.kick();
    if (type === 'Fleet.alerts.configured') this.alerting.add(fleetId);
    if (this.alerting.has(fleetId) && !ALERT_RAISED.has(type)) this.evaluateAlerts(fleetId);
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

  /** Drops what this process remembers of deleted fleet `fleetId`; its released workers are read again. */
  private forget(fleetId: string): void {
    this.alerting.delete(fleetId);
    this.settlers.delete(fleetId);
    this.alerters.delete(fleetId);
    for (const [workerId, known] of this.workerFleets) if (known === fleetId) this.workerFleets.delete(workerId);
  }

  /** The fleet of worker `workerId` (null: none), remembered. */
  private async fleetOfWorker(workerId: string): Promise<string | null> {
    const known = this.workerFleets.get(workerId);
    if (known !== undefined) return known;
    const [row] = await this.deps.db.select({ fleetId: workers.fleetId }).from(workers).where(eq(workers.id, workerId));
    if (this.workerFleets.size >= WORKER_FLEET_CACHE) this.workerFleets.clear();
    this.workerFleets.set(workerId, row?.fleetId ?? null);
    return row?.fleetId ?? null;
  }
}
