/**
 * Teams (docs/product/fleets.md "Team Coordination"): named slots of a fleet's workers
 * (`researchers: 5, outreach: 10, closers: 3`) and a pipeline of stages (slot, action,
 * input, output). `processTeamWorkflow` runs the stages in order: each stage's task goes
 * to the least loaded worker of its slot, and when it completes, its result is stored
 * under the stage's `output` name and fed to the next stage as its `input`. The
 * workflow run records progress and the final output. A team without stages (a focus
 * team, `focus: 'enterprise_accounts'`) only groups workers.
 *
 * A stage task's input (a JSON object, the worker protocol's input): the first stage
 * gets the workflow's input (under `input` in UPPER_SNAKE_CASE when the stage names
 * one); a later stage gets `{ RESEARCH_REPORT: <output research_report> }` — protocol
 * inputs are UPPER_SNAKE_CASE (docs/protocol.md section 1).
 */
import { and, asc, eq, inArray, isNull, notExists, or, sql } from 'drizzle-orm';
import { z } from 'zod';

import type { Transaction } from '../../db/client.js';
import type { TeamWorkflow } from '../../db/documents.js';
import { tasks, teamMembers, teams, teamWorkflowRuns, teamWorkflowStages, workers } from '../../db/schema.js';
import { InvalidTransitionError, NotFoundError, ValidationError } from '../../errors.js';
import { transactionWithEvents, type Outbox } from '../../events/outbox.js';
import type { TaskRow } from '../../tasks/service.js';
import { heldTasks, isEnded, isOpen } from '../../tasks/predicates.js';
import { stopRuns } from '../../tasks/transitions.js';
import { cancelOpenTasks, createTask } from '../../tasks/work-state.js';
import { parseInput } from '../../validation.js';
import { lockWorker, type WorkerRow } from '../../workers/lifecycle.js';
import { countMembers, isMember } from '../core/members.js';
import { resize } from '../scaling/resize.js';
import { lockFleet, type FleetDeps, type FleetRow } from '../core/store.js';
import { checkTeam, declaredTeam, TeamShape, workersNeeded, type TeamDeclaration } from './model.js';

export type TeamRow = typeof teams.$inferSelect;
export type WorkflowRunRow = typeof teamWorkflowRuns.$inferSelect;

/** What `createTeam` accepts: a declared team ({@link TeamShape}) and its fleet. */
export const CreateTeamModel = TeamShape.extend({ fleetId: z.uuid() })
  .superRefine(checkTeam)
  .transform((team) => ({ fleetId: team.fleetId, ...declaredTeam(team) }));

/**
 * Forms a team in fleet `fleetId` from members in no team yet, hiring from the template
 * what is missing (within the fleet's max), and appends `Team.created`.
 * @throws ValidationError (bad slots or stages, not enough workers within max); NotFoundError
 */
export async function createTeam(deps: FleetDeps, organizationId: string, input: z.input<typeof CreateTeamModel>): Promise<TeamRow> {
  const data = parseInput(CreateTeamModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => formTeam(tx, outbox, await lockFleet(tx, organizationId, data.fleetId), data, deps.clock.now()));
}

/**
 * Forms team `team` in the locked `fleet` in the caller's transaction (see {@link createTeam}).
 * @throws ValidationError on `slots` when the fleet may not hire the workers missing
 */
export async function formTeam(tx: Transaction, outbox: Outbox, fleet: FleetRow, team: TeamDeclaration, now: Date): Promise<TeamRow> {
  const needed = workersNeeded([team]);
  const free = await freeMembers(tx, fleet.id);
  const missing = Math.max(0, needed - free.length);
  const size = await countMembers(tx, fleet.id);
  if (size + missing > fleet.scaling.max) {
    throw new ValidationError([
      {
        path: ['slots'],
        message: `the team needs ${needed} workers: the fleet has ${free.length} in no team and may hire ${fleet.scaling.max - size} more (max ${fleet.scaling.max})`,
      },
    ]);
  }
  if (missing > 0) await resize(tx, outbox, fleet, size + missing, `team ${team.name} formed`, now);
  const crew = (await freeMembers(tx, fleet.id)).slice(0, needed);
  const [row] = await tx
    .insert(teams)
    .values({ organizationId: fleet.organizationId, fleetId: fleet.id, name: team.name, slots: team.slots, workflow: team.workflow, focus: team.focus })
    .returning();
  let next = 0;
  for (const slot of team.slots) {
    const members = crew.slice(next, next + slot.size);
    next += slot.size;
    await tx.insert(teamMembers).values(members.map((workerId) => ({ workerId, organizationId: fleet.organizationId, teamId: row!.id, slot: slot.name })));
  }
  await tx.update(workers).set({ teamId: row!.id }).where(inArray(workers.id, crew));
  await outbox.append({
    organizationId: fleet.organizationId,
    type: 'Team.created',
    subjectId: row!.id,
    payload: { name: row!.name, fleetId: fleet.id, slots: team.slots, stages: team.workflow?.stages.length ?? 0, focus: team.focus },
  });
  return row!;
}

/** Ids of the fleet's ACTIVE members in no team, oldest first (rows locked). */
async function freeMembers(tx: Transaction, fleetId: string): Promise<string[]> {
  const rows = await tx
    .select({ id: workers.id })
    .from(workers)
    .where(
      and(
        eq(workers.fleetId, fleetId),
        eq(workers.lifecycle, 'ACTIVE'),
        isMember,
        notExists(tx.select({ one: sql`1` }).from(teamMembers).where(eq(teamMembers.workerId, workers.id))),
      ),
    )
    .orderBy(asc(workers.id))
    .for('update', { of: workers });
  return rows.map((row) => row.id);
}

/** What `processTeamWorkflow` accepts: the team and the first stage's input. */
export const ProcessWorkflowModel = z.object({
  teamId: z.uuid(),
  input: z.unknown().pipe(z.record(z.string(), z.unknown(), { message: 'must be a JSON object' }).nullish()),
});

/**
 * Starts a run of team `teamId`'s pipeline with `input`: the first stage's task goes to
 * its slot. Appends `Team.workflow.started`.
 * @throws ValidationError; NotFoundError; InvalidTransitionError when the slot has no ACTIVE worker
 */
export async function processTeamWorkflow(deps: FleetDeps, organizationId: string, input: z.input<typeof ProcessWorkflowModel>): Promise<WorkflowRunRow> {
  const data = parseInput(ProcessWorkflowModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const [team] = await tx.select().from(teams).where(and(eq(teams.organizationId, organizationId), eq(teams.id, data.teamId)));
    if (!team) throw new NotFoundError('Team', data.teamId);
    if (!team.workflow?.stages.length) throw new ValidationError([{ path: ['teamId'], message: 'the team has no pipeline stages' }]);
    const worker = await stageWorker(tx, team, 0);
    const [run] = await tx
      .insert(teamWorkflowRuns)
      .values({ organizationId, teamId: team.id, input: data.input ?? {}, startedAt: deps.clock.now() })
      .returning();
    await outbox.append({ organizationId, type: 'Team.workflow.started', subjectId: team.id, payload: { workflowRunId: run!.id, stages: team.workflow.stages.length } });
    await startStage(tx, outbox, team, run!, 0, worker, stageInput(team.workflow, 0, data.input ?? {}, {}));
    return run!;
  });
}

/**
 * The least loaded ACTIVE worker of stage `index`'s slot, its row locked (before any
 * event of the transaction: the outbox lock is held from the first one on).
 * @throws InvalidTransitionError when the slot has none
 */
async function stageWorker(tx: Transaction, team: TeamRow, index: number): Promise<WorkerRow> {
  const stage = team.workflow!.stages[index]!;
  const [choice] = await tx
    .select({ id: workers.id })
    .from(teamMembers)
    .innerJoin(workers, eq(workers.id, teamMembers.workerId))
    .where(and(eq(teamMembers.teamId, team.id), eq(teamMembers.slot, stage.slot), eq(workers.lifecycle, 'ACTIVE')))
    .orderBy(asc(heldTasks), asc(workers.id))
    .limit(1);
  if (!choice) throw new InvalidTransitionError('Team', 'RUNNING', `stage ${index + 1}`, `slot ${stage.slot} has no ACTIVE worker`);
  return lockWorker(tx, team.organizationId, choice.id);
}

/** Gives stage `index` of `run` to the locked `worker` of its slot. */
async function startStage(tx: Transaction, outbox: Outbox, team: TeamRow, run: WorkflowRunRow, index: number, worker: WorkerRow, input: unknown): Promise<TaskRow> {
  const stage = team.workflow!.stages[index]!;
  const task = (await createTask(tx, outbox, team.organizationId, { worker }, { action: stage.action, input, project: `team ${team.name}` }))!;
  await tx.insert(teamWorkflowStages).values({ runId: run.id, stageIndex: index, taskId: task.id });
  return task;
}

/** The input of stage `index` of `workflow` given the run's input and outputs so far. */
function stageInput(workflow: TeamWorkflow, index: number, runInput: unknown, outputs: Record<string, unknown>): unknown {
  const stage = workflow.stages[index]!;
  if (index === 0) return stage.input ? { [inputName(stage.input)]: runInput } : runInput;
  return { [inputName(stage.input!)]: outputs[stage.input!] ?? null };
}

/** `research_report` → `RESEARCH_REPORT`, as protocol inputs are named. */
function inputName(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/**
 * Moves every RUNNING workflow run whose current stage's task has ended: a completed
 * stage stores its result and starts the next (or completes the run, appending
 * `Team.workflow.completed` with the output); a failed or cancelled one fails the run
 * (`Team.workflow.failed`). Each run is moved by one process (its row is locked SKIP LOCKED).
 * @returns the runs moved
 */
export async function advanceWorkflows(deps: FleetDeps): Promise<number> {
  const due = await deps.db
    .select({ id: teamWorkflowRuns.id })
    .from(teamWorkflowRuns)
    .innerJoin(teamWorkflowStages, and(eq(teamWorkflowStages.runId, teamWorkflowRuns.id), eq(teamWorkflowStages.stageIndex, teamWorkflowRuns.currentStage)))
    .leftJoin(tasks, eq(tasks.id, teamWorkflowStages.taskId))
    .where(and(eq(teamWorkflowRuns.status, 'RUNNING'), or(isNull(tasks.id), isEnded)));
  let moved = 0;
  for (const { id } of due) moved += (await advance(deps, id)) ? 1 : 0;
  return moved;
}

async function advance(deps: FleetDeps, runId: string): Promise<boolean> {
  return transactionWithEvents(deps, async (tx, outbox) => {
    const [run] = await tx.select().from(teamWorkflowRuns).where(eq(teamWorkflowRuns.id, runId)).for('update', { skipLocked: true });
    if (!run || run.status !== 'RUNNING') return false;
    const [team] = await tx.select().from(teams).where(eq(teams.id, run.teamId));
    const workflow = team!.workflow!;
    const [current] = await tx
      .select({ task: tasks })
      .from(teamWorkflowStages)
      .leftJoin(tasks, eq(tasks.id, teamWorkflowStages.taskId))
      .where(and(eq(teamWorkflowStages.runId, run.id), eq(teamWorkflowStages.stageIndex, run.currentStage)));
    const task = current?.task;
    const now = deps.clock.now();
    const subject = { organizationId: run.organizationId, subjectId: run.teamId };
    const fail = async (stageIndex: number, reason: string, outputs = run.outputs) => {
      const error = `stage ${stageIndex + 1} (${workflow.stages[stageIndex]!.action}) ${reason}`;
      await tx.update(teamWorkflowRuns).set({ status: 'FAILED', error, outputs, currentStage: stageIndex, completedAt: now }).where(eq(teamWorkflowRuns.id, run.id));
      await outbox.append({ ...subject, type: 'Team.workflow.failed', payload: { workflowRunId: run.id, stage: stageIndex, error } });
      return true;
    };
    if (!task) return fail(run.currentStage, 'lost its task');
    if (task.status === 'FAILED' || task.status === 'CANCELLED') {
      return fail(run.currentStage, `${task.status.toLowerCase()}${task.error ? `: ${task.error}` : ''}`);
    }
    if (task.status !== 'COMPLETED') return false;
    const stage = workflow.stages[run.currentStage]!;
    const outputs = { ...run.outputs, [stage.output ?? `stage_${run.currentStage + 1}`]: task.result };
    const next = run.currentStage + 1;
    const done = next === workflow.stages.length;
    const worker = done ? undefined : await stageWorker(tx, team!, next).catch((error: unknown) => {
      if (error instanceof InvalidTransitionError) return error;
      throw error;
    });
    if (worker instanceof InvalidTransitionError) return fail(next, `could not start: ${worker.message}`, outputs);
    const [updated] = await tx
      .update(teamWorkflowRuns)
      .set({ outputs, currentStage: next, ...(done ? { status: 'COMPLETED', completedAt: now } : {}) })
      .where(eq(teamWorkflowRuns.id, run.id))
      .returning();
    await outbox.append({ ...subject, type: 'Team.workflow.stage.completed', payload: { workflowRunId: run.id, stage: run.currentStage, output: stage.output ?? null } });
    if (done) {
      await outbox.append({ ...subject, type: 'Team.workflow.completed', payload: { workflowRunId: run.id, output: finalOutput(workflow, outputs) ?? null } });
    } else {
      await startStage(tx, outbox, team!, updated!, next, worker!, stageInput(workflow, next, run.input, outputs));
    }
    return true;
  });
}

/** The run's final output: what its last stage produced. */
export function finalOutput(workflow: TeamWorkflow, outputs: Record<string, unknown>): unknown {
  const last = workflow.stages.length - 1;
  return outputs[workflow.stages[last]!.output ?? `stage_${last + 1}`];
}

/** Team members by slot, oldest first. */
export async function membersOf(deps: Pick<FleetDeps, 'db'>, teamId: string) {
  return deps.db
    .select({ slot: teamMembers.slot, worker: workers })
    .from(teamMembers)
    .innerJoin(workers, eq(workers.id, teamMembers.workerId))
    .where(eq(teamMembers.teamId, teamId))
    .orderBy(asc(teamMembers.slot), asc(workers.id));
}

/** The tasks of a run's stages, by stage index. */
export async function stageTasks(deps: Pick<FleetDeps, 'db'>, runId: string): Promise<Map<number, TaskRow | null>> {
  const rows = await deps.db
    .select({ index: teamWorkflowStages.stageIndex, task: tasks })
    .from(teamWorkflowStages)
    .leftJoin(tasks, eq(tasks.id, teamWorkflowStages.taskId))
    .where(eq(teamWorkflowStages.runId, runId));
  return new Map(rows.map((row) => [row.index, row.task]));
}

/** What deleting a team did. */
export interface TeamDeletion {
  team: TeamRow;
  /** Pipelines that were RUNNING: they stop with the team. */
  workflowRunsStopped: number;
  /** Open tasks of the current stages of those pipelines, cancelled. */
  tasksCancelled: number;
  /** Workers that were in its slots: they stay in the fleet, without a team. */
  workersReleased: number;
}

/**
 * Deletes team `teamId`: its RUNNING pipelines stop and the open task of each one's
 * current stage is cancelled (no later stage will take its result); its workers stay in
 * the fleet with their other work, without a team; its pipeline history goes with it.
 * Appends `Team.deleted`. Runs of cancelled tasks are stopped after commit.
 * @throws NotFoundError
 */
export async function deleteTeam(deps: FleetDeps, organizationId: string, teamId: string): Promise<TeamDeletion> {
  const { deletion, runIds } = await transactionWithEvents(deps, async (tx, outbox) => {
    const [team] = await tx
      .select()
      .from(teams)
      .where(and(eq(teams.organizationId, organizationId), eq(teams.id, teamId)))
      .for('update');
    if (!team) throw new NotFoundError('Team', teamId);
    return dissolveTeam(tx, outbox, team, 'its team was deleted');
  });
  await stopRuns(deps, runIds);
  return deletion;
}

/**
 * Deletes the locked `team` inside the caller's transaction (see {@link deleteTeam}),
 * cancelling its pipelines' open stage tasks with `reason`.
 * @returns what it did, and the runs to stop after commit
 */
export async function dissolveTeam(tx: Transaction, outbox: Outbox, team: TeamRow, reason: string): Promise<{ deletion: TeamDeletion; runIds: string[] }> {
  const running = await tx
    .select({ id: teamWorkflowRuns.id, taskId: tasks.id })
    .from(teamWorkflowRuns)
    .leftJoin(teamWorkflowStages, and(eq(teamWorkflowStages.runId, teamWorkflowRuns.id), eq(teamWorkflowStages.stageIndex, teamWorkflowRuns.currentStage)))
    .leftJoin(tasks, and(eq(tasks.id, teamWorkflowStages.taskId), isOpen))
    .where(and(eq(teamWorkflowRuns.teamId, team.id), eq(teamWorkflowRuns.status, 'RUNNING')))
    .for('update', { of: teamWorkflowRuns });
  const openTaskIds = running.flatMap((run) => (run.taskId ? [run.taskId] : []));
  const { cancelled, runIds } = await cancelOpenTasks(tx, outbox, team.organizationId, openTaskIds, reason);
  const released = await tx.delete(teamMembers).where(eq(teamMembers.teamId, team.id)).returning({ workerId: teamMembers.workerId });
  await tx.update(workers).set({ teamId: null }).where(eq(workers.teamId, team.id));
  await tx.delete(teams).where(eq(teams.id, team.id));
  const deletion = { team, workflowRunsStopped: running.length, tasksCancelled: cancelled.length, workersReleased: released.length };
  await outbox.append({
    organizationId: team.organizationId,
    type: 'Team.deleted',
    subjectId: team.id,
    payload: { name: team.name, fleetId: team.fleetId, workflowRunsStopped: deletion.workflowRunsStopped, tasksCancelled: deletion.tasksCancelled, workersReleased: deletion.workersReleased },
  });
  return { deletion, runIds };
}
