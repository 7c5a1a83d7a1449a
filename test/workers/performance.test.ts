/**
 * Worker performance in SQL: correct for a worker with no tasks at all, and exact for a
 * worker with 100 000 tasks, whose windowed figures are an index-only range scan of
 * `tasks_assignee_performance_idx`. bench/README.md has the timings and the plan of
 * `stats` (which the planner serves from the same index once the worker's tasks are a
 * small share of the table).
 */
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Database } from '../../src/db/client.js';
import { workerProductivityQuery, workerStats } from '../../src/workers/performance.js';
import { seedTasks } from '../../bench/seed-tasks.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const PERFORMANCE = /* GraphQL */ `
  query ($id: ID!) {
    node(id: $id) {
      ... on Worker {
        stats { tasksCompleted tasksFailed tasksInProgress tasksPending avgCompletionTimeMs successRate qualityScore }
        productivity(period: LAST_WEEK) { period tasksCompleted tasksPerDay qualityScore responseTimeMs avgCompletionTimeMs }
        goalProgress { name period target actual progress achieved }
        learningProgress { skillsAcquired skillsInProgress certificationsEarned trainingHoursCompleted }
      }
    }
  }
`;

/** Plan lines of EXPLAIN for `query`, on PGlite or postgres.js. */
async function explain(db: Database, query: { getSQL(): SQL }): Promise<string> {
  const result = (await db.execute(sql`explain ${query.getSQL()}`)) as unknown;
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, string>>;
  return rows.map((row) => Object.values(row)[0]).join('\n');
}

describe('worker performance', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is well-defined for a worker with no tasks', async () => {
    const hired = await app.data(
      `mutation { hireWorker(input: { name: "New", role: "SDR", kpis: [{ name: "leads", target: 4, period: DAILY }, { name: "deals", target: 20, period: MONTHLY, action: "close_deal" }] }) { ... on Worker { id } } }`,
    );
    const { node } = await app.data(PERFORMANCE, { id: hired.hireWorker.id });
    expect(node).toEqual({
      stats: { tasksCompleted: 0, tasksFailed: 0, tasksInProgress: 0, tasksPending: 0, avgCompletionTimeMs: null, successRate: null, qualityScore: null },
      productivity: { period: 'LAST_WEEK', tasksCompleted: 0, tasksPerDay: 0, qualityScore: null, responseTimeMs: null, avgCompletionTimeMs: null },
      goalProgress: [
        { name: 'leads', period: 'DAILY', target: 4, actual: 0, progress: 0, achieved: false },
        { name: 'deals', period: 'MONTHLY', target: 20, actual: 0, progress: 0, achieved: false },
      ],
      learningProgress: { skillsAcquired: [], skillsInProgress: [], certificationsEarned: [], trainingHoursCompleted: 0 },
    });
  });

  it('is exact and index-backed for a worker with 100 000 tasks', async () => {
    const db = app.app.services.db;
    const now = new Date('2026-06-01T12:00:00Z');
    const { workerId, expected } = await seedTasks(db, { tasks: 100_000, otherWorkers: 20, otherTasks: 20_000, now });
    await db.execute(sql`vacuum analyze tasks`);

    const stats = await workerStats(db, workerId);
    expect(stats).toMatchObject({
      tasksCompleted: expected.completed,
      tasksFailed: expected.failed,
      tasksInProgress: expected.running,
      tasksPending: expected.assigned,
    });
    expect(stats.successRate).toBeCloseTo(expected.completed / (expected.completed + expected.failed), 10);
    expect(stats.avgCompletionTimeMs).toBeCloseTo(expected.avgCompletionTimeMs, 3);
    expect(stats.qualityScore).toBeCloseTo(expected.qualityScore, 10);

    const week = new Date(now.getTime() - 7 * 86_400_000);
    const [productivity] = await workerProductivityQuery(db, workerId, week, now);
    expect(productivity!.tasksCompleted).toBe(expected.completedLastWeek);

    expect(await explain(db, workerProductivityQuery(db, workerId, week, now))).toMatch(
      /Index Only Scan using tasks_assignee_performance_idx on tasks[^\n]*\n\s+Index Cond: \(\(assignee_id = [^)]+\) AND \(status = 'COMPLETED'::task_status\) AND \(completed_at >= /,
    );
  }, 120_000);
});
