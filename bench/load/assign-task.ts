/**
 * Row "`assignTask` over HTTP, 50 connections across 50 workers" against bare yoga +
 * postgres.js `addTask` doing one INSERT (bench/reference/baseline-yoga-pg.mjs; goal ≥ 0.35),
 * on PostgreSQL.
 *
 * A fleet of 50 ACTIVE workers (no protocol: an assigned task waits, nothing runs) is
 * created; request i goes to worker i mod 50. First our server runs behind the counting
 * proxy (pg-proxy.ts) for the statements one assignTask executes (ASSIGN_PROBES calls,
 * default 100, one at a time; idle statements of the same time subtracted), then it
 * restarts connected directly for the interleaved rounds.
 *
 * `npx tsx bench/load/assign-task.ts` (DURATION, ROUNDS, CONNECTIONS: see harness.ts)
 */
import { ab, envNumber, freshDatabase, gql, onFinish, r3, report, runner, startOurs, startReference } from './harness.js';
import { startPgProxy } from './pg-proxy.js';
import { createFleet } from './seed.js';

const ASSIGN = 'mutation ($input: AssignTaskInput!) { assignTask(input: $input) { __typename ... on Task { id status } ... on Error { message } } }';
const ADD = 'mutation ($workerId: ID!, $action: String!, $input: JSON) { addTask(workerId: $workerId, action: $action, input: $input) { id status } }';

runner(async () => {
  const database = await freshDatabase('assign_task');
  const proxy = await startPgProxy(database);
  onFinish(() => proxy.close());
  const probe = await startOurs('ours-probe', { DATABASE_URL: proxy.url });
  const { workerIds } = await createFleet(probe.url, undefined, { name: 'Assignees', size: envNumber('WORKERS', 50) });
  const assign = (workerId: string) => ({ query: ASSIGN, variables: { input: { workerId, action: 'qualify_lead', input: { lead: 'ACME' } } } });

  const probes = envNumber('ASSIGN_PROBES', 100);
  const idleFrom = proxy.statements();
  const idleStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const idlePerMs = (proxy.statements() - idleFrom) / (performance.now() - idleStart);
  const before = proxy.statements();
  const started = performance.now();
  for (let i = 0; i < probes; i++) {
    const { assignTask } = await gql(probe.url, assign(workerIds[i % workerIds.length]!).query, assign(workerIds[i % workerIds.length]!).variables);
    if (assignTask.__typename !== 'Task') throw new Error(JSON.stringify(assignTask));
  }
  const statementsPerAssign = r3((proxy.statements() - before - idlePerMs * (performance.now() - started)) / probes);
  await probe.stop();

  const ours = await startOurs('ours', { DATABASE_URL: database });
  const reference = await startReference('yoga-pg', 'baseline-yoga-pg.mjs', { DATABASE_URL: database });
  const bodies = workerIds.map(assign);
  const refBodies = workerIds.map((workerId) => ({ query: ADD, variables: { workerId, action: 'qualify_lead', input: { lead: 'ACME' } } }));
  const summary = await ab([
    { name: 'yoga-pg-addTask', url: reference.url, body: refBodies[0]!, bodies: refBodies, ref: true, pid: reference.pid },
    { name: 'ours-assignTask', url: ours.url, body: bodies[0]!, bodies, pid: ours.pid },
  ]);
  const mine = summary.find((s) => s.name === 'ours-assignTask')!;
  await report('assign-task', {
    goal: '>= 0.35',
    ratioPerRound: mine.rpsRatioTo!['yoga-pg-addTask'],
    ratioMedian: mine.rpsRatioMedianTo!['yoga-pg-addTask'],
    statementsPerAssign,
    idleStatementsPerSecond: r3(idlePerMs * 1000),
    summary,
  });
});
