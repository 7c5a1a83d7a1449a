/**
 * The single writer of task state (src/tasks/work-state.ts) against the database: every
 * move the state machine refuses changes nothing, moves of many rows move only the rows
 * the machine allows and report the others, the shared predicates count what the
 * machine's status sets say, a task begun by a worker with a protocol has its run from
 * the same transaction, and the work sweep repairs what a crash left between a task
 * and its run.
 */
import { randomUUID } from 'node:crypto';

import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Database } from '../../src/db/client.js';
import { organizations, protocols, protocolVersions, runs, tasks, taskStatus, workers } from '../../src/db/schema.js';
import { InvalidTransitionError } from '../../src/errors.js';
import { transactionWithEvents } from '../../src/events/outbox.js';
import type { Bus } from '../../src/realtime/bus.js';
import { startTask } from '../../src/tasks/execution.js';
import {
  hasFreeSlot,
  hasSlotToStart,
  heldTasks,
  isEnded,
  isHeld,
  isNotStarted,
  isOpen,
  isQueued,
  isReady,
  occupiesSlot,
  slotsInUse,
} from '../../src/tasks/predicates.js';
import type { TaskRow } from '../../src/tasks/service.js';
import {
  canTransition,
  ENDED_TASK_STATUSES,
  HELD_TASK_STATUSES,
  NOT_STARTED_TASK_STATUSES,
  OPEN_TASK_STATUSES,
  QUEUED_TASK_STATUSES,
  READY_TASK_STATUSES,
  SLOT_TASK_STATUSES,
  sourcesOf,
  type TaskStatus,
} from '../../src/tasks/state-machine.js';
import {
  beginTask,
  finishTask,
  handOut,
  parkTask,
  reassign,
  rebalanceMove,
  returnToQueue,
  transferOpenTasks,
} from '../../src/tasks/work-state.js';
import type { WorkerRow } from '../../src/workers/lifecycle.js';
import { eventually } from '../support/fake-clock.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const STATUSES: TaskStatus[] = [...taskStatus.enumValues];

const PROTOCOL = `input:
  TOPIC:
    type: string
    description: What to write about
variables:
  ANSWER:
    type: string
steps:
  Start:
    block: start-thread
    thread: main
    model: openai/gpt-4o
    system: system
  Ask:
    block: add-message
    thread: main
    role: user
    prompt: ask
    input: [TOPIC]
  Answer:
    block: next-message
    thread: main
    output: ANSWER
output: ANSWER
`;

/** Thrown to roll a transaction back after a move that was allowed. */
class Rollback extends Error {}

describe('work state', () => {
  let app: TestApp;
  let db: Database;
  let deps: { db: Database; bus: Bus };
  let organizationId: string;
  let protocolId: string;

  beforeAll(async () => {
    app = await createTestApp();
    db = app.app.services.db;
    deps = { db, bus: app.app.services.bus };
    const created = await app.data(
      `mutation ($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename ... on Error { message } } }`,
      {
        input: {
          slug: 'writer',
          source: PROTOCOL,
          prompts: [
            { name: 'system', content: 'You write one sentence.' },
            { name: 'ask', content: '{{TOPIC}}' },
          ],
        },
      },
    );
    expect(created.createProtocol.__typename).toBe('Protocol');
    [{ id: organizationId }] = (await db.select({ id: organizations.id }).from(organizations)) as [{ id: string }];
    [{ id: protocolId }] = (await db.select({ id: protocols.id }).from(protocols).where(eq(protocols.slug, 'writer'))) as [{ id: string }];
  });
  afterAll(async () => {
    await app?.close();
  });

  /** An ACTIVE worker stored directly (no events, so nothing starts its work by itself). */
  async function worker(values: Partial<typeof workers.$inferInsert> = {}): Promise<WorkerRow> {
    const [row] = await db
      .insert(workers)
      .values({ organizationId, name: 'Worker', role: 'Agent', lifecycle: 'ACTIVE', availability: 'AVAILABLE', concurrency: 10, ...values })
      .returning();
    return row!;
  }

  /** A task stored directly in `status`, held by `assignee` unless it is queued. */
  async function task(status: TaskStatus, assignee: WorkerRow | null, values: Partial<typeof tasks.$inferInsert> = {}): Promise<TaskRow> {
    const [row] = await db
      .insert(tasks)
      .values({
        organizationId,
        action: `${status.toLowerCase()}-task`,
        status,
        assigneeId: status === 'PENDING' ? null : (assignee?.id ?? null),
        ...(status === 'RUNNING' || status === 'WAITING' ? { startedAt: new Date() } : {}),
        // An hour away: the app's retry job must not take it back to the queue meanwhile.
        ...(status === 'RETRYING' ? { nextAttemptAt: new Date(Date.now() + 3_600_000) } : {}),
        ...values,
      })
      .returning();
    return row!;
  }

  async function reread(row: TaskRow): Promise<TaskRow> {
    const [now] = await db.select().from(tasks).where(eq(tasks.id, row.id));
    return now!;
  }

  /**
   * Runs `move` in a transaction that is always rolled back.
   * @returns 'refused' (InvalidTransitionError) or 'allowed'
   */
  async function attempt(move: (tx: Parameters<Parameters<typeof transactionWithEvents>[1]>[0], outbox: Parameters<Parameters<typeof transactionWithEvents>[1]>[1]) => Promise<unknown>) {
    try {
      await transactionWithEvents(deps, async (tx, outbox) => {
        await move(tx, outbox);
        throw new Rollback();
      });
    } catch (error) {
      if (error instanceof InvalidTransitionError) return 'refused';
      if (error instanceof Rollback) return 'allowed';
      throw error;
    }
    throw new Error('unreachable');
  }

  it('lists, for each target, exactly the statuses the machine lets reach it', () => {
    for (const to of STATUSES) {
      expect(sourcesOf(to)).toEqual(STATUSES.filter((from) => canTransition(from, to)));
      expect(sourcesOf(to, ['PENDING', 'ASSIGNED'])).toEqual(STATUSES.filter((from) => canTransition(from, to) && ['PENDING', 'ASSIGNED'].includes(from)));
    }
  });

  it('refuses every single-task move the state machine does not allow, changing nothing', async () => {
    const holder = await worker({ name: 'Holder' });
    const other = await worker({ name: 'Other' });
    // A move is allowed where the machine allows its edge; reassignment also refuses an
    // ended task (the machine's FAILED → ASSIGNED edge is retryTask's alone).
    const moves: Record<string, { to: TaskStatus; run: (row: TaskRow) => Parameters<typeof attempt>[0]; except?: readonly TaskStatus[] }> = {
      begin: { to: 'RUNNING', run: (row) => (tx, outbox) => beginTask(tx, outbox, holder, row, new Date()) },
      wait: { to: 'WAITING', run: (row) => (tx, outbox) => parkTask(tx, outbox, holder, row, null) },
      complete: { to: 'COMPLETED', run: (row) => (tx, outbox) => finishTask(tx, outbox, holder, row, { status: 'COMPLETED', result: 1 }) },
      fail: { to: 'FAILED', run: (row) => (tx, outbox) => finishTask(tx, outbox, holder, row, { status: 'FAILED', error: 'no' }) },
      cancel: { to: 'CANCELLED', run: (row) => (tx, outbox) => finishTask(tx, outbox, holder, row, { status: 'CANCELLED' }) },
      reassign: { to: 'ASSIGNED', run: (row) => (tx, outbox) => reassign(tx, outbox, row, holder, other), except: ENDED_TASK_STATUSES },
    };
    for (const status of STATUSES) {
      const row = await task(status, holder);
      for (const [name, move] of Object.entries(moves)) {
        const outcome = await attempt(move.run(row));
        const allowed = canTransition(status, move.to) && !move.except?.includes(status);
        expect(`${name} from ${status}: ${outcome}`).toBe(`${name} from ${status}: ${allowed ? 'allowed' : 'refused'}`);
        expect(await reread(row)).toEqual(row);
      }
    }
  });

  it('moves of many tasks move only what the machine allows from each row and report the rest', async () => {
    const from = await worker({ name: 'Leaving' });
    const to = await worker({ name: 'Successor' });
    const held = await Promise.all(STATUSES.filter((s) => s !== 'PENDING').map((status) => task(status, from)));
    const queued = await task('PENDING', null);

    // Hand-out: only the queued task becomes ASSIGNED; rows in any other status are reported.
    const handed = await transactionWithEvents(deps, (tx, outbox) => handOut(tx, outbox, to, [queued, ...held]));
    expect(handed.moved.map((row) => [row.id, row.status, row.assigneeId])).toEqual([[queued.id, 'ASSIGNED', to.id]]);
    expect(handed.refused.map((row) => row.id).sort()).toEqual(held.map((row) => row.id).sort());

    // Rebalance: an ASSIGNED task moves, a started one does not.
    const ready = held.find((row) => row.status === 'ASSIGNED')!;
    const running = held.find((row) => row.status === 'RUNNING')!;
    await transactionWithEvents(deps, async (tx, outbox) => {
      expect(await rebalanceMove(tx, outbox, running, from, to)).toBeUndefined();
      expect(await rebalanceMove(tx, outbox, ready, from, to)).toMatchObject({ status: 'ASSIGNED', assigneeId: to.id });
      throw new Rollback();
    }).catch((error: unknown) => expect(error).toBeInstanceOf(Rollback));

    // Return to the queue, not started only: the ASSIGNED task goes back, the rest stays.
    const back = await transactionWithEvents(deps, (tx, outbox) => returnToQueue(tx, outbox, from, { notStartedOnly: true }));
    expect(back.map((row) => row.id)).toEqual([ready.id]);
    expect(await reread(ready)).toMatchObject({ status: 'PENDING', assigneeId: null });
    // A BLOCKED task goes to the fleet too (it has not started) and stays BLOCKED.
    const blocked = held.find((row) => row.status === 'BLOCKED')!;
    expect(await reread(blocked)).toMatchObject({ status: 'BLOCKED', assigneeId: null });

    // Transfer: every open task (one waiting for its retry too) goes to the successor as ASSIGNED; finished ones stay.
    const moved = await transactionWithEvents(deps, (tx, outbox) => transferOpenTasks(tx, outbox, from, to));
    expect(moved.map((row) => row.status).sort()).toEqual(['RETRYING', 'RUNNING', 'WAITING']);
    for (const row of held) {
      const now = await reread(row);
      if ((ENDED_TASK_STATUSES as readonly TaskStatus[]).includes(row.status)) expect(now).toEqual(row);
      else if (row.id !== ready.id && row.id !== blocked.id) expect(now).toMatchObject({ status: 'ASSIGNED', assigneeId: to.id, startedAt: null, runId: null, nextAttemptAt: null });
    }
  });

  it('predicates select exactly the statuses of the state machine’s sets', async () => {
    const w = await worker({ name: 'Counted', concurrency: 3 });
    for (const status of STATUSES) await task(status, w);
    const pairs: Array<[string, ReturnType<typeof and>, readonly TaskStatus[]]> = [
      ['isOpen', isOpen, OPEN_TASK_STATUSES],
      ['isEnded', isEnded, ENDED_TASK_STATUSES],
      ['isQueued', isQueued, QUEUED_TASK_STATUSES],
      ['isReady', isReady, READY_TASK_STATUSES],
      ['isNotStarted', isNotStarted, NOT_STARTED_TASK_STATUSES],
      ['occupiesSlot', occupiesSlot, SLOT_TASK_STATUSES],
      ['isHeld', isHeld, HELD_TASK_STATUSES],
    ];
    const mine = sql`(${tasks.assigneeId} = ${w.id} or (${tasks.assigneeId} is null and ${tasks.action} = 'pending-task'))`;
    for (const [name, predicate, statuses] of pairs) {
      const rows = await db.selectDistinct({ status: tasks.status }).from(tasks).where(and(mine, predicate));
      expect([name, rows.map((row) => row.status).sort()]).toEqual([name, [...statuses].sort()]);
    }
    // RUNNING and WAITING occupy 2 of 3 slots; with the ASSIGNED task it holds 3: room to start one, none to be handed more.
    const [load] = await db
      .select({ slotsInUse, heldTasks, hasFreeSlot: sql<boolean>`${hasFreeSlot}`, hasSlotToStart: sql<boolean>`${hasSlotToStart}` })
      .from(workers)
      .where(eq(workers.id, w.id));
    expect(load).toEqual({ slotsInUse: 2, heldTasks: 3, hasFreeSlot: false, hasSlotToStart: true });
  });

  it('begins a task of a worker with a protocol together with its run, which then ends the task', async () => {
    // BUSY: the work runner leaves it alone; a start by hand still works.
    const w = await worker({ name: 'Writer', protocolId, availability: 'BUSY' });
    const row = await task('ASSIGNED', w, { input: { TOPIC: 'tides' } });
    const started = await startTask(app.app.services, organizationId, row.id);
    expect(started).toMatchObject({ status: 'RUNNING' });
    expect(started.runId).not.toBeNull();
    const [run] = await db.select().from(runs).where(eq(runs.id, started.runId!));
    expect(run).toMatchObject({ taskId: row.id, workerId: w.id, input: { TOPIC: 'tides' } });
    const ended = await eventually(async () => {
      const now = await reread(row);
      return now.status === 'COMPLETED' ? now : undefined;
    });
    const [finished] = await db.select().from(runs).where(eq(runs.id, started.runId!));
    expect(finished!.status).toBe('COMPLETED');
    expect(ended.result).toEqual(finished!.output);
  });

  it('fails at once a task whose run cannot be made, in the transaction that starts it', async () => {
    const w = await worker({ name: 'Strict', protocolId, availability: 'BUSY' });
    const row = await task('ASSIGNED', w, { input: ['not', 'an', 'object'] });
    const started = await startTask(app.app.services, organizationId, row.id);
    expect(started).toMatchObject({ status: 'FAILED', runId: null });
    expect(started.error).toMatch(/the run could not start: .*JSON object/);
    expect(await db.$count(runs, eq(runs.taskId, row.id))).toBe(0);
  });

  it('the work sweep repairs what a crash left between a task and its run', async () => {
    const w = await worker({ name: 'Crashed', protocolId });
    const [version] = await db.select().from(protocolVersions).where(eq(protocolVersions.protocolId, protocolId));
    const storedRun = async (taskRow: TaskRow, values: Partial<typeof runs.$inferInsert>) => {
      const [row] = await db
        .insert(runs)
        .values({ organizationId, protocolId, protocolVersionId: version!.id, version: version!.version, workerId: w.id, taskId: taskRow.id, input: {}, ...values })
        .returning();
      await db.update(tasks).set({ runId: row!.id }).where(eq(tasks.id, taskRow.id));
      return row!;
    };
    // Begun, but the run was never made (a crash between the two, in an older version).
    const orphan = await task('RUNNING', w, { input: { TOPIC: 'rain' } });
    // Begun, and linked to a run that is not there.
    const dangling = await task('RUNNING', w, { input: { TOPIC: 'snow' }, runId: randomUUID() });
    // The run ended, but the task did not hear of it.
    const completedTask = await task('RUNNING', w);
    await storedRun(completedTask, { status: 'COMPLETED', output: 'stored answer', finishedAt: new Date() });
    const failedTask = await task('WAITING', w);
    await storedRun(failedTask, { status: 'FAILED', error: { errorType: 'model_error', message: 'gone' }, finishedAt: new Date() });

    // The sweep's poll (every lease) is not waited for: the job is woken, as after a restart.
    app.app.scheduler.wake('work-sweep');
    await app.app.scheduler.tick();

    expect(await reread(completedTask)).toMatchObject({ status: 'COMPLETED', result: 'stored answer' });
    expect(await reread(failedTask)).toMatchObject({ status: 'FAILED', error: 'model_error: gone' });
    for (const [row, topic] of [[orphan, 'rain'], [dangling, 'snow']] as const) {
      const repaired = await eventually(async () => {
        const now = await reread(row);
        return now.status === 'COMPLETED' ? now : undefined;
      });
      const made = await db.select().from(runs).where(eq(runs.taskId, row.id));
      expect(made.map((run) => [run.id, run.status, run.input.TOPIC])).toEqual([[repaired.runId, 'COMPLETED', topic]]);
      expect(made[0]!.input).toMatchObject({ WORKER: { name: 'Crashed' }, TASK: { input: { TOPIC: topic } } });
    }
    // Nothing is left for another sweep to repair.
    app.app.scheduler.wake('work-sweep');
    await app.app.scheduler.tick();
    expect(await db.$count(runs, inArray(runs.taskId, [orphan.id, dangling.id, completedTask.id, failedTask.id]))).toBe(4);
  });
});
