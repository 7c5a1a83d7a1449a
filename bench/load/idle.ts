/**
 * Row "idle server" (goal ≤ 1 SQL statement a second): our server on a fresh PostgreSQL
 * database, seeded with a fleet of 5 workers, left alone for IDLE_S seconds (default 60)
 * after SETTLE_S (default 15) for start-up and seeding work to end.
 *
 * Statements are counted on the wire by the proxy (pg-proxy.ts: Execute and simple Query
 * messages, BEGIN/COMMIT included). As a cross-check the runner also reports the
 * database's committed transactions (`pg_stat_database.xact_commit` delta, read from
 * another database so that the reading does not count). PostgreSQL flushes a busy
 * backend's counters at most once a second and an idle one's after 10 s, so the second
 * reading is taken 11 s after the window: the figure is approximate.
 *
 * `npx tsx bench/load/idle.ts`
 */
import postgres from 'postgres';

import { envNumber, freshDatabase, onFinish, PG_SERVER, r3, report, runner, startOurs } from './harness.js';
import { startPgProxy } from './pg-proxy.js';
import { createFleet } from './seed.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

runner(async () => {
  const database = await freshDatabase('idle');
  const name = new URL(database).pathname.slice(1);
  const proxy = await startPgProxy(database);
  onFinish(() => proxy.close());
  const ours = await startOurs('ours', { DATABASE_URL: proxy.url });
  await createFleet(ours.url, undefined, { name: 'Idle', size: 5 });
  await sleep(envNumber('SETTLE_S', 15) * 1000);

  const stats = postgres(PG_SERVER, { max: 1, onnotice: () => {} });
  onFinish(() => stats.end());
  const commits = async () => Number((await stats`select xact_commit + xact_rollback as n from pg_stat_database where datname = ${name}`)[0]!.n);
  const seconds = envNumber('IDLE_S', 60);
  const statements0 = proxy.statements();
  const commits0 = await commits();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const statements = proxy.statements() - statements0;
  await sleep(11_000);
  const transactions = (await commits()) - commits0;
  await report('idle', {
    goal: '<= 1 statement/s',
    seconds: r3(elapsed),
    statements,
    statementsPerSecond: r3(statements / elapsed),
    transactionsPerSecondApprox: r3(transactions / elapsed),
  });
});
