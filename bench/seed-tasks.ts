/**
 * Seeds one worker with `tasks` tasks (and `otherWorkers` workers sharing `otherTasks`
 * more) in a few INSERT … SELECT generate_series statements, for the performance test
 * and the benchmark. Task i of the worker: status by i mod 10 (0 FAILED, 1–7 COMPLETED,
 * 8 RUNNING, 9 ASSIGNED), completed i minutes before `now`, i mod 60 + 1 seconds of
 * work, 5 s after assignment, quality (i mod 5) + 1 (i mod 3 = 0 unrated).
 * @returns the worker's id and the figures the seed implies
 */
import { sql } from 'drizzle-orm';

import type { Database } from '../src/db/client.js';
import { DEFAULT_ORGANIZATION_ID, workers } from '../src/db/schema.js';

export interface SeedOptions {
  tasks: number;
  otherWorkers: number;
  otherTasks: number;
  now: Date;
}

export async function seedTasks(db: Database, options: SeedOptions) {
  const [worker] = await db
    .insert(workers)
    .values({ organizationId: DEFAULT_ORGANIZATION_ID, name: 'Benchmarked', role: 'SDR', lifecycle: 'ACTIVE', availability: 'AVAILABLE' })
    .returning({ id: workers.id });
  const others = await db
    .insert(workers)
    .values(Array.from({ length: options.otherWorkers }, (_, i) => ({ organizationId: DEFAULT_ORGANIZATION_ID, name: `Other ${i}`, role: 'SDR' })))
    .returning({ id: workers.id });
  const now = options.now.toISOString();
  const insert = (assignee: ReturnType<typeof sql>, count: number) => sql`
    insert into tasks (id, organization_id, action, status, assignee_id, assigned_at, started_at, completed_at, quality_score)
    select gen_random_uuid(), ${DEFAULT_ORGANIZATION_ID}, 'qualify_lead',
      (case when i % 10 = 0 then 'FAILED' when i % 10 <= 7 then 'COMPLETED' when i % 10 = 8 then 'RUNNING' else 'ASSIGNED' end)::task_status,
      ${assignee},
      ${now}::timestamptz - make_interval(mins => i) - make_interval(secs => i % 60 + 6),
      case when i % 10 <= 8 then ${now}::timestamptz - make_interval(mins => i) - make_interval(secs => i % 60 + 1) end,
      case when i % 10 <= 7 then ${now}::timestamptz - make_interval(mins => i) end,
      case when i % 10 between 1 and 7 and i % 3 <> 0 then (i % 5) + 1 end
    from generate_series(1, ${count}) as i`;
  await db.execute(insert(sql`${worker!.id}::uuid`, options.tasks));
  const ids = sql.raw(`array[${others.map((o) => `'${o.id}'::uuid`).join(',')}]`);
  await db.execute(insert(sql`(${ids})[1 + i % ${others.length}]`, options.otherTasks));

  let completed = 0;
  let failed = 0;
  let running = 0;
  let assigned = 0;
  let completedLastWeek = 0;
  let workSeconds = 0;
  let quality = 0;
  let rated = 0;
  for (let i = 1; i <= options.tasks; i++) {
    const kind = i % 10;
    if (kind === 0) failed++;
    else if (kind <= 7) {
      completed++;
      workSeconds += (i % 60) + 1;
      if (i <= 7 * 24 * 60) completedLastWeek++;
      if (i % 3 !== 0) {
        quality += (i % 5) + 1;
        rated++;
      }
    } else if (kind === 8) running++;
    else assigned++;
  }
  return {
    workerId: worker!.id,
    expected: {
      completed,
      failed,
      running,
      assigned,
      completedLastWeek,
      avgCompletionTimeMs: (workSeconds / completed) * 1000,
      qualityScore: quality / rated,
    },
  };
}
