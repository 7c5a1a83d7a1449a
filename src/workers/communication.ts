/**
 * Feedback and communication (docs/product/worker.md "Worker Communication",
 * `provideFeedback`): stored rows, each with its domain event.
 */
import { and, desc, eq } from 'drizzle-orm';
import { z } from 'zod';

import type { Database } from '../db/client.js';
import { runEvents, runs, tasks, workerFeedback, workerMeetings, workerMessages } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import { transactionWithEvents } from '../events/outbox.js';
import type { Bus } from '../realtime/bus.js';
import { TaskPriorityModel, type TaskRow } from '../tasks/service.js';
import { parseInput, withDefault } from '../validation.js';
import { lockWorker } from './lifecycle.js';

type Deps = { db: Database; bus: Bus };

const Texts = z.array(z.string().trim().min(1, 'must not be empty').max(1000));

/** What `provideFeedback` accepts; rating 1–5 in halves or finer (seed: 4.5). */
export const ProvideFeedbackModel = z.object({
  workerId: z.uuid(),
  type: withDefault(z.string().trim().min(1).max(100), 'general'),
  rating: z.number().min(1, 'must be between 1 and 5').max(5, 'must be between 1 and 5'),
  strengths: withDefault(Texts, []),
  improvements: withDefault(Texts, []),
  goals: withDefault(Texts, []),
  from: z.string().trim().min(1).max(200).nullish(),
});

/** What `messageWorker` accepts. */
export const MessageWorkerModel = z.object({
  workerId: z.uuid(),
  from: z.string().trim().min(1, 'must name the sender').max(200),
  subject: z.string().trim().min(1, 'must not be empty').max(500),
  body: z.string().trim().min(1, 'must not be empty').max(20_000),
  priority: withDefault(TaskPriorityModel, 'NORMAL'),
});

/** What `scheduleMeeting` accepts. */
export const ScheduleMeetingModel = z.object({
  workerId: z.uuid(),
  type: z.string().trim().min(1, 'must not be empty').max(100),
  durationMinutes: z.number().int().min(5, 'must be 5 to 480 minutes').max(480, 'must be 5 to 480 minutes'),
  agenda: withDefault(Texts, []),
  startsAt: z.date(),
});

/** What `requestUpdate` accepts. */
export const RequestUpdateModel = z.object({ workerId: z.uuid(), taskId: z.uuid() });

export type FeedbackRow = typeof workerFeedback.$inferSelect;
export type MessageRow = typeof workerMessages.$inferSelect;
export type MeetingRow = typeof workerMeetings.$inferSelect;

/**
 * Stores feedback for a worker and appends `Worker.feedback.received`.
 * @throws ValidationError (rating outside 1–5…); NotFoundError
 */
export function provideFeedback(deps: Deps, organizationId: string, input: z.input<typeof ProvideFeedbackModel>): Promise<FeedbackRow> {
  const data = parseInput(ProvideFeedbackModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const worker = await lockWorker(tx, organizationId, data.workerId);
    const [row] = await tx
      .insert(workerFeedback)
      .values({ organizationId, ...data, workerId: worker.id, from: data.from ?? null })
      .returning();
    await outbox.append({
      organizationId,
      type: 'Worker.feedback.received',
      subjectId: worker.id,
      payload: { feedbackId: row!.id, type: row!.type, rating: row!.rating, from: row!.from },
    });
    return row!;
  });
}

/**
 * Sends a message to a worker and appends `Worker.message.received`.
 * @throws ValidationError; NotFoundError
 */
export function messageWorker(deps: Deps, organizationId: string, input: z.input<typeof MessageWorkerModel>): Promise<MessageRow> {
  const data = parseInput(MessageWorkerModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const worker = await lockWorker(tx, organizationId, data.workerId);
    const [row] = await tx.insert(workerMessages).values({ organizationId, ...data }).returning();
    await outbox.append({
      organizationId,
      type: 'Worker.message.received',
      subjectId: worker.id,
      payload: { messageId: row!.id, from: row!.from, subject: row!.subject, priority: row!.priority },
    });
    return row!;
  });
}

/**
 * Schedules a meeting with a worker and appends `Worker.meeting.scheduled`.
 * @throws ValidationError (duration outside 5–480 minutes…); NotFoundError
 */
export function scheduleMeeting(deps: Deps, organizationId: string, input: z.input<typeof ScheduleMeetingModel>): Promise<MeetingRow> {
  const data = parseInput(ScheduleMeetingModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const worker = await lockWorker(tx, organizationId, data.workerId);
    const [row] = await tx.insert(workerMeetings).values({ organizationId, ...data }).returning();
    await outbox.append({
      organizationId,
      type: 'Worker.meeting.scheduled',
      subjectId: worker.id,
      payload: { meetingId: row!.id, type: row!.type, startsAt: row!.startsAt.toISOString(), durationMinutes: row!.durationMinutes },
    });
    return row!;
  });
}

/** The latest state of a task (seed `requestUpdate`). */
export interface TaskUpdate {
  task: TaskRow;
  /** Time spent since the task started, until it ended or now; null before it starts. */
  elapsedMs: number | null;
  /** The newest stored event of the task's run, if it has one. */
  lastRunEvent: { seq: number; type: string; at: Date } | null;
  runStatus: (typeof runs.$inferSelect)['status'] | null;
  /** One line for people, e.g. `RUNNING for 42 s; run RUNNING, last event text-delta`. */
  summary: string;
}

/**
 * Asks a worker for the latest state of one of its tasks; appends
 * `Worker.update.requested`.
 * @throws ValidationError; NotFoundError when the task is not the worker's
 */
export async function requestUpdate(deps: Deps, organizationId: string, input: z.input<typeof RequestUpdateModel>): Promise<TaskUpdate> {
  const data = parseInput(RequestUpdateModel, input);
  const task = await transactionWithEvents(deps, async (tx, outbox) => {
    const worker = await lockWorker(tx, organizationId, data.workerId);
    const [task] = await tx
      .select()
      .from(tasks)
      .where(and(eq(tasks.id, data.taskId), eq(tasks.organizationId, organizationId), eq(tasks.assigneeId, worker.id)));
    if (!task) throw new NotFoundError('Task', data.taskId);
    await outbox.append({
      organizationId,
      type: 'Worker.update.requested',
      subjectId: worker.id,
      payload: { taskId: task.id, status: task.status },
    });
    return task;
  });
  const [run] = task.runId ? await deps.db.select({ status: runs.status }).from(runs).where(eq(runs.id, task.runId)) : [];
  const [lastRunEvent] = task.runId
    ? await deps.db
        .select({ seq: runEvents.seq, type: runEvents.type, at: runEvents.at })
        .from(runEvents)
        .where(eq(runEvents.runId, task.runId))
        .orderBy(desc(runEvents.seq))
        .limit(1)
    : [];
  const elapsedMs = task.startedAt ? (task.completedAt ?? new Date()).getTime() - task.startedAt.getTime() : null;
  const parts = [elapsedMs === null ? task.status : `${task.status} for ${Math.round(elapsedMs / 1000)} s`];
  if (run) parts.push(`run ${run.status}${lastRunEvent ? `, last event ${lastRunEvent.type}` : ''}`);
  if (task.error) parts.push(task.error);
  return { task, elapsedMs, lastRunEvent: lastRunEvent ?? null, runStatus: run?.status ?? null, summary: parts.join('; ') };
}
