/**
 * Benchmark of worker performance queries (src/workers/performance.ts) for a worker
 * with 100 000 tasks among 200 000: seeds a fresh database, then times each query and
 * prints its EXPLAIN (ANALYZE, BUFFERS) plan. Results are recorded in bench/README.md.
 *
 *   npx tsx bench/worker-stats.ts                      # embedded PGlite, in memory
 *   DATABASE_URL=postgres://… npx tsx bench/worker-stats.ts   # a scratch database on that server
 */
import { randomUUID } from 'node:crypto';

import { sql, type SQL } from 'drizzle-orm';
import postgres from 'postgres';

import { openDatabase, type Database } from '../src/db/client.js';
import { goalProgress, learningProgress, workerProductivityQuery, workerStatsQuery } from '../src/workers/performance.js';
import { seedTasks } from './seed-tasks.js';

const RUNS = 20;
/** Tasks of 50 other workers around the benchmarked one (env OTHER_TASKS, default 900 000). */
const OTHER_TASKS = Number(process.env.OTHER_TASKS ?? 900_000);

async function explain(db: Database, query: SQL): Promise<string> {
  const result = (await db.execute(sql`explain (analyze, buffers) ${query}`)) as unknown;
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<Record<string, string>>;
  return rows.map((row) => Object.values(row)[0]).join('\n');
}

async function time(label: string, run: () => Promise<unknown>): Promise<void> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label.padEnd(28)} median ${samples[RUNS / 2]!.toFixed(1)} ms   p95 ${samples[Math.floor(RUNS * 0.95)]!.toFixed(1)} ms`);
}

async function main() {
  const server = process.env.DATABASE_URL;
  let drop: (() => Promise<void>) | undefined;
  let url: string | undefined;
  if (server) {
    const name = `workforce_bench_${randomUUID().replaceAll('-', '')}`;
    const admin = postgres(server, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const target = new URL(server);
    target.pathname = `/${name}`;
    url = target.toString();
    drop = async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  }
  const handle = await openDatabase({ databaseUrl: url, dataDir: 'memory://' });
  try {
    const db = handle.db;
    const now = new Date();
    const seedStart = performance.now();
    const { workerId } = await seedTasks(db, { tasks: 100_000, otherWorkers: 50, otherTasks: OTHER_TASKS, now });
    await db.execute(sql`vacuum analyze tasks`);
    console.log(`${handle.description}: seeded ${100_000 + OTHER_TASKS} tasks in ${((performance.now() - seedStart) / 1000).toFixed(1)} s\n`);

    const week = new Date(now.getTime() - 7 * 86_400_000);
    const kpis = [
      { name: 'daily', target: 100, period: 'DAILY' as const, action: 'qualify_lead' },
      { name: 'monthly', target: 1000, period: 'MONTHLY' as const, action: null },
    ];
    await time('stats', () => workerStatsQuery(db, workerId));
    await time('productivity(LAST_WEEK)', () => workerProductivityQuery(db, workerId, week, now));
    await time('goalProgress (2 KPIs)', () => goalProgress(db, { id: workerId, kpis, persona: null }, now));
    await time('learningProgress', () => learningProgress(db, workerId));

    console.log(`\nstats:\n${await explain(db, workerStatsQuery(db, workerId).getSQL())}`);
    console.log(`\nproductivity(LAST_WEEK):\n${await explain(db, workerProductivityQuery(db, workerId, week, now).getSQL())}`);
  } finally {
    await handle.close();
    await drop?.();
  }
}

await main();
