/**
 * SQL statements an operation costs, counted with the database's statement hook
 * (`openDatabase`'s `onStatement`: every statement postgres.js sends, BEGIN and COMMIT
 * included; on PGlite drizzle's statements plus BEGIN / COMMIT per transaction):
 *
 * - `assignTask` over HTTP, to one of 10 ACTIVE workers without a protocol, one call at
 *   a time, everything it sets off included (reactions, scheduler wake-ups): the count
 *   until no statement has been sent for 300 ms, averaged over 50 calls;
 * - an idle started server: statements per second over `IDLE_SECONDS` (default 60) of
 *   the real clock, nothing happening.
 *
 *   npx tsx bench/statements.ts
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/statements.ts
 */
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createTestDatabase } from '../test/support/test-app.js';

const CALLS = 50;
const WORKERS = 10;
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 60);

const database = process.env.DATABASE_URL ? await createTestDatabase() : undefined;
const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory://', LOG_LEVEL: 'silent', ...database?.env });
let statements = 0;
let lastStatementAt = Date.now();
const app = await createApp(config, {
  logger: createLogger('silent'),
  onStatement: () => {
    statements += 1;
    lastStatementAt = Date.now();
  },
});
const url = await app.start();

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: any; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Resolves once no statement was sent for `quietMs`. */
async function quiet(quietMs = 300): Promise<void> {
  while (Date.now() - lastStatementAt < quietMs) await new Promise((resolve) => setTimeout(resolve, 50));
}

const workerIds: string[] = [];
for (let i = 0; i < WORKERS; i += 1) {
  const { hireWorker } = await gql(`mutation ($name: String!) { hireWorker(input: { name: $name, role: "Agent" }) { ... on Worker { id } } }`, { name: `W${i}` });
  await gql(`mutation ($id: ID!) { onboardWorker(input: { workerId: $id }) { __typename } }`, { id: hireWorker.id });
  await gql(`mutation ($id: ID!) { activateWorker(input: { workerId: $id }) { __typename } }`, { id: hireWorker.id });
  workerIds.push(hireWorker.id);
}
// Warm-up: caches (a worker's fleet, trigger/webhook interest) fill on first use.
for (const id of workerIds) await gql(`mutation ($id: ID!) { assignTask(input: { workerId: $id, action: "warm" }) { __typename } }`, { id });
await quiet();

let perCall = 0;
for (let i = 0; i < CALLS; i += 1) {
  const before = statements;
  const { assignTask } = await gql(`mutation ($id: ID!) { assignTask(input: { workerId: $id, action: "work" }) { __typename } }`, {
    id: workerIds[i % WORKERS],
  });
  if (assignTask.__typename !== 'Task') throw new Error(`assignTask answered ${assignTask.__typename}`);
  await quiet();
  perCall += statements - before;
}
console.log(`assignTask: ${(perCall / CALLS).toFixed(1)} statements per call (${CALLS} calls, ${app.database.description})`);

await quiet();
const idleFrom = statements;
await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
console.log(`idle: ${((statements - idleFrom) / IDLE_SECONDS).toFixed(2)} statements per second over ${IDLE_SECONDS} s`);

await app.stop();
await database?.drop();
