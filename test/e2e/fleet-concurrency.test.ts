/**
 * Assignment under concurrency: a burst of 200 parallel `assignWork` calls — on one
 * server, and (with PostgreSQL) split over two server processes on one database —
 * gives each task to at most one worker, never more open tasks to a worker than its
 * concurrency, and queues the rest; draining the queue from both processes at once
 * keeps the same guarantees until every task is done.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/fake-clock.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { createTestApp, createTestDatabase, type TestApp, type TestDatabase } from '../support/test-app.js';
import { createFleet, storedEvents } from '../fleets/helpers.js';

const WORKERS = 10;
const CONCURRENCY = 3;
const CALLS = 200;
/** PGlite runs one transaction at a time: the burst and the drain take about half a minute there. */
const TIMEOUT_MS = 180_000;

const ASSIGN = `mutation ($input: AssignWorkInput!) { assignWork(input: $input) { __typename ... on WorkAssignment { tasks { id status } } } }`;

type Post = (query: string, variables?: Record<string, unknown>) => Promise<Record<string, any>>;

function poster(url: string): Post {
  return async (query, variables) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
    if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
    return body.data!;
  };
}

/** Open tasks per worker, as a client reads them. */
async function loads(post: Post, fleetId: string): Promise<number[]> {
  const { fleet } = await post(
    `query ($id: ID!) { fleet(id: $id) { workers(first: 50) { edges { node {
      assigned: tasks(status: ASSIGNED) { totalCount } running: tasks(status: RUNNING) { totalCount } } } } } }`,
    { id: fleetId },
  );
  return fleet.workers.edges.map((e: any) => e.node.assigned.totalCount + e.node.running.totalCount);
}

/** Sends CALLS one-task assignWork calls at once, alternating between `posts`. */
async function burst(posts: Post[], fleetId: string): Promise<void> {
  const results = await Promise.all(
    Array.from({ length: CALLS }, (_, i) => posts[i % posts.length]!(ASSIGN, { input: { fleetId, tasks: [{ action: `job-${i}` }] } })),
  );
  expect(results.every((r) => r.assignWork.__typename === 'WorkAssignment')).toBe(true);
}

/** Checks the invariants, then finishes every assigned task (alternating servers) until the queue is empty. */
async function drainAll(app: TestApp, posts: Post[], fleetId: string): Promise<void> {
  for (let round = 0; round < CALLS; round++) {
    const perWorker = await loads(posts[0]!, fleetId);
    expect(Math.max(...perWorker)).toBeLessThanOrEqual(CONCURRENCY);
    const { fleet } = await posts[0]!(`query ($id: ID!) { fleet(id: $id) { status { queueDepth assigned completed } } }`, { id: fleetId });
    if (fleet.status.assigned === 0 && fleet.status.queueDepth === 0) break;
    const { tasks } = await posts[0]!(`{ tasks(status: ASSIGNED, first: 100) { edges { node { id } } } }`);
    await Promise.all(
      tasks.edges.map((e: any, i: number) =>
        posts[i % posts.length]!(
          `mutation ($id: ID!) { startTask(input: { taskId: $id }) { __typename } completeTask(input: { taskId: $id, result: 1 }) { __typename } }`,
          { id: e.node.id },
        ),
      ),
    );
    const done = fleet.status.completed + tasks.edges.length;
    await eventually(async () => {
      const { fleet: now } = await posts[0]!(`query ($id: ID!) { fleet(id: $id) { status { queueDepth assigned completed } } }`, { id: fleetId });
      return now.status.completed === done && (now.status.queueDepth === 0 || now.status.assigned > 0) ? true : undefined;
    });
  }
  const assigned = await storedEvents(app, ['Worker.assigned'], () => true, CALLS);
  expect(new Set(assigned.map((e) => e.payload.taskId)).size).toBe(CALLS);
}

describe('assignWork under concurrency', () => {
  it(`${CALLS} parallel calls to one server`, async () => {
    const app = await createTestApp();
    try {
      const fleetId = await createFleet(app, {
        name: 'Burst',
        workerTemplate: { role: 'Agent', concurrency: CONCURRENCY },
        scaling: { min: WORKERS, max: WORKERS },
      });
      const post = poster(app.url);
      await burst([post], fleetId);
      expect((await loads(post, fleetId)).every((n) => n === CONCURRENCY)).toBe(true);
      const { fleet } = await post(`query ($id: ID!) { fleet(id: $id) { status { queueDepth assigned } } }`, { id: fleetId });
      expect(fleet.status).toEqual({ queueDepth: CALLS - WORKERS * CONCURRENCY, assigned: WORKERS * CONCURRENCY });
      await drainAll(app, [post], fleetId);
    } finally {
      await app.close();
    }
  }, TIMEOUT_MS);

  describe.runIf(process.env.DATABASE_URL)('two server processes on one PostgreSQL database', () => {
    let database: TestDatabase;
    let app: TestApp;
    let other: ServerProcess;

    beforeAll(async () => {
      database = await createTestDatabase();
      app = await createTestApp({ database });
      other = startServerProcess(database.env);
      await other.listening;
    });
    afterAll(async () => {
      other?.child.kill('SIGTERM');
      await other?.exited;
      await app?.close();
      await database?.drop();
    });

    it(`${CALLS} parallel calls split over both never double-assign, then both drain the queue`, async () => {
      const fleetId = await createFleet(app, {
        name: 'Two Processes',
        workerTemplate: { role: 'Agent', concurrency: CONCURRENCY },
        scaling: { min: WORKERS, max: WORKERS },
      });
      const posts = [poster(app.url), poster((await other.listening).url)];
      await burst(posts, fleetId);
      expect((await loads(posts[0]!, fleetId)).every((n) => n === CONCURRENCY)).toBe(true);
      await drainAll(app, posts, fleetId);
    }, TIMEOUT_MS);
  });
});
