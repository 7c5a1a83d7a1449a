/**
 * Row "`assignWork` of 1 000 tasks in one call, LEAST_LOADED" against raw
 * `FOR UPDATE SKIP LOCKED` claims through postgres.js, 100 per transaction
 * (bench/reference/claim-limit.mjs; goal ≥ 0.25 of its tasks/s, 0 double assignments), on
 * PostgreSQL.
 *
 * Our side: fleets of 50 ACTIVE workers with `concurrency` 20 (1 000 free slots, no
 * protocol: assigned tasks wait) are created up front, one per call; each call hands
 * TASKS tasks (default 1 000) to a fresh fleet, CALLS calls per round (default 2), timed
 * from request to answer: tasks/s = tasks / time. When the server refuses the batch
 * (a cap on tasks per call), that is recorded and the same tasks go in calls of the
 * largest accepted size (FALLBACK_BATCH, default 500), timed together.
 * Reference: claim-limit.mjs with one claimer (CLAIMERS, default 1: like one call) claiming
 * CLAIM_TASKS (default 20 000) queued tasks 100 per transaction, in a table of its own in
 * the same database. Rounds interleave reference and ours.
 *
 * Afterwards, in SQL: tasks held beyond their worker's `concurrency` (ASSIGNED, RUNNING,
 * WAITING) and tasks with more than one `Worker.assigned` event: both must be 0.
 *
 * `npx tsx bench/load/assign-work.ts` (ROUNDS: see harness.ts)
 */
import { spawn } from 'node:child_process';

import postgres from 'postgres';

import { envNumber, freshDatabase, median, onFinish, r3, report, ROOT, runner, startOurs } from './harness.js';
import { createFleet } from './seed.js';

const ASSIGN_WORK = `mutation ($input: AssignWorkInput!) { assignWork(input: $input) { __typename
  ... on WorkAssignment { assigned queued } ... on ValidationError { issues { path message } } ... on Error { message } } }`;

/** Posts one assignWork; resolves with the answer and the milliseconds it took. */
async function assignWork(url: string, fleetId: string, tasks: unknown[]): Promise<{ result: Record<string, any>; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: ASSIGN_WORK, variables: { input: { fleetId, strategy: 'LEAST_LOADED', tasks } } }),
  });
  const body = (await res.json()) as { data?: { assignWork: Record<string, any> }; errors?: unknown };
  const ms = performance.now() - t0;
  if (!body.data) throw new Error(`assignWork: ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
  return { result: body.data.assignWork, ms };
}

/** One run of claim-limit.mjs at 100 per transaction; resolves with its tasks/s. */
async function claimLimit(database: string): Promise<{ perSecond: number; duplicates: number }> {
  const child = spawn(process.execPath, ['bench/reference/claim-limit.mjs', database, String(envNumber('CLAIMERS', 1))], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', N: String(envNumber('CLAIM_TASKS', 20_000)), BATCHES: '100' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(out.trim().split('\n').at(-1)!) as { perSecond: number; duplicates: number };
}

runner(async () => {
  const rounds = envNumber('ROUNDS', 2);
  const calls = envNumber('CALLS', 2);
  const size = envNumber('TASKS', 1000);
  const fallbackBatch = envNumber('FALLBACK_BATCH', 500);
  const database = await freshDatabase('assign_work');
  const ours = await startOurs('ours', { DATABASE_URL: database });
  const fleets: string[] = [];
  for (let i = 0; i < rounds * calls; i++) {
    fleets.push((await createFleet(ours.url, undefined, { name: `Batch ${i}`, size: 50, concurrency: Math.ceil(size / 50) })).fleetId);
  }
  const tasks = Array.from({ length: size }, (_, i) => ({ action: 'qualify_lead', input: { lead: i } }));

  let refused: string | undefined;
  const oneCall = async (fleetId: string): Promise<{ ms: number; assigned: number }> => {
    if (!refused) {
      const { result, ms } = await assignWork(ours.url, fleetId, tasks);
      if (result.__typename === 'WorkAssignment') return { ms, assigned: result.assigned as number };
      refused = JSON.stringify(result);
      console.log(`one call of ${size} tasks refused: ${refused}; calls of ${fallbackBatch} from now on`);
    }
    let ms = 0;
    let assigned = 0;
    for (let i = 0; i < tasks.length; i += fallbackBatch) {
      const part = await assignWork(ours.url, fleetId, tasks.slice(i, i + fallbackBatch));
      if (part.result.__typename !== 'WorkAssignment') throw new Error(JSON.stringify(part.result));
      ms += part.ms;
      assigned += part.result.assigned as number;
    }
    return { ms, assigned };
  };

  const perRound: Array<{ round: number; referencePerSecond: number; oursPerSecond: number; assigned: number; ratio: number }> = [];
  await oneCall((await createFleet(ours.url, undefined, { name: 'Warm-up', size: 50, concurrency: Math.ceil(size / 50) })).fleetId);
  for (let round = 0; round < rounds; round++) {
    const reference = await claimLimit(database);
    console.log(JSON.stringify({ round, name: 'claim-limit-100', ...reference }));
    let ms = 0;
    let assigned = 0;
    for (let c = 0; c < calls; c++) {
      const call = await oneCall(fleets[round * calls + c]!);
      ms += call.ms;
      assigned += call.assigned;
    }
    const oursPerSecond = Math.round((calls * size) / (ms / 1000));
    console.log(JSON.stringify({ round, name: 'ours-assignWork', tasks: calls * size, assigned, ms: Math.round(ms), perSecond: oursPerSecond }));
    perRound.push({ round, referencePerSecond: reference.perSecond, oursPerSecond, assigned, ratio: r3(oursPerSecond / reference.perSecond) });
  }

  const sql = postgres(database, { max: 1, onnotice: () => {} });
  onFinish(() => sql.end());
  const [overCapacity] = await sql`select count(*)::int as n from (
    select w.id from workers w join tasks t on t.assignee_id = w.id
    where t.status in ('ASSIGNED', 'RUNNING', 'WAITING') group by w.id, w.concurrency having count(*) > w.concurrency) x`;
  const [assignedTwice] = await sql`select count(*)::int as n from (
    select payload->>'taskId' from events where type = 'Worker.assigned' group by 1 having count(*) > 1) x`;
  await report('assign-work', {
    goal: '>= 0.25, 0 double assignments',
    tasksPerCall: size,
    refused: refused ?? null,
    ratioPerRound: perRound.map((r) => r.ratio),
    ratioMedian: r3(median(perRound.map((r) => r.ratio))),
    workersOverCapacity: overCapacity!.n,
    tasksAssignedTwice: assignedTwice!.n,
    rounds: perRound,
  });
});
