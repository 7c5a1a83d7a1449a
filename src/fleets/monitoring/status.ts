/**
 * A fleet's real-time status (docs/product/fleets.md `fleet.getRealtimeStatus()`: queueDepth,
 * processing, completed, failed, avgWaitTime, healthScore), derived from the database in
 * three aggregate statements: over the fleet's tasks, its workers and its SLA breaches.
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm';

import type { Executor } from '../../db/client.js';
import { fleets, tasks, taskSlaBreaches, workers } from '../../db/schema.js';
import { isQueued, isReady, occupiesSlot, slotsInUse } from '../../tasks/predicates.js';
import { takingWork } from '../../workers/lifecycle.js';
import { isMember } from '../core/members.js';

/** Window of the wait-time average, in ms: tasks started in the last 5 minutes. */
export const WAIT_WINDOW_MS = 5 * 60_000;

/** Window of the success rate in the health score, in ms: tasks ended in the last hour. */
export const HEALTH_WINDOW_MS = 60 * 60_000;

export interface FleetStatus {
  fleetId: string;
  /** The instant the figures describe. */
  at: Date;
  /** Members: workers neither offboarded nor retiring. */
  size: number;
  /** Workers finishing their last tasks before they leave. */
  retiring: number;
  /** Tasks waiting in the fleet queue (PENDING). */
  queueDepth: number;
  /** Tasks given to a worker, not started yet. */
  assigned: number;
  /** Tasks being worked on (RUNNING or WAITING). */
  processing: number;
  completed: number;
  failed: number;
  /** Slots of ACTIVE, AVAILABLE or WORKING members (the sum of their concurrency). */
  slots: number;
  /** Slots in use. */
  busySlots: number;
  /** busySlots / slots, 0–1 (0 without slots). */
  utilization: number;
  /**
   * Mean wait from queueing to start, in ms: over tasks started in the last
   * {@link WAIT_WINDOW_MS} and the tasks still queued (their wait so far).
   */
  avgWaitTimeMs: number;
  /** Completed / (completed + failed) over the last {@link HEALTH_WINDOW_MS}; 1 when none ended. */
  recentSuccessRate: number;
  /** SLA breaches detected in the last {@link HEALTH_WINDOW_MS}. */
  slaBreaches: number;
  /** Share of the tasks queued in the last {@link HEALTH_WINDOW_MS} without an SLA breach; 1 when none. */
  slaCompliance: number;
  /** See {@link healthScore}. */
  healthScore: number;
}

/**
 * Health, 0–1: `0.5 × recentSuccessRate + 0.3 × backlogScore + 0.2 × slaCompliance`,
 * where backlogScore = 1 − min(1, queueDepth / max(1, slots)): a queue as long as the
 * fleet's slots scores 0, and so does any queue without a slot. The weights are ours:
 * failed work weighs most because clients feel it first, a backlog next because it
 * becomes SLA breaches, and breaches last because they are already counted late. Each
 * signal alone can take at most half the score. Rounded to 3 decimals.
 */
export function healthScore(figures: Pick<FleetStatus, 'recentSuccessRate' | 'queueDepth' | 'slots' | 'slaCompliance'>): number {
  const backlog = 1 - Math.min(1, figures.queueDepth / Math.max(1, figures.slots));
  return round(0.5 * figures.recentSuccessRate + 0.3 * backlog + 0.2 * figures.slaCompliance);
}

/** SQL: the worker row serves the fleet now (a member that takes work). */
const serving = and(isMember, takingWork);

/** SQL aggregates over task rows: tasks waiting in the fleet queue. */
const queueDepthOf = sql<number>`(count(*) filter (where ${isQueued}))::int`;
/** SQL aggregates over worker rows: the slots of serving members, and those in use. */
const slotsOf = sql<number>`coalesce(sum(${workers.concurrency}) filter (where ${serving}), 0)::int`;
const busySlotsOf = sql<number>`coalesce(sum(least(${workers.concurrency}, ${slotsInUse})) filter (where ${serving}), 0)::int`;

/** A fleet's load, as `/metrics` reports it for every fleet (src/observability/metrics.ts). */
export interface FleetLoad {
  fleetId: string;
  name: string;
  /** As {@link FleetStatus}. */
  queueDepth: number;
  slots: number;
  busySlots: number;
  utilization: number;
}

/**
 * The load of every fleet of every organisation, by the same definitions as
 * {@link readFleetStatus}, in three statements (fleets, queued tasks by fleet, members'
 * slots by fleet) whatever the number of fleets.
 */
export async function readFleetLoads(db: Executor): Promise<FleetLoad[]> {
  const [all, queues, crews] = await Promise.all([
    db.select({ id: fleets.id, name: fleets.name }).from(fleets),
    db.select({ fleetId: tasks.fleetId, queueDepth: queueDepthOf }).from(tasks).where(and(isNotNull(tasks.fleetId), isQueued)).groupBy(tasks.fleetId),
    db.select({ fleetId: workers.fleetId, slots: slotsOf, busySlots: busySlotsOf }).from(workers).where(isNotNull(workers.fleetId)).groupBy(workers.fleetId),
  ]);
  const queueOf = new Map(queues.map((row) => [row.fleetId, row.queueDepth]));
  const crewOf = new Map(crews.map((row) => [row.fleetId, row]));
  return all.map(({ id, name }) => {
    const slots = crewOf.get(id)?.slots ?? 0;
    const busySlots = crewOf.get(id)?.busySlots ?? 0;
    return { fleetId: id, name, queueDepth: queueOf.get(id) ?? 0, slots, busySlots, utilization: slots === 0 ? 0 : round(busySlots / slots) };
  });
}

/** The status of fleet `fleetId` at `now`. */
export async function readFleetStatus(db: Executor, fleetId: string, now: Date): Promise<FleetStatus> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const recent = (column: typeof tasks.completedAt | typeof tasks.createdAt) =>
    sql`${column} > ${at} - ${sql.raw(`interval '${HEALTH_WINDOW_MS} milliseconds'`)}`;
  const [work] = await db
    .select({
      queueDepth: queueDepthOf,
      assigned: sql<number>`(count(*) filter (where ${isReady}))::int`,
      processing: sql<number>`(count(*) filter (where ${occupiesSlot}))::int`,
      completed: sql<number>`(count(*) filter (where ${tasks.status} = 'COMPLETED'))::int`,
      failed: sql<number>`(count(*) filter (where ${tasks.status} = 'FAILED'))::int`,
      recentCompleted: sql<number>`(count(*) filter (where ${tasks.status} = 'COMPLETED' and ${recent(tasks.completedAt)}))::int`,
      recentFailed: sql<number>`(count(*) filter (where ${tasks.status} = 'FAILED' and ${recent(tasks.completedAt)}))::int`,
      recentTasks: sql<number>`(count(*) filter (where ${recent(tasks.createdAt)}))::int`,
      recentBreached: sql<number>`(count(*) filter (where ${recent(tasks.createdAt)}
        and exists (select 1 from ${taskSlaBreaches} where ${taskSlaBreaches.taskId} = ${tasks.id})))::int`,
      avgWaitMs: sql<number>`coalesce(avg(extract(epoch from (case
          when ${isQueued} then ${at} - ${tasks.createdAt}
          else ${tasks.startedAt} - ${tasks.createdAt} end)) * 1000) filter (where ${isQueued}
          or ${tasks.startedAt} > ${at} - ${sql.raw(`interval '${WAIT_WINDOW_MS} milliseconds'`)}), 0)::float8`,
    })
    .from(tasks)
    .where(eq(tasks.fleetId, fleetId));
  const [crew] = await db
    .select({
      size: sql<number>`(count(*) filter (where ${isMember}))::int`,
      retiring: sql<number>`(count(*) filter (where ${workers.lifecycle} <> 'OFFBOARDED' and not ${isMember}))::int`,
      slots: slotsOf,
      busySlots: busySlotsOf,
    })
    .from(workers)
    .where(eq(workers.fleetId, fleetId));
  const [sla] = await db
    .select({ breaches: sql<number>`count(*)::int` })
    .from(taskSlaBreaches)
    .where(and(eq(taskSlaBreaches.fleetId, fleetId), sql`${taskSlaBreaches.detectedAt} > ${at} - ${sql.raw(`interval '${HEALTH_WINDOW_MS} milliseconds'`)}`));
  const completed = work?.recentCompleted ?? 0;
  const recentTasks = work?.recentTasks ?? 0;
  const ended = completed + (work?.recentFailed ?? 0);
  const slots = crew?.slots ?? 0;
  const busySlots = crew?.busySlots ?? 0;
  const figures = {
    fleetId,
    at: now,
    size: crew?.size ?? 0,
    retiring: crew?.retiring ?? 0,
    queueDepth: work?.queueDepth ?? 0,
    assigned: work?.assigned ?? 0,
    processing: work?.processing ?? 0,
    completed: work?.completed ?? 0,
    failed: work?.failed ?? 0,
    slots,
    busySlots,
    utilization: slots === 0 ? 0 : round(busySlots / slots),
    avgWaitTimeMs: Math.round(Number(work?.avgWaitMs ?? 0)),
    recentSuccessRate: ended === 0 ? 1 : round(completed / ended),
    slaBreaches: sla?.breaches ?? 0,
    slaCompliance: recentTasks === 0 ? 1 : round(1 - (work?.recentBreached ?? 0) / recentTasks),
  };
  return { ...figures, healthScore: healthScore(figures) };
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
