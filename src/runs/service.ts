/**
 * Runs: executions of a protocol version with an input (docs/protocol.md). The
 * run row and its first domain event are stored before execution starts in the
 * background; the stored event stream is the single source for queries and
 * subscriptions, so a subscriber never misses or repeats an event.
 */
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';

import { executePrepared, type Database, type Transaction } from '../db/client.js';
import { requireOwned } from '../db/ownership.js';
import { protocols, protocolVersions, runEvents, runs, tasks, workers } from '../db/schema.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { transactionWithEvents, type Outbox } from '../events/outbox.js';
import type { Actor } from '../auth/actor.js';
import { canSeeWorkerRow } from '../auth/visibility.js';
import type { StreamEvent, ToolResult } from '../engine/events.js';
import type { Bus } from '../realtime/bus.js';
import type { SharedReads } from '../realtime/shared-reads.js';
import { wakeUps } from '../realtime/wake-up.js';
import { parseInput } from '../validation.js';
import type { RunExecutor } from './executor.js';

export type RunRow = typeof runs.$inferSelect;
export type RunStatus = RunRow['status'];

/** Statuses after which a run never changes again. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** A stored run event: the engine's event with its place in the stream and its time. */
export type StoredRunEvent = StreamEvent & { seq: number; at: Date };

/** What `executeWorker` accepts. */
export const ExecuteWorkerModel = z.object({
  protocol: z.string().min(1, 'must name a protocol slug'),
  input: z
    .record(z.string(), z.unknown(), { message: 'must be a JSON object of protocol inputs' })
    .nullish()
    .transform((value) => value ?? {}),
  workerId: z.uuid().nullish(),
  taskId: z.uuid().nullish(),
});
export type ExecuteWorkerInput = z.input<typeof ExecuteWorkerModel>;

interface RunDeps {
  db: Database;
  bus: Bus;
  runs: RunExecutor;
}

/**
 * Creates a QUEUED run of the newest version of protocol `input.protocol`, appends
 * `Run.queued`, and starts it in the background. Input is checked against the
 * protocol's `input` section by the engine when the run starts (a bad input ends the
 * run with a `validation_error` event).
 * @throws ValidationError; NotFoundError for an unknown protocol, worker or task
 */
export async function executeWorker(deps: RunDeps, organizationId: string, input: ExecuteWorkerInput): Promise<RunRow> {
  const data = parseInput(ExecuteWorkerModel, input);
  const run = await transactionWithEvents(deps, async (tx, outbox) => {
    if (data.workerId) await requireOwned(tx, workers, organizationId, data.workerId, 'Worker');
    if (data.taskId) await requireOwned(tx, tasks, organizationId, data.taskId, 'Task');
    return queueRun(tx, outbox, organizationId, {
      protocol: data.protocol,
      input: data.input,
      workerId: data.workerId ?? null,
      taskId: data.taskId ?? null,
    });
  });
  deps.runs.start(run.id);
  return run;
}

/**
 * Inserts a QUEUED run of the newest version of protocol `request.protocol` (a slug) inside the
 * caller's transaction and appends `Run.queued`; the caller starts it after commit
 * (`RunExecutor.start`), and a run nobody started is taken over by the executor's sweep.
 * Worker and task are not checked here. The version is looked up by the INSERT itself
 * (`insert … select` from the protocol and its latest version): one prepared statement.
 * @throws NotFoundError for an unknown protocol
 */
export async function queueRun(
  tx: Transaction,
  outbox: Outbox,
  organizationId: string,
  request: { protocol: string; input: Record<string, unknown>; workerId: string | null; taskId: string | null },
): Promise<RunRow> {
  const insert = tx
    .insert(runs)
    .select(
      tx
        .select({
          id: sql<string>`${uuidv7()}::uuid`.as('id'),
          organizationId: protocols.organizationId,
          protocolId: protocols.id,
          protocolVersionId: protocolVersions.id,
          version: protocolVersions.version,
          workerId: sql<string | null>`${request.workerId}::uuid`.as('worker_id'),
          // The run counts to the fleet the worker is in now, even if it moves later.
          fleetId: sql<string | null>`(select ${workers.fleetId} from ${workers} where ${workers.id} = ${request.workerId}::uuid)`.as('fleet_id'),
          taskId: sql<string | null>`${request.taskId}::uuid`.as('task_id'),
          // Sent as text: a string bound to a jsonb parameter would be encoded once more.
          input: sql<Record<string, unknown>>`${JSON.stringify(request.input)}::text::jsonb`.as('input'),
        })
        .from(protocols)
        .innerJoin(protocolVersions, and(eq(protocolVersions.protocolId, protocols.id), eq(protocolVersions.version, protocols.latestVersion)))
        .where(and(eq(protocols.organizationId, organizationId), eq(protocols.slug, request.protocol))),
    )
    .returning();
  const [row] = await executePrepared(insert, 'queue-run');
  if (!row) throw new NotFoundError('Protocol', request.protocol);
  await outbox.append({
    organizationId,
    type: 'Run.queued',
    subjectId: row.id,
    payload: { protocol: request.protocol, version: row.version },
  });
  return row;
}

/**
 * Cancels a run that has not ended. A run executing in this process is aborted and ends
 * with `worker-result{cancelled}` and `finish{stop}`; the returned row may still show
 * its last status until the engine has stopped.
 * @throws NotFoundError; InvalidTransitionError when the run already ended
 */
export async function cancelRun(deps: RunDeps, organizationId: string, runId: string): Promise<RunRow> {
  const run = await findRun(deps.db, { organizationId, role: 'operator', workerId: null }, runId);
  if (FINAL_RUN_STATUSES.includes(run.status)) throw new InvalidTransitionError('Run', run.status, 'CANCELLED');
  if (deps.runs.abort(run.id)) return run;
  const ended = await deps.runs.cancelIdle(run.id);
  if (ended) return ended;
  const now = await findRun(deps.db, { organizationId, role: 'operator', workerId: null }, runId);
  throw new InvalidTransitionError(
    'Run',
    now.status,
    'CANCELLED',
    FINAL_RUN_STATUSES.includes(now.status) ? undefined : 'the run is executing in another process',
  );
}

/** Who asks: an organisation, and for a worker key the worker whose runs alone it sees. */
export type RunViewer = Pick<Actor, 'organizationId' | 'role' | 'workerId'>;

/**
 * The run `runId`, if `actor` may see it (its organisation; a worker key: its own runs).
 * @throws NotFoundError otherwise, exactly as for a missing run
 */
export async function findRun(db: Database, actor: RunViewer, runId: string): Promise<RunRow> {
  const [run] = await db.select().from(runs).where(eq(runs.id, runId));
  if (!run || !canSeeWorkerRow(actor, run.organizationId, run.workerId)) throw new NotFoundError('Run', runId);
  return run;
}

/**
 * Stored events of a run with `seq > after`, in order, at most `limit`.
 */
export async function listRunEvents(
  db: Database,
  runId: string,
  options: { after?: number; limit?: number } = {},
): Promise<StoredRunEvent[]> {
  const rows = await db
    .select()
    .from(runEvents)
    .where(and(eq(runEvents.runId, runId), gt(runEvents.seq, options.after ?? 0)))
    .orderBy(asc(runEvents.seq))
    .limit(options.limit ?? 10_000);
  return rows.map((row) => ({ ...(row.payload as unknown as StreamEvent), seq: row.seq, at: row.at }));
}

/** How many events one read of a run's stream takes. */
const STREAM_PAGE = 500;

/**
 * Every event of run `runId` with `seq > after`, then live ones, each exactly once and
 * in order; ends once the run has reached a final status and all its events were
 * yielded. Listens to the bus before reading, so nothing committed in between is lost.
 * The run row is read at the start, and again after a bus resync: otherwise each
 * `run:events` wake-up says how far the stored events go and whether the run ended, and
 * watchers of the same run at the same position share one read of the new events per
 * wake-up (`reads`). While this process writes the run, what the row would say and the
 * committed events come from memory instead (`runs.recent`, recent-events.ts).
 * @throws NotFoundError when the run does not exist or `actor` may not see it
 */
export async function* streamRunEvents(
  deps: { db: Database; bus: Bus; reads: SharedReads; runs: Pick<RunExecutor, 'recent'> },
  actor: RunViewer,
  runId: string,
  after = 0,
): AsyncGenerator<StoredRunEvent> {
  const notifications = wakeUps(deps.bus, 'run:events', runId);
  const { recent } = deps.runs;
  // How far the stored events go, and whether that is the end of the run: known in this
  // process while it writes the run, else read from the row.
  const storedNow = async () => {
    const known = recent.snapshot(runId);
    if (!known) {
      const run = await findRun(deps.db, actor, runId);
      return { lastSeq: run.lastSeq, ended: FINAL_RUN_STATUSES.includes(run.status) };
    }
    if (!canSeeWorkerRow(actor, known.organizationId, known.workerId)) throw new NotFoundError('Run', runId);
    return { lastSeq: known.lastSeq, ended: known.ended };
  };
  try {
    let wake = notifications.next();
    let stored = await storedNow();
    let cursor = after;
    for (;;) {
      while (cursor < stored.lastSeq) {
        const from = cursor;
        const batch =
          recent.events(runId, from, stored.lastSeq) ??
          (await deps.reads.read(`run:${runId}:${from}`, notifications.arrivedAt, () => listRunEvents(deps.db, runId, { after: from, limit: STREAM_PAGE })));
        for (const event of batch) {
          cursor = event.seq;
          yield event;
        }
        if (batch.length < STREAM_PAGE) break;
      }
      if (stored.ended && cursor >= stored.lastSeq) return;
      const next = await wake;
      if (next.done) return;
      wake = notifications.next();
      // A resync (messages may have been missed) reads the row again.
      const change = next.value ?? (await storedNow());
      if (change.lastSeq >= stored.lastSeq) stored = change;
    }
  } finally {
    await notifications.return();
  }
}

/** What `submitToolResult` accepts: the answer to one pending call, a result or an error. */
export const SubmitToolResultModel = z
  .object({
    runId: z.uuid(),
    toolCallId: z.string().min(1, 'must not be empty'),
    output: z.unknown().optional(),
    error: z.string().min(1).nullish(),
  })
  .refine((input) => input.output === undefined || input.output === null || !input.error, {
    message: 'give either output or error, not both',
    path: ['error'],
  });
export type SubmitToolResultInput = z.input<typeof SubmitToolResultModel>;

/**
 * Answers one pending client tool call of a run paused for tools (docs/protocol.md section
 * 12). The answer is stored at once; when it was the last unanswered call of the batch,
 * the run is queued again and resumes from exactly where it paused (also after a restart:
 * everything needed is in the run row). Appends `Run.resumed` then.
 * @throws NotFoundError for an unknown run; InvalidTransitionError when the run is not
 *   waiting for tools; ValidationError for a call id that is not pending or was already
 *   answered (path `toolCallId`)
 */
export async function submitToolResult(deps: RunDeps, actor: RunViewer, input: SubmitToolResultInput): Promise<RunRow> {
  const data = parseInput(SubmitToolResultModel, input);
  const { run, complete } = await transactionWithEvents(deps, async (tx, outbox) => {
    const [locked] = await tx
      .select()
      .from(runs)
      .where(eq(runs.id, data.runId))
      .for('update');
    if (!locked || !canSeeWorkerRow(actor, locked.organizationId, locked.workerId)) throw new NotFoundError('Run', data.runId);
    const { organizationId } = locked;
    if (locked.status !== 'WAITING_FOR_TOOL') {
      throw new InvalidTransitionError('Run', locked.status, 'RUNNING', 'the run is not waiting for tool results');
    }
    const call = locked.pendingToolCalls.find((pending) => pending.toolCallId === data.toolCallId);
    if (!call) {
      throw new ValidationError([{ path: ['toolCallId'], message: `the run has no pending tool call "${data.toolCallId}"` }]);
    }
    if (locked.toolResults.some((result) => result.toolCallId === data.toolCallId)) {
      throw new ValidationError([{ path: ['toolCallId'], message: `tool call "${data.toolCallId}" was already answered` }]);
    }
    const toolResults: ToolResult[] = [
      ...locked.toolResults,
      {
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        ...(data.error ? { error: data.error } : { result: data.output ?? null }),
        ...(call.outputVariable === undefined ? {} : { outputVariable: call.outputVariable }),
        ...(call.blockIndex === undefined ? {} : { blockIndex: call.blockIndex }),
        ...(call.thread === undefined ? {} : { thread: call.thread }),
      },
    ];
    const complete = toolResults.length === locked.pendingToolCalls.length;
    const [updated] = await tx
      .update(runs)
      .set({ toolResults, ...(complete ? { status: 'QUEUED' as const } : {}) })
      .where(eq(runs.id, locked.id))
      .returning();
    if (complete) {
      await outbox.append({ organizationId, type: 'Run.resumed', subjectId: locked.id, payload: { toolResults: toolResults.length } });
    }
    return { run: updated!, complete };
  });
  if (complete) deps.runs.start(run.id);
  return run;
}
