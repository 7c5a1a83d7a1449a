/**
 * The context a run of a worker's task receives (docs/protocol.md section 4, "Context
 * inputs"): the worker as `WORKER` and the task as `TASK`. Built once, when the run is
 * queued, with one query (manager, recent messages and feedback), and stored in the run's
 * input, so the run shows what it was given and a resumed run sees the same identity.
 */
import { sql } from 'drizzle-orm';

import type { Executor } from '../db/client.js';
import type { WorkerGoals, WorkerKpi, WorkerPersona, WorkerSkill } from '../db/documents.js';
import { workerFeedback, workerMessages, workers } from '../db/schema.js';
import type { TaskRow } from './service.js';
import type { WorkerRow } from '../workers/lifecycle.js';

/** How many of the worker's newest messages, and of its newest feedback, `WORKER` carries. */
export const RECENT_COMMUNICATION_LIMIT = 10;

/** A message sent to the worker, as `WORKER.recentMessages` lists it (newest first). */
export interface ContextMessage {
  from: string;
  subject: string;
  body: string;
  priority: string;
  /** ISO 8601 instant the message was sent. */
  sentAt: string;
}

/** Feedback given to the worker, as `WORKER.recentFeedback` lists it (newest first). */
export interface ContextFeedback {
  type: string;
  /** 1–5. */
  rating: number;
  strengths: string[];
  improvements: string[];
  goals: string[];
  from: string | null;
  /** ISO 8601 instant the feedback was given. */
  givenAt: string;
}

/** `WORKER`: the identity of the worker a run works for. */
export interface WorkerContext {
  id: string;
  name: string;
  role: string;
  persona: WorkerPersona | null;
  skills: WorkerSkill[];
  capabilities: string[];
  responsibilities: string[];
  goals: WorkerGoals | null;
  kpis: WorkerKpi[];
  /** The worker's manager, when it has one. */
  manager: { name: string; role: string } | null;
  /** The worker's `model` (`vendor/model`); fills start-thread blocks that name none. */
  model: string | null;
  recentMessages: ContextMessage[];
  recentFeedback: ContextFeedback[];
}

/** `TASK`: the task a run works on. */
export interface TaskContext {
  id: string;
  action: string;
  /** The task's input as the caller wrote it (any JSON). */
  input: unknown;
  priority: string;
  /** ISO 8601 instant, or null. */
  dueDate: string | null;
  project: string | null;
  /** The JSON Schema the task's result must match, or null (docs/protocol.md section 5). */
  responseSchema: Record<string, unknown> | null;
}

/** The context inputs of a run of `worker`'s `task`. */
export interface WorkContext {
  WORKER: WorkerContext;
  TASK: TaskContext;
}

/**
 * Builds `WORKER` and `TASK` for a run of `task` by `worker`, reading the manager and the
 * worker's {@link RECENT_COMMUNICATION_LIMIT} newest messages and feedback in one query.
 */
export async function workContextOf(db: Executor, worker: WorkerRow, task: TaskRow): Promise<WorkContext> {
  const limit = RECENT_COMMUNICATION_LIMIT;
  const [row] = await db
    .select({
      manager: sql<{ name: string; role: string } | null>`(select json_build_object('name', ${workers.name}, 'role', ${workers.role}) from ${workers} where ${workers.id} = ${worker.managerId})`,
      messages: sql<ContextMessage[]>`(select coalesce(json_agg(json_build_object('from', m."from", 'subject', m.subject, 'body', m.body, 'priority', m.priority, 'sentAt', m.created_at) order by m.created_at desc, m.id desc), '[]'::json)
        from (select * from ${workerMessages} where ${workerMessages.workerId} = ${worker.id} order by ${workerMessages.createdAt} desc, ${workerMessages.id} desc limit ${limit}) m)`,
      feedback: sql<ContextFeedback[]>`(select coalesce(json_agg(json_build_object('type', f.type, 'rating', f.rating, 'strengths', f.strengths, 'improvements', f.improvements, 'goals', f.goals, 'from', f."from", 'givenAt', f.created_at) order by f.created_at desc, f.id desc), '[]'::json)
        from (select * from ${workerFeedback} where ${workerFeedback.workerId} = ${worker.id} order by ${workerFeedback.createdAt} desc, ${workerFeedback.id} desc limit ${limit}) f)`,
    })
    .from(sql`(select 1) as one`);
  return {
    WORKER: {
      id: worker.id,
      name: worker.name,
      role: worker.role,
      persona: worker.persona,
      skills: worker.skills,
      capabilities: worker.capabilities,
      responsibilities: worker.responsibilities,
      goals: worker.goals,
      kpis: worker.kpis,
      manager: row?.manager ?? null,
      model: worker.model,
      recentMessages: row?.messages ?? [],
      recentFeedback: row?.feedback ?? [],
    },
    TASK: {
      id: task.id,
      action: task.action,
      input: task.input ?? null,
      priority: task.priority,
      dueDate: task.dueDate?.toISOString() ?? null,
      project: task.project,
      responseSchema: task.responseSchema,
    },
  };
}
