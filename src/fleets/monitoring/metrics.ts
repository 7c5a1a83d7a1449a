/**
 * Fleet and per-worker metrics (docs/product/fleets.md `fleet.getMetrics()` and
 * `getWorkerMetrics()`), over all of the fleet's tasks, each in one aggregate statement.
 */
import { and, asc, eq, sql } from 'drizzle-orm';

import type { Executor } from '../../db/client.js';
import { tasks, taskSlaBreaches, workers } from '../../db/schema.js';
import type { WorkerRow } from '../../workers/lifecycle.js';
import { isReady, slotsInUse, workerTaskCount } from '../../tasks/predicates.js';
import { isMember } from '../core/members.js';

export interface FleetMetrics {
  /** Members. */
  totalWorkers: number;
  /** Members working on something (a RUNNING or WAITING task). */
  activeWorkers: number;
  /** ACTIVE members working on nothing. */
  idleWorkers: number;
  /** Busy slots / slots of ACTIVE members, 0–1. */
  avgUtilization: number;
  totalTasksCompleted: number;
  totalTasksFailed: number;
  /** Mean start-to-completion time of completed tasks, ms; null before the first. */
  avgCompletionTimeMs: number | null;
  /** Completed / (completed + failed); 1 before any ended. */
  successRate: number;
  /** Failed / (completed + failed); 0 before any ended. */
  errorRate: number;
  responseSlaBreaches: number;
  resolutionSlaBreaches: number;
}

/** The metrics of fleet `fleetId`. */
export async function readFleetMetrics(db: Executor, fleetId: string): Promise<FleetMetrics> {
  const [crew] = await db
    .select({
      total: sql<number>`count(*)::int`,
      active: sql<number>`(count(*) filter (where ${slotsInUse} > 0))::int`,
      idle: sql<number>`(count(*) filter (where ${workers.lifecycle} = 'ACTIVE' and ${slotsInUse} = 0))::int`,
      slots: sql<number>`coalesce(sum(${workers.concurrency}) filter (where ${workers.lifecycle} = 'ACTIVE'), 0)::int`,
      busy: sql<number>`coalesce(sum(least(${workers.concurrency}, ${slotsInUse})) filter (where ${workers.lifecycle} = 'ACTIVE'), 0)::int`,
    })
    .from(workers)
    .where(and(eq(workers.fleetId, fleetId), isMember));
  const [work] = await db
    .select({
      completed: sql<number>`(count(*) filter (where ${tasks.status} = 'COMPLETED'))::int`,
      failed: sql<number>`(count(*) filter (where ${tasks.status} = 'FAILED'))::int`,
      avgMs: sql<number | null>`(avg(extract(epoch from ${tasks.completedAt} - ${tasks.startedAt}) * 1000)
        filter (where ${tasks.status} = 'COMPLETED' and ${tasks.startedAt} is not null))::float8`,
    })
    .from(tasks)
    .where(eq(tasks.fleetId, fleetId));
  const [breaches] = await db
    .select({
      response: sql<number>`(count(*) filter (where ${taskSlaBreaches.kind} = 'RESPONSE'))::int`,
      resolution: sql<number>`(count(*) filter (where ${taskSlaBreaches.kind} = 'RESOLUTION'))::int`,
    })
    .from(taskSlaBreaches)
    .where(eq(taskSlaBreaches.fleetId, fleetId));
  const completed = work?.completed ?? 0;
  const failed = work?.failed ?? 0;
  const ended = completed + failed;
  return {
    totalWorkers: crew?.total ?? 0,
    activeWorkers: crew?.active ?? 0,
    idleWorkers: crew?.idle ?? 0,
    avgUtilization: crew?.slots ? round(crew.busy / crew.slots) : 0,
    totalTasksCompleted: completed,
    totalTasksFailed: failed,
    avgCompletionTimeMs: work?.avgMs === null || work?.avgMs === undefined ? null : Math.round(Number(work.avgMs)),
    successRate: ended === 0 ? 1 : round(completed / ended),
    errorRate: ended === 0 ? 0 : round(failed / ended),
    responseSlaBreaches: breaches?.response ?? 0,
    resolutionSlaBreaches: breaches?.resolution ?? 0,
  };
}

/** One member's figures in the fleet (seed `{ workerId, tasksCompleted, successRate, … }`). */
export interface WorkerMetrics {
  worker: WorkerRow;
  tasksCompleted: number;
  tasksFailed: number;
  /** RUNNING or WAITING. */
  tasksInProgress: number;
  /** ASSIGNED, not started. */
  tasksAssigned: number;
  successRate: number;
  avgCompletionTimeMs: number | null;
  /** Mean quality score (0–5) of rated completed tasks; null before the first rating. */
  avgQualityScore: number | null;
  /** Slots in use / concurrency, 0–1. */
  utilization: number;
}

/** Every member's metrics, oldest member first. */
export async function readWorkerMetrics(db: Executor, fleetId: string): Promise<WorkerMetrics[]> {
  const mine = sql`${tasks.assigneeId} = ${workers.id} and ${tasks.fleetId} = ${fleetId}`;
  const rows = await db
    .select({
      worker: workers,
      completed: sql<number>`(select count(*) from ${tasks} where ${mine} and ${tasks.status} = 'COMPLETED')::int`,
      failed: sql<number>`(select count(*) from ${tasks} where ${mine} and ${tasks.status} = 'FAILED')::int`,
      inProgress: slotsInUse,
      assigned: workerTaskCount(isReady),
      avgMs: sql<number | null>`(select avg(extract(epoch from ${tasks.completedAt} - ${tasks.startedAt}) * 1000)
        from ${tasks} where ${mine} and ${tasks.status} = 'COMPLETED')::float8`,
      quality: sql<number | null>`(select avg(${tasks.qualityScore}) from ${tasks} where ${mine} and ${tasks.status} = 'COMPLETED')::float8`,
    })
    .from(workers)
    .where(and(eq(workers.fleetId, fleetId), isMember))
    .orderBy(asc(workers.id));
  return rows.map((row) => {
    const ended = row.completed + row.failed;
    return {
      worker: row.worker,
      tasksCompleted: row.completed,
      tasksFailed: row.failed,
      tasksInProgress: row.inProgress,
      tasksAssigned: row.assigned,
      successRate: ended === 0 ? 1 : round(row.completed / ended),
      avgCompletionTimeMs: row.avgMs === null ? null : Math.round(Number(row.avgMs)),
      avgQualityScore: row.quality === null ? null : round(Number(row.quality)),
      utilization: round(Math.min(row.inProgress, row.worker.concurrency) / row.worker.concurrency),
    };
  });
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
