/**
 * Which rows `node(id)` and `nodes(ids)` may load: a global ID resolves only when its
 * type is a node type, its key is a UUID, and the row exists in the caller's
 * organisation. Anything else answers null, exactly like a missing object, so a global
 * ID reveals nothing (Relay: a node that cannot be fetched is null).
 */
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';

import type { Actor } from '../auth/actor.js';
import type { Database } from '../db/client.js';
import {
  apiKeys,
  fleets,
  protocols,
  runs,
  shifts,
  tasks,
  taskSchedules,
  teams,
  teamWorkflowRuns,
  triggers,
  webhooks,
  workerFeedback,
  workerMeetings,
  workerMessages,
  workers,
} from '../db/schema.js';

/** Node type name → its table. */
const NODE_TABLES = {
  ApiKey: apiKeys,
  Worker: workers,
  Fleet: fleets,
  Team: teams,
  TeamWorkflowRun: teamWorkflowRuns,
  Shift: shifts,
  Task: tasks,
  Protocol: protocols,
  Run: runs,
  TaskSchedule: taskSchedules,
  Feedback: workerFeedback,
  WorkerMessage: workerMessages,
  Meeting: workerMeetings,
  Trigger: triggers,
  Webhook: webhooks,
} as const;

const Uuid = z.uuid();

/** For a worker key: the node types it may see, and the column naming their worker. */
const WORKER_NODE_OWNERS = {
  Worker: workers.id,
  Task: tasks.assigneeId,
  Run: runs.workerId,
} as const;

/**
 * Whether global ID `{ typename, id }` names a row `actor` may see: one of its
 * organisation, and for a worker key one of its own worker, tasks or runs.
 */
export async function isVisibleNode(db: Database, actor: Actor, globalId: { typename: string; id: string }): Promise<boolean> {
  const table = NODE_TABLES[globalId.typename as keyof typeof NODE_TABLES];
  if (!table || !Uuid.safeParse(globalId.id).success) return false;
  const owner = WORKER_NODE_OWNERS[globalId.typename as keyof typeof WORKER_NODE_OWNERS];
  if (actor.role === 'worker' && (!owner || !actor.workerId)) return false;
  const [row] = await db
    .select({ id: table.id })
    .from(table)
    .where(
      and(
        eq(table.id, globalId.id),
        eq(table.organizationId, actor.organizationId),
        actor.role === 'worker' ? eq(owner!, actor.workerId!) : undefined,
      ),
    );
  return row !== undefined;
}
