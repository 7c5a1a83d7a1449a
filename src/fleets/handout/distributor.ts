/**
 * The CUSTOM strategy's distributor (docs/product/fleets.md `distributor: async (task,
 * workers) => …`): a worker protocol named on the fleet. For each task it runs once with
 *
 *   TASK:    { action, input, priority, requiredSkills }
 *   WORKERS: [{ id, name, load, concurrency, skills: [{ name, level }], capabilities, tasksCompleted }]
 *
 * (declare both inputs with `type: unknown`), where WORKERS are the workers that can
 * take the task now and `id` is a worker's global ID. Its output names the chosen
 * worker: the ID as a string, or an object with `workerId`. Runs go in parallel, outside
 * any lock; their answers are checked again under the locks (strategies.ts), and an
 * answer that is missing, late, or names no candidate falls back to LEAST_LOADED.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { eq } from 'drizzle-orm';

import { runs } from '../../db/schema.js';
import { DomainError } from '../../errors.js';
import { wakeUpsWhere } from '../../realtime/wake-up.js';
import { executeWorker, FINAL_RUN_STATUSES, type RunRow } from '../../runs/service.js';
import type { TaskPriority } from '../../tasks/service.js';
import { loadCandidates } from './candidates.js';
import { canTake, type DistributorAnswer } from './strategies.js';
import type { FleetDeps, FleetRow } from '../core/store.js';

/** How long a distributor run may take per task before LEAST_LOADED decides, in ms. */
export const DISTRIBUTOR_TIMEOUT_MS = 30_000;

/** Distributor runs in flight at once per request, so a batch of 1 000 does not start 1 000 runs. */
const PARALLEL_RUNS = 8;

/** A task to ask about, under its planning key. */
export interface DistributedTask {
  key: string;
  action: string;
  input?: unknown;
  priority: TaskPriority;
  requiredSkills: string[];
}

/**
 * Asks the fleet's distributor where each task goes. Tasks no worker can take now are
 * not asked about (they wait in the queue whatever the answer).
 * @returns answers by task key; worker ids are local UUIDs
 */
export async function askDistributor(deps: FleetDeps, fleet: FleetRow, items: DistributedTask[]): Promise<Map<string, DistributorAnswer>> {
  const answers = new Map<string, DistributorAnswer>();
  if (!fleet.distributor || items.length === 0) return answers;
  const candidates = await loadCandidates(deps.db, fleet, deps.clock.now(), { lock: false });
  const queue = [...items];
  const ask = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const eligible = candidates.filter((c) => canTake(c, item!, fleet.quotas));
      if (eligible.length === 0) continue;
      const input = {
        TASK: { action: item.action, input: item.input ?? null, priority: item.priority, requiredSkills: item.requiredSkills },
        WORKERS: eligible.map((c) => ({
          id: encodeGlobalID('Worker', c.id),
          name: c.name,
          load: c.open,
          concurrency: c.concurrency,
          skills: c.skills,
          capabilities: c.capabilities,
          tasksCompleted: c.completed,
        })),
      };
      answers.set(item.key, await answerOf(deps, fleet, input, new Set(eligible.map((c) => c.id))));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_RUNS, items.length) }, ask));
  return answers;
}

/** Runs the distributor once and reads the worker its output names. */
async function answerOf(deps: FleetDeps, fleet: FleetRow, input: Record<string, unknown>, ids: Set<string>): Promise<DistributorAnswer> {
  let run: RunRow | undefined;
  try {
    run = await runToEnd(deps, fleet.organizationId, { protocol: fleet.distributor!, input });
  } catch (error) {
    if (error instanceof DomainError) return { error: `the distributor could not run: ${error.message}` };
    throw error;
  }
  if (!run) return { error: `the distributor did not answer within ${DISTRIBUTOR_TIMEOUT_MS / 1000} s` };
  if (run.status !== 'COMPLETED') return { error: `the distributor run ended ${run.status}${run.error ? `: ${run.error.message}` : ''}` };
  const named = workerIdIn(run.output);
  if (named && ids.has(named)) return { workerId: named };
  return { error: `the distributor's output ${JSON.stringify(run.output ?? null).slice(0, 200)} names no candidate worker` };
}

/** The worker UUID an output names: a global ID or UUID, as a string or `{ workerId }`. */
function workerIdIn(output: unknown): string | undefined {
  const value =
    typeof output === 'string'
      ? output.trim()
      : typeof output === 'object' && output !== null && typeof (output as { workerId?: unknown }).workerId === 'string'
        ? (output as { workerId: string }).workerId.trim()
        : undefined;
  if (!value) return undefined;
  try {
    const decoded = decodeGlobalID(value);
    if (decoded.typename === 'Worker') return decoded.id;
  } catch {
    // not a global ID: maybe a bare UUID
  }
  return value;
}

/**
 * Starts a run and waits for its end, listening to its `Run.<status>` event.
 * @returns the ended run, or undefined after {@link DISTRIBUTOR_TIMEOUT_MS} (the run is
 *   then cancelled)
 * @throws NotFoundError / ValidationError when the run cannot start
 */
async function runToEnd(deps: FleetDeps, organizationId: string, input: { protocol: string; input: Record<string, unknown> }): Promise<RunRow | undefined> {
  const events = wakeUpsWhere(deps.bus, 'domain:event', organizationId, (event) => event.type.startsWith('Run.'));
  let wake = events.next();
  const timeout = new AbortController();
  const expired = sleep(DISTRIBUTOR_TIMEOUT_MS, 'expired' as const, { signal: timeout.signal }).catch(() => 'stopped' as const);
  try {
    const started = await executeWorker(deps, organizationId, input);
    for (;;) {
      const [run] = await deps.db.select().from(runs).where(eq(runs.id, started.id));
      if (!run || FINAL_RUN_STATUSES.includes(run.status)) return run;
      for (;;) {
        const next = await Promise.race([wake, expired]);
        if (next === 'expired' || next === 'stopped') {
          if (!deps.runs.abort(started.id)) await deps.runs.cancelIdle(started.id);
          return undefined;
        }
        if (next.done) return undefined;
        wake = events.next();
        break;
      }
    }
  } finally {
    timeout.abort();
    await events.return?.();
  }
}
