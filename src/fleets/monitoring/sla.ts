/**
 * SLAs per task (docs/product/fleets.md "sla: { responseTime: 300, resolutionTime: 3600 }", in
 * seconds): a fleet task breaches its response SLA when it starts — or, still waiting,
 * would start — more than `responseTimeSeconds` after it was queued, and its resolution
 * SLA when it ends (or, still open, would end) more than `resolutionTimeSeconds` after.
 * A cancelled task breaches nothing. The scheduler records each breach once (the key of
 * `task_sla_breaches`) and raises `Fleet.sla.breached`.
 */
import { and, eq, gt, isNotNull, notExists, or, sql, type SQL } from 'drizzle-orm';

import type { Database } from '../../db/client.js';
import { fleets, tasks, taskSlaBreaches } from '../../db/schema.js';
import { transactionWithEvents } from '../../events/outbox.js';
import type { Bus } from '../../realtime/bus.js';
import { isNotStarted, isOpen } from '../../tasks/predicates.js';

/** How far back ended tasks are checked, in ms: covers a scheduler that was down for a while. */
const ENDED_LOOKBACK_MS = 60 * 60_000;

type Kind = (typeof taskSlaBreaches.$inferSelect)['kind'];

/** Per kind: the SLA field and the instant the clock stops (null: still running at `now`). */
const KINDS: Record<Kind, { field: 'responseTimeSeconds' | 'resolutionTimeSeconds'; stop: (now: SQL) => SQL }> = {
  RESPONSE: {
    field: 'responseTimeSeconds',
    stop: (now) => sql`coalesce(${tasks.startedAt}, case when ${isNotStarted} then ${now} end)`,
  },
  RESOLUTION: {
    field: 'resolutionTimeSeconds',
    stop: (now) => sql`coalesce(${tasks.completedAt}, case when ${isOpen} then ${now} end)`,
  },
};

/**
 * Records every breach visible at `now` not recorded yet and appends `Fleet.sla.breached`
 * (taskId, kind, targetSeconds, elapsedSeconds) for each.
 * @returns the number of new breaches
 */
export async function detectSlaBreaches(deps: { db: Database; bus: Bus }, now: Date): Promise<number> {
  const at = sql`${now.toISOString()}::timestamptz`;
  let found = 0;
  for (const [kind, { field, stop }] of Object.entries(KINDS) as Array<[Kind, (typeof KINDS)[Kind]]>) {
    const target = sql`(${fleets.sla}->>${field})::int`;
    found += await transactionWithEvents(deps, async (tx, outbox) => {
      const overdue = await tx
        .select({
          taskId: tasks.id,
          organizationId: tasks.organizationId,
          fleetId: fleets.id,
          targetSeconds: sql<number>`${target}`,
          elapsedSeconds: sql<number>`extract(epoch from ${stop(at)} - ${tasks.createdAt})::float8`,
        })
        .from(tasks)
        .innerJoin(fleets, eq(fleets.id, tasks.fleetId))
        .where(
          and(
            isNotNull(sql`${fleets.sla}->>${field}`),
            or(isOpen, gt(tasks.completedAt, new Date(now.getTime() - ENDED_LOOKBACK_MS))),
            sql`${stop(at)} > ${tasks.createdAt} + make_interval(secs => ${target})`,
            notExists(
              tx
                .select({ one: sql`1` })
                .from(taskSlaBreaches)
                .where(and(eq(taskSlaBreaches.taskId, tasks.id), eq(taskSlaBreaches.kind, kind))),
            ),
          ),
        );
      if (overdue.length === 0) return 0;
      const recorded = await tx
        .insert(taskSlaBreaches)
        .values(
          overdue.map((row) => ({
            taskId: row.taskId,
            kind,
            organizationId: row.organizationId,
            fleetId: row.fleetId,
            targetSeconds: row.targetSeconds,
            detectedAt: now,
          })),
        )
        .onConflictDoNothing()
        .returning({ taskId: taskSlaBreaches.taskId });
      const recordedIds = new Set(recorded.map((row) => row.taskId));
      for (const row of overdue.filter((r) => recordedIds.has(r.taskId))) {
        await outbox.append({
          organizationId: row.organizationId,
          type: 'Fleet.sla.breached',
          subjectId: row.fleetId,
          payload: { taskId: row.taskId, kind, targetSeconds: row.targetSeconds, elapsedSeconds: Math.round(Number(row.elapsedSeconds)) },
        });
      }
      return recorded.length;
    });
  }
  return found;
}
