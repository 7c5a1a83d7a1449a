/**
 * Benchmark of the event horizon (src/events/positions.ts): the time of one page read of
 * the domain-event log (`readSettledEvents`, what every `events` subscriber and the
 * dispatcher send), and of a bare `select` as the round-trip floor, with 0 and with 100
 * idle connections on the server, while
 * - nothing is in flight (the horizon is the snapshot's xmin; `pg_stat_activity` is not read),
 * - a transaction of this database holds an ID, but no event was committed after it (xmin still),
 * - a transaction of this database holds an ID and events were committed after it
 *   (`pg_stat_activity` is read; the transaction holds them back),
 * - the same with a transaction of another database (`pg_stat_activity` is read; it is ignored).
 * Where the server loads pg_stat_statements, each line also gives the page statement's
 * mean execution and planning time on the server (round trips from Node on a loaded
 * machine are mostly noise). Results are recorded in bench/README.md. Needs PostgreSQL
 * with room for 100 more connections; creates two scratch databases and drops them.
 *
 *   DATABASE_URL=postgres://… npx tsx bench/event-horizon.ts
 */
import { randomUUID } from 'node:crypto';

import { sql } from 'drizzle-orm';
import postgres from 'postgres';

import { openDatabase, type Database } from '../src/db/client.js';
import { DEFAULT_ORGANIZATION_ID } from '../src/db/schema.js';
import { transactionWithEvents } from '../src/events/outbox.js';
import { readSettledEvents, startPosition } from '../src/events/positions.js';
import type { Bus } from '../src/realtime/bus.js';

const RUNS = 500;
const WARMUP = 50;
const IDLE_CONNECTIONS = 100;
const EVENTS = 100;

const bus: Bus = { publish: () => {}, prepare: () => ({ publish: () => {} }), listen: () => () => {} };

/** Median and 95th percentile of `RUNS` runs of `run`, in microseconds, after `WARMUP` runs. */
async function time(run: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < WARMUP; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    samples.push((performance.now() - start) * 1000);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(RUNS / 2)]!, p95: samples[Math.floor(RUNS * 0.95)]! };
}

/** The page statement's mean execution and planning time on the server since the last reset, in microseconds. */
async function serverTime(client: postgres.Sql): Promise<string> {
  const rows = await client<Array<{ calls: number; exec: number; plan: number }>>`
    select calls::int, mean_exec_time * 1000 as exec, mean_plan_time * 1000 as plan from pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database()) and query like '%pg_current_snapshot%' and query like '%union all%'`;
  return rows.map((row) => `server: exec ${row.exec.toFixed(0)}, plan ${row.plan.toFixed(0)} (${row.calls} calls)`).join('; ');
}

/** A transaction on `client` that takes an ID and stays open until `end()`. */
async function holdId(client: postgres.Sql): Promise<{ end: () => Promise<void> }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const hasId = new Promise<void>((resolve) => (started = resolve));
  const done = client.begin(async (tx) => {
    await tx`select pg_current_xact_id()`;
    started();
    await gate;
  });
  await hasId;
  return {
    end: async () => {
      release();
      await done;
    },
  };
}

async function main() {
  const server = process.env.DATABASE_URL;
  if (!server) throw new Error('DATABASE_URL must name a PostgreSQL server');
  const admin = postgres(server, { max: 1, onnotice: () => {} });
  const names = [`workforce_bench_${randomUUID().replaceAll('-', '')}`, `workforce_bench_other_${randomUUID().replaceAll('-', '')}`];
  const urls = names.map((name) => {
    const url = new URL(server);
    url.pathname = `/${name}`;
    return url.toString();
  });
  for (const name of names) await admin.unsafe(`create database "${name}"`);
  const handle = await openDatabase({ databaseUrl: urls[0], dataDir: 'memory://' });
  const ours = postgres(urls[0]!, { max: 1, onnotice: () => {} });
  const other = postgres(urls[1]!, { max: 1, onnotice: () => {} });
  const idle = postgres(urls[0]!, { max: IDLE_CONNECTIONS, onnotice: () => {} });
  const stats = postgres(urls[0]!, { max: 1, onnotice: () => {} });
  try {
    const db: Database = handle.db;
    const append = () =>
      transactionWithEvents({ db, bus }, (_tx, outbox) => outbox.append({ organizationId: DEFAULT_ORGANIZATION_ID, type: 'Bench.appended', payload: {} }));
    const commitWithoutEvent = () => db.execute(sql`select pg_current_xact_id()`);
    for (let i = 0; i < EVENTS; i++) await append();
    const start = await startPosition(db, 0);
    const page = () => readSettledEvents(db, undefined, start, EVENTS);
    const floor = () => db.execute(sql`select 1`);

    // Server-side times where pg_stat_statements is loaded (shared_preload_libraries).
    const statements = await stats
      .unsafe('create extension if not exists pg_stat_statements')
      .then(() => stats`select pg_stat_statements_reset()`)
      .then(() => true)
      .catch(() => false);
    console.log(`page of ${EVENTS} settled events; ${RUNS} runs after ${WARMUP}; microseconds, round trip from Node`);
    for (const connections of [0, IDLE_CONNECTIONS]) {
      if (connections > 0) await Promise.all(Array.from({ length: connections }, () => idle`select 1`));
      const [{ count }] = await admin<[{ count: number }]>`select count(*)::int as count from pg_stat_activity`;
      for (const [label, client, later] of [
        ['nothing in flight', undefined, append],
        ['this database, no event after it', ours, commitWithoutEvent],
        ['this database in flight', ours, append],
        ['other database in flight', other, append],
      ] as const) {
        const held = client ? await holdId(client) : undefined;
        // A later commit, so that the held transaction is below the snapshot's xmax (in its xip).
        await later();
        const read = await page();
        if (statements) await stats`select pg_stat_statements_reset()`;
        const pageTime = await time(page);
        const floorTime = await time(floor);
        console.log(
          `${String(count).padStart(3)} backends, ${label.padEnd(33)} page ${pageTime.median.toFixed(0).padStart(5)} (p95 ${pageTime.p95.toFixed(0).padStart(5)})` +
            `   select 1 ${floorTime.median.toFixed(0).padStart(5)} (p95 ${floorTime.p95.toFixed(0).padStart(5)})` +
            `   page returned ${read.events.length}${read.heldBack ? ', held back' : ''}` +
            (statements ? `   ${await serverTime(stats)}` : ''),
        );
        await held?.end();
      }
    }
  } finally {
    await Promise.all([idle.end(), ours.end(), other.end(), stats.end()]);
    await handle.close();
    for (const name of names) await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}

await main();
