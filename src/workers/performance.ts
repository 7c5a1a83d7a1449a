/**
 * Worker performance (docs/product/worker.md "Performance Tracking"), computed in SQL over
 * the task and event tables. Every task figure reads `tasks_assignee_performance_idx`
 * (assignee, status, completed_at, started_at, assigned_at, quality_score) only, so it
 * stays fast for a worker with 100 000 tasks (bench/README.md shows the plans). Averages
 * and rates of a worker without finished tasks are null, counts 0.
 */
import { and, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';

import type { Executor, Transaction } from '../db/client.js';
import type { KpiPeriod, WorkerKpi } from '../db/documents.js';
import { events, tasks, workers } from '../db/schema.js';
import type { Outbox } from '../events/outbox.js';
import { isNotStarted, occupiesSlot } from '../tasks/predicates.js';
import type { WorkerRow } from './lifecycle.js';

/** Work statistics over all of a worker's tasks (seed `getWorkStats`). */
export interface WorkerStats {
  tasksCompleted: number;
  tasksFailed: number;
  tasksInProgress: number;
  tasksPending: number;
  /** Mean of completed_at − started_at over completed tasks, milliseconds. */
  avgCompletionTimeMs: number | null;
  /** completed / (completed + failed), 0–1. */
  successRate: number | null;
  /** Mean quality score (0–5) of rated completed tasks. */
  qualityScore: number | null;
}

const ms = (interval: SQL) => sql<number | null>`(extract(epoch from avg(${interval})) * 1000)::float8`;

/** The query behind {@link workerStats}; exported so that bench/ can EXPLAIN it. */
export function workerStatsQuery(db: Executor, workerId: string) {
  return db
    .select({
      tasksCompleted: sql<number>`(count(*) filter (where ${tasks.status} = 'COMPLETED'))::int`,
      tasksFailed: sql<number>`(count(*) filter (where ${tasks.status} = 'FAILED'))::int`,
      tasksInProgress: sql<number>`(count(*) filter (where ${occupiesSlot}))::int`,
      tasksPending: sql<number>`(count(*) filter (where ${isNotStarted}))::int`,
      avgCompletionTimeMs: sql<number | null>`(extract(epoch from avg(${tasks.completedAt} - ${tasks.startedAt}) filter (where ${tasks.status} = 'COMPLETED')) * 1000)::float8`,
      successRate: sql<number | null>`((count(*) filter (where ${tasks.status} = 'COMPLETED'))::float8 / nullif(count(*) filter (where ${inArray(tasks.status, ['COMPLETED', 'FAILED'])}), 0))`,
      qualityScore: sql<number | null>`(avg(${tasks.qualityScore}) filter (where ${tasks.status} = 'COMPLETED'))::float8`,
    })
    .from(tasks)
    .where(eq(tasks.assigneeId, workerId));
}

/** Work statistics of worker `workerId`: one aggregate over its index entries. */
export async function workerStats(db: Executor, workerId: string): Promise<WorkerStats> {
  const [row] = await workerStatsQuery(db, workerId);
  return row!;
}

/** Look-back windows of `productivity` (seed: `period: 'last_week'`). */
export const PRODUCTIVITY_PERIOD_DAYS = { LAST_DAY: 1, LAST_WEEK: 7, LAST_30_DAYS: 30, LAST_90_DAYS: 90 } as const;
export type ProductivityPeriod = keyof typeof PRODUCTIVITY_PERIOD_DAYS;

/** Productivity over a window ending now (seed `getProductivity`). */
export interface WorkerProductivity {
  period: ProductivityPeriod;
  from: Date;
  to: Date;
  tasksCompleted: number;
  /** tasksCompleted / days of the window. */
  tasksPerDay: number;
  /** Mean quality score (0–5) of tasks completed in the window. */
  qualityScore: number | null;
  /** Mean started_at − assigned_at of tasks completed in the window, milliseconds. */
  responseTimeMs: number | null;
  avgCompletionTimeMs: number | null;
}

/** The query behind {@link workerProductivity}: tasks completed in [from, to); exported for bench/. */
export function workerProductivityQuery(db: Executor, workerId: string, from: Date, to: Date) {
  return db
    .select({
      tasksCompleted: sql<number>`count(*)::int`,
      qualityScore: sql<number | null>`avg(${tasks.qualityScore})::float8`,
      responseTimeMs: ms(sql`${tasks.startedAt} - ${tasks.assignedAt}`),
      avgCompletionTimeMs: ms(sql`${tasks.completedAt} - ${tasks.startedAt}`),
    })
    .from(tasks)
    .where(
      and(eq(tasks.assigneeId, workerId), eq(tasks.status, 'COMPLETED'), gte(tasks.completedAt, from), lt(tasks.completedAt, to)),
    );
}

/**
 * Productivity of worker `workerId` over the `period` ending at `now`: tasks completed
 * in the window (an index range on completed_at within the worker's COMPLETED tasks).
 */
export async function workerProductivity(
  db: Executor,
  workerId: string,
  period: ProductivityPeriod,
  now = new Date(),
): Promise<WorkerProductivity> {
  const days = PRODUCTIVITY_PERIOD_DAYS[period];
  const from = new Date(now.getTime() - days * 86_400_000);
  const [row] = await workerProductivityQuery(db, workerId, from, now);
  return { period, from, to: now, ...row!, tasksPerDay: row!.tasksCompleted / days };
}

/** Progress of one KPI in its current period (seed `getGoalProgress`). */
export interface GoalProgress {
  name: string;
  period: KpiPeriod;
  action: string | null;
  target: number;
  actual: number;
  /** actual / target (may exceed 1). */
  progress: number;
  achieved: boolean;
  /** Start of the current period in the worker's time zone. */
  periodStart: Date;
}

const PERIOD_UNIT: Record<KpiPeriod, string> = { DAILY: 'day', WEEKLY: 'week', MONTHLY: 'month', QUARTERLY: 'quarter' };

/** The worker's time zone: its persona's working hours, else UTC. */
export function workerTimeZone(worker: Pick<WorkerRow, 'persona'>): string {
  return worker.persona?.workingHours?.timezone ?? 'UTC';
}

/**
 * Each KPI's actual value (tasks completed in its current period, with its action when
 * set) in one aggregate over the worker's completed tasks since the earliest period start.
 */
export async function goalProgress(
  db: Executor,
  worker: Pick<WorkerRow, 'id' | 'kpis' | 'persona'>,
  now = new Date(),
  kpis: WorkerKpi[] = worker.kpis,
): Promise<GoalProgress[]> {
  if (kpis.length === 0) return [];
  const zone = workerTimeZone(worker);
  const at = sql`${now.toISOString()}::timestamptz`;
  const startOf = (period: KpiPeriod) =>
    sql`(date_trunc(${sql.raw(`'${PERIOD_UNIT[period]}'`)}, ${at} at time zone ${zone}) at time zone ${zone})`;
  const fields: Record<string, SQL> = {};
  kpis.forEach((kpi, i) => {
    const start = startOf(kpi.period);
    fields[`actual${i}`] = sql<number>`(count(*) filter (where ${tasks.completedAt} >= ${start}${
      kpi.action ? sql` and ${tasks.action} = ${kpi.action}` : sql``
    }))::int`;
    fields[`start${i}`] = sql<string>`${start}`;
  });
  const earliest = sql.join(
    kpis.map((kpi) => startOf(kpi.period)),
    sql`, `,
  );
  const [row] = (await db
    .select(fields)
    .from(tasks)
    .where(
      and(
        eq(tasks.assigneeId, worker.id),
        eq(tasks.status, 'COMPLETED'),
        sql`${tasks.completedAt} >= least(${earliest})`,
        sql`${tasks.completedAt} <= ${at}`,
      ),
    )) as Array<Record<string, unknown>>;
  return kpis.map((kpi, i) => {
    const actual = Number(row?.[`actual${i}`] ?? 0);
    return {
      name: kpi.name,
      period: kpi.period,
      action: kpi.action ?? null,
      target: kpi.target,
      actual,
      progress: kpi.target > 0 ? actual / kpi.target : 1,
      achieved: actual >= kpi.target,
      periodStart: new Date(String(row?.[`start${i}`])),
    };
  });
}

/**
 * After `task` completed: appends `Worker.goal.achieved` for each KPI the task counts
 * towards whose actual value just reached its target (once per KPI and period; the
 * caller holds the worker's lock, so concurrent completions cannot both cross).
 */
export async function recordGoalsAchieved(
  tx: Transaction,
  outbox: Outbox,
  worker: WorkerRow,
  task: Pick<typeof tasks.$inferSelect, 'id' | 'action'>,
  now: Date,
): Promise<void> {
  const counted = worker.kpis.filter((kpi) => !kpi.action || kpi.action === task.action);
  for (const goal of await goalProgress(tx, worker, now, counted)) {
    if (goal.actual >= goal.target && goal.actual - 1 < goal.target) {
      await outbox.append({
        organizationId: worker.organizationId,
        type: 'Worker.goal.achieved',
        subjectId: worker.id,
        payload: {
          kpi: goal.name,
          period: goal.period,
          target: goal.target,
          actual: goal.actual,
          periodStart: goal.periodStart.toISOString(),
          taskId: task.id,
        },
      });
    }
  }
}

/** Learning so far (seed `getLearningProgress`). */
export interface LearningProgress {
  skillsAcquired: string[];
  skillsInProgress: string[];
  certificationsEarned: string[];
  trainingHoursCompleted: number;
}

/**
 * One learning item carried by a worker event's `payload.learning` array: onboarding
 * starts its training (IN_PROGRESS), activation completes it (ACQUIRED), and
 * `recordTraining` reports any later course. The newest item per skill wins.
 */
export interface LearningItem {
  skill: string;
  status: 'IN_PROGRESS' | 'ACQUIRED';
  hours?: number;
  certification?: string | null;
}

/** Learning progress of worker `workerId` from its events (index on subject_id, seq). */
export async function learningProgress(db: Executor, workerId: string): Promise<LearningProgress> {
  const items = sql`select ${events.seq} as seq, item
    from ${events} cross join lateral jsonb_array_elements(${events.payload} -> 'learning') as item
    where ${events.subjectId} = ${workerId} and jsonb_typeof(${events.payload} -> 'learning') = 'array'`;
  const latest = sql`select distinct on (item ->> 'skill') item ->> 'skill' as skill, item ->> 'status' as status
    from (${items}) items order by item ->> 'skill', seq desc`;
  const [row] = await db
    .select({
      skillsAcquired: sql<string[]>`coalesce((select array_agg(skill order by skill) from (${latest}) l where status = 'ACQUIRED'), '{}')`,
      skillsInProgress: sql<string[]>`coalesce((select array_agg(skill order by skill) from (${latest}) l where status = 'IN_PROGRESS'), '{}')`,
      certificationsEarned: sql<string[]>`coalesce((select array_agg(distinct item ->> 'certification') from (${items}) i where item ->> 'certification' is not null), '{}')`,
      trainingHoursCompleted: sql<number>`coalesce((select sum((item ->> 'hours')::float8) from (${items}) i where item ->> 'status' = 'ACQUIRED'), 0)::float8`,
    })
    .from(workers)
    .where(eq(workers.id, workerId));
  return row ?? { skillsAcquired: [], skillsInProgress: [], certificationsEarned: [], trainingHoursCompleted: 0 };
}
