/**
 * Row "`worker(id) { name role fleet { name } }`" against bare yoga + postgres.js sending
 * the same SQL (bench/reference/baseline-yoga-pg.mjs; goal ≥ 0.6), on PostgreSQL.
 *
 * 1. Our server starts behind the counting proxy (pg-proxy.ts) on a fresh database; a
 *    fleet with one worker is created. The statements one `worker(id)` request executes
 *    are captured from the wire (three times: only those in every capture, so that
 *    background work is left out), minus BEGIN/COMMIT and whatever `{ __typename }` also
 *    executes (per-request overhead such as authentication, not the read); they become
 *    the reference's statements. Statements per request are counted over READ_PROBES
 *    requests (default 200).
 * 2. That instance stops; our server starts again connected directly, and the reference
 *    on the same database. Both must answer the same data; then interleaved rounds.
 *
 * `npx tsx bench/load/read.ts` (DURATION, ROUNDS, CONNECTIONS: see harness.ts)
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ab, envNumber, freshDatabase, gql, onFinish, r3, report, runner, startOurs, startReference } from './harness.js';
import { startPgProxy, type CapturedStatement } from './pg-proxy.js';
import { createFleet } from './seed.js';

const READ = 'query ($id: ID!) { worker(id: $id) { name role fleet { name } } }';
const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release)\b/i;

runner(async () => {
  const database = await freshDatabase('read');
  const proxy = await startPgProxy(database);
  onFinish(() => proxy.close());
  const probe = await startOurs('ours-probe', { DATABASE_URL: proxy.url });
  const { workerIds } = await createFleet(probe.url, undefined, { name: 'Readers', size: 1 });
  const id = workerIds[0]!;
  const workerUuid = Buffer.from(id, 'base64').toString().replace(/^Worker:/, '');
  const expected = await gql(probe.url, READ, { id });

  // Background work (scheduler, sweeps) may execute statements during a capture: only the
  // statements seen in each of three captured reads, and not in `{ __typename }`, are the read's.
  proxy.capture();
  await gql(probe.url, '{ __typename }');
  const overhead = new Set(proxy.captured().map((s) => s.text));
  const captures: CapturedStatement[][] = [];
  for (let i = 0; i < 3; i++) {
    proxy.capture();
    await gql(probe.url, READ, { id });
    captures.push(proxy.captured());
  }
  const captured = captures.at(-1)!;
  const statements = captured
    .filter((s) => !TRANSACTION_CONTROL.test(s.text) && !overhead.has(s.text) && captures.every((c) => c.some((t) => t.text === s.text)))
    .map((s) => ({ text: s.text, params: s.params.map((p) => (p === workerUuid ? '$WORKER_ID' : p)) }));
  if (statements.length === 0) throw new Error(`no read statement captured: ${JSON.stringify(captured)}`);
  const statementsFile = path.join(tmpdir(), `bench-read-statements-${process.pid}.json`);
  writeFileSync(statementsFile, JSON.stringify(statements, null, 2));
  console.log(`captured ${statements.length} statement(s) of ${captured.length} executed:\n${statements.map((s) => s.text).join('\n')}`);

  const probes = envNumber('READ_PROBES', 200);
  const before = proxy.statements();
  for (let i = 0; i < probes; i++) await gql(probe.url, READ, { id });
  const statementsPerRead = r3((proxy.statements() - before) / probes);
  await probe.stop();

  const ours = await startOurs('ours', { DATABASE_URL: database });
  const reference = await startReference('yoga-pg', 'baseline-yoga-pg.mjs', { DATABASE_URL: database, STATEMENTS_FILE: statementsFile });
  const answer = await gql(reference.url, READ, { id });
  if (JSON.stringify(answer) !== JSON.stringify(expected)) throw new Error(`the reference answers ${JSON.stringify(answer)}, ours ${JSON.stringify(expected)}`);
  const body = { query: READ, variables: { id } };
  const summary = await ab([
    { name: 'yoga-pg', url: reference.url, body, ref: true, pid: reference.pid },
    { name: 'ours', url: ours.url, body, pid: ours.pid },
  ]);
  const mine = summary.find((s) => s.name === 'ours')!;
  await report('read', {
    goal: '>= 0.6',
    ratioPerRound: mine.rpsRatioTo!['yoga-pg'],
    ratioMedian: mine.rpsRatioMedianTo!['yoga-pg'],
    statementsPerRead,
    readStatements: statements.map((s) => `${s.text.slice(0, 120)}…`),
    summary,
  });
});
