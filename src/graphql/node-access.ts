/**
 * Global IDs: the one place where they are decoded ({@link decodeGlobalId}, the relay
 * plugin's `decodeGlobalID`), and which rows `node(id)` and `nodes(ids)` may load. A
 * global ID is the base64 of `<node type>:<UUID>`; it resolves only when its type is a
 * node type, its key is a UUID, and the row exists in the caller's organisation.
 * Anything else answers null, exactly like a missing object, so a global ID reveals
 * nothing (Relay: a node that cannot be fetched is null). Typed ID arguments refuse a
 * malformed or foreign ID with a ValidationError instead (input-guard.ts).
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
  webhookDeliveries,
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
  WebhookDelivery: webhookDeliveries,
} as const;

/** zod's UUID pattern (what `z.uuid()` checks), tested directly: IDs are decoded for every event a subscription maps. */
const UUID = z.regexes.uuid();

/** A node type name, e.g. `Worker`. */
export type NodeTypeName = keyof typeof NODE_TABLES;

/** Whether `typename` is a node type (own keys only: `__proto__` or `toString` are not). */
export function isNodeType(typename: string): typename is NodeTypeName {
  return Object.hasOwn(NODE_TABLES, typename);
}

/** Standard base64, as global IDs are encoded. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Longest global ID worth decoding: the longest type name, a colon and a UUID fit in far less. */
const MAX_GLOBAL_ID_LENGTH = 128;

/**
 * Decodes global ID `globalId` into its node type and UUID; undefined when it is not
 * canonical base64, names no node type, or its key is not a UUID. Never throws.
 */
export function decodeGlobalId(globalId: string): { typename: NodeTypeName; id: string } | undefined {
  if (globalId.length > MAX_GLOBAL_ID_LENGTH || !BASE64.test(globalId)) return undefined;
  const text = Buffer.from(globalId, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const typename = text.slice(0, colon);
  const id = text.slice(colon + 1);
  if (colon < 0 || !isNodeType(typename) || !UUID.test(id)) return undefined;
  return { typename, id };
}

/** For a worker key: the node types it may see, and the column naming their worker. */
const WORKER_NODE_OWNERS = {
  Worker: workers.id,
  Task: tasks.assigneeId,
  Run: runs.workerId,
} as const;

/**
 * Whether global ID `{ typename, id }` (as the relay plugin decoded it) names a row
 * `actor` may see: one of its organisation, and for a worker key one of its own worker,
 * tasks or runs. An ID that did not decode never does.
 */
export async function isVisibleNode(db: Database, actor: Actor, globalId: { typename: string; id: string }): Promise<boolean> {
  if (!isNodeType(globalId.typename) || !UUID.test(globalId.id)) return false;
  const table = NODE_TABLES[globalId.typename];
  const owner = Object.hasOwn(WORKER_NODE_OWNERS, globalId.typename) ? WORKER_NODE_OWNERS[globalId.typename as keyof typeof WORKER_NODE_OWNERS] : undefined;
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
