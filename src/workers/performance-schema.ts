/** GraphQL fields of worker performance (stats, productivity, goalProgress, learningProgress). */
import { builder } from '../graphql/builder.js';
import {
  goalProgress,
  learningProgress,
  PRODUCTIVITY_PERIOD_DAYS,
  workerProductivity,
  workerStats,
  type GoalProgress,
  type LearningProgress,
  type WorkerProductivity,
  type WorkerStats,
} from './performance.js';
import { KpiPeriodEnum, Worker } from './schema.js';

const ProductivityPeriodEnum = builder.enumType('ProductivityPeriod', {
  description: 'A look-back window ending now.',
  values: {
    LAST_DAY: { description: 'The last 24 hours.' },
    LAST_WEEK: { description: 'The last 7 days.' },
    LAST_30_DAYS: { description: 'The last 30 days.' },
    LAST_90_DAYS: { description: 'The last 90 days.' },
  } satisfies Record<keyof typeof PRODUCTIVITY_PERIOD_DAYS, { description: string }>,
});

const WorkerStatsRef = builder.objectRef<WorkerStats>('WorkerStats').implement({
  description: 'Work statistics over all of a worker’s tasks; averages and rates are null without finished tasks.',
  fields: (t) => ({
    tasksCompleted: t.exposeInt('tasksCompleted', { description: 'Tasks COMPLETED.' }),
    tasksFailed: t.exposeInt('tasksFailed', { description: 'Tasks FAILED.' }),
    tasksInProgress: t.exposeInt('tasksInProgress', { description: 'Tasks RUNNING or WAITING.' }),
    tasksPending: t.exposeInt('tasksPending', { description: 'Tasks PENDING or ASSIGNED.' }),
    avgCompletionTimeMs: t.exposeFloat('avgCompletionTimeMs', { nullable: true, description: 'Mean time from start to completion, milliseconds.' }),
    successRate: t.exposeFloat('successRate', { nullable: true, description: 'Completed / (completed + failed), 0–1.' }),
    qualityScore: t.exposeFloat('qualityScore', { nullable: true, description: 'Mean quality score (0–5) of rated completed tasks.' }),
  }),
});

const ProductivityRef = builder.objectRef<WorkerProductivity>('WorkerProductivity').implement({
  description: 'Productivity over a window ending now, from the tasks completed in it.',
  fields: (t) => ({
    period: t.field({ type: ProductivityPeriodEnum, description: 'The window.', resolve: (p) => p.period }),
    from: t.expose('from', { type: 'DateTime', description: 'Start of the window.' }),
    to: t.expose('to', { type: 'DateTime', description: 'End of the window (now).' }),
    tasksCompleted: t.exposeInt('tasksCompleted', { description: 'Tasks completed in the window.' }),
    tasksPerDay: t.exposeFloat('tasksPerDay', { description: 'Tasks completed per day of the window.' }),
    qualityScore: t.exposeFloat('qualityScore', { nullable: true, description: 'Mean quality score (0–5).' }),
    responseTimeMs: t.exposeFloat('responseTimeMs', { nullable: true, description: 'Mean time from assignment to start, milliseconds.' }),
    avgCompletionTimeMs: t.exposeFloat('avgCompletionTimeMs', { nullable: true, description: 'Mean time from start to completion, milliseconds.' }),
  }),
});

const GoalProgressRef = builder.objectRef<GoalProgress>('GoalProgress').implement({
  description: 'Progress of one KPI in its current period (in the worker’s time zone).',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'KPI name.' }),
    period: t.field({ type: KpiPeriodEnum, description: 'The KPI’s period.', resolve: (g) => g.period }),
    action: t.exposeString('action', { nullable: true, description: 'The task action counted; null: all.' }),
    target: t.exposeFloat('target', { description: 'Target for the period.' }),
    actual: t.exposeFloat('actual', { description: 'Tasks completed so far in the period.' }),
    progress: t.exposeFloat('progress', { description: 'actual / target (above 1 when exceeded).' }),
    achieved: t.exposeBoolean('achieved', { description: 'Whether the target is reached (`Worker.goal.achieved` was appended).' }),
    periodStart: t.expose('periodStart', { type: 'DateTime', description: 'Start of the current period.' }),
  }),
});

const LearningProgressRef = builder.objectRef<LearningProgress>('LearningProgress').implement({
  description: 'Skills and training from onboarding and `recordTraining`.',
  fields: (t) => ({
    skillsAcquired: t.exposeStringList('skillsAcquired', { description: 'Skills whose training is complete.' }),
    skillsInProgress: t.exposeStringList('skillsInProgress', { description: 'Skills in training.' }),
    certificationsEarned: t.exposeStringList('certificationsEarned', { description: 'Certifications earned.' }),
    trainingHoursCompleted: t.exposeFloat('trainingHoursCompleted', { description: 'Hours of completed training.' }),
  }),
});

builder.drizzleObjectFields(Worker, (t) => ({
  stats: t.field({
    type: WorkerStatsRef,
    description: 'Work statistics over all tasks.',
    resolve: (worker, _args, ctx) => workerStats(ctx.db, worker.id),
  }),
  productivity: t.field({
    type: ProductivityRef,
    description: 'Productivity over a window ending now.',
    args: { period: t.arg({ type: ProductivityPeriodEnum, required: true, description: 'The window.' }) },
    resolve: (worker, args, ctx) => workerProductivity(ctx.db, worker.id, args.period),
  }),
  goalProgress: t.field({
    type: [GoalProgressRef],
    description: 'Progress of each KPI in its current period, in KPI order.',
    select: { columns: { kpis: true, persona: true } },
    resolve: (worker, _args, ctx) => goalProgress(ctx.db, worker),
  }),
  learningProgress: t.field({
    type: LearningProgressRef,
    description: 'Skills acquired and in progress, certifications, training hours.',
    resolve: (worker, _args, ctx) => learningProgress(ctx.db, worker.id),
  }),
}));
