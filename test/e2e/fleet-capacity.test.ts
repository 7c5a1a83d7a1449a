/**
 * A full hand-out: one `assignWork` call of 1 000 tasks to a fleet with exactly 1 000 free
 * slots (50 workers × concurrency 20) assigns every task, none twice, and no worker beyond
 * its concurrency. On PostgreSQL also while another transaction holds the key-share lock
 * that any insert referencing a worker takes: such a worker is not busy and is not
 * passed over.
 */
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';

import { createTestApp, createTestDatabase, type TestApp } from '../support/test-app.js';
import { assignWork, createFleet } from '../fleets/helpers.js';

const WORKERS = 50;
const CONCURRENCY = 20;
const TASKS = WORKERS * CONCURRENCY;
const TIMEOUT_MS = 120_000;

/** A fleet of WORKERS ACTIVE workers with CONCURRENCY slots each, all free. */
function fullFleet(app: TestApp, name: string): Promise<string> {
  return createFleet(app, { name, workerTemplate: { role: 'Agent', concurrency: CONCURRENCY }, scaling: { min: WORKERS, max: WORKERS } });
}

/** The `Worker.assigned` events of one call, read until its `Fleet.work.assigned` (appended last, in the same transaction). */
async function assignedEvents(app: TestApp): Promise<Array<{ subjectId: string; payload: { taskId: string } }>> {
  const found: Array<{ subjectId: string; payload: { taskId: string } }> = [];
  const subscription = app.wsClient().iterate<{ events: { type: string; subjectId: string; payload: { taskId: string } } }>({
    query: 'subscription { events(types: ["Worker.assigned", "Fleet.work.assigned"], after: 0) { type subjectId payload } }',
  });
  for await (const result of subscription) {
    const event = result.data!.events;
    if (event.type === 'Fleet.work.assigned') break;
    found.push(event);
  }
  return found;
}

/** Sends TASKS tasks in one call with LEAST_LOADED and checks the hand-out is complete and within capacity. */
async function handOutAll(app: TestApp, fleetId: string): Promise<void> {
  const tasks = Array.from({ length: TASKS }, (_, i) => ({ action: 'qualify_lead', input: { lead: i } }));
  const result = await assignWork(app, fleetId, tasks, { strategy: 'LEAST_LOADED' });
  expect(result.__typename, JSON.stringify(result).slice(0, 500)).toBe('WorkAssignment');
  expect({ assigned: result.assigned, queued: result.queued }).toEqual({ assigned: TASKS, queued: 0 });
  expect(new Set(result.tasks.map((task: { id: string }) => task.id)).size).toBe(TASKS);
  const perWorker = new Map<string, number>();
  for (const task of result.tasks) perWorker.set(task.assignee.id, (perWorker.get(task.assignee.id) ?? 0) + 1);
  expect(perWorker.size).toBe(WORKERS);
  expect(Math.max(...perWorker.values())).toBeLessThanOrEqual(CONCURRENCY);
}

/** Each task of the call was assigned once (events), and the fleet holds them all with nothing queued. */
async function expectAssignedOnce(app: TestApp, fleetId: string): Promise<void> {
  const events = await assignedEvents(app);
  expect(events).toHaveLength(TASKS);
  expect(new Set(events.map((event) => event.payload.taskId)).size).toBe(TASKS);
  const { fleet } = await app.data(`query ($id: ID!) { fleet(id: $id) { status { queueDepth assigned } } }`, { id: fleetId });
  expect(fleet.status).toEqual({ queueDepth: 0, assigned: TASKS });
}

describe('assignWork of 1 000 tasks to 1 000 free slots', () => {
  it('assigns every task, none twice, no worker beyond its concurrency', async () => {
    const app = await createTestApp();
    try {
      const fleetId = await fullFleet(app, 'Full');
      await handOutAll(app, fleetId);
      await expectAssignedOnce(app, fleetId);
    } finally {
      await app.close();
    }
  }, TIMEOUT_MS);

  it('refuses more than 1 000 tasks in one call, saying the cap', async () => {
    const app = await createTestApp();
    try {
      const fleetId = await fullFleet(app, 'Over');
      const result = await assignWork(app, fleetId, Array.from({ length: TASKS + 1 }, () => ({ action: 'qualify_lead' })));
      expect(result.__typename).toBe('ValidationError');
      expect(result.issues).toEqual([{ path: ['tasks'], message: 'send at most 1000 tasks per call' }]);
    } finally {
      await app.close();
    }
  }, TIMEOUT_MS);

  it.runIf(process.env.DATABASE_URL)('does not pass over workers whose rows another transaction merely references', async () => {
    const database = await createTestDatabase();
    const app = await createTestApp({ database });
    const sql = postgres(database.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    try {
      const fleetId = await fullFleet(app, 'Referenced');
      await sql.begin(async (tx) => {
        // What an insert of a row naming these workers (a task, a run) holds until its commit.
        const held = await tx`select w.id from workers w join fleets f on f.id = w.fleet_id where f.name = 'Referenced' order by w.id limit 10 for key share of w`;
        expect(held).toHaveLength(10);
        await handOutAll(app, fleetId);
      });
      // After the commit: the open transaction held back the event log meanwhile.
      await expectAssignedOnce(app, fleetId);
    } finally {
      await sql.end();
      await app.close();
      await database.drop();
    }
  }, TIMEOUT_MS);
});
