/** GraphQL operations of teams (createTeam, deleteTeam, processTeamWorkflow). */
import { InvalidTransitionError, NotFoundError, ValidationError } from '../../errors.js';
import { builder } from '../../graphql/builder.js';
import { Task, TaskStatusEnum } from '../../tasks/schema.js';
import type { TaskRow } from '../../tasks/service.js';
import type { WorkerRow } from '../../workers/lifecycle.js';
import { Worker } from '../../workers/schema.js';
import { Fleet, Team } from '../core/schema.js';
import { createTeam, deleteTeam, finalOutput, membersOf, processTeamWorkflow, stageTasks, type TeamDeletion } from './service.js';

const MemberRef = builder.objectRef<{ slot: string; worker: WorkerRow }>('TeamMember').implement({
  description: 'A worker in a team slot.',
  fields: (t) => ({
    slot: t.exposeString('slot', { description: 'The slot, e.g. `researchers`.' }),
    worker: t.field({ type: Worker, description: 'The worker.', resolve: (m) => m.worker }),
  }),
});

const WorkflowStatusEnum = builder.enumType('TeamWorkflowStatus', {
  description: 'Where a pipeline run is.',
  values: {
    RUNNING: { description: 'A stage is being worked on.' },
    COMPLETED: { description: 'Every stage completed.' },
    FAILED: { description: 'A stage failed or was cancelled, or a slot had no ACTIVE worker.' },
  },
});

type StageView = { index: number; slot: string; action: string; input: string | null; output: string | null; task: TaskRow | null };

const StageRunRef = builder.objectRef<StageView>('TeamWorkflowStage').implement({
  description: 'One stage of a pipeline run.',
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Position, from 0.' }),
    slot: t.exposeString('slot', { description: 'The slot that does it.' }),
    action: t.exposeString('action', { description: 'Task action.' }),
    input: t.exposeString('input', { nullable: true, description: 'Name of the output it takes.' }),
    output: t.exposeString('output', { nullable: true, description: 'Name of what it produces.' }),
    status: t.field({ type: TaskStatusEnum, nullable: true, description: 'Its task’s status; null before the stage started.', resolve: (s) => s.task?.status ?? null }),
    task: t.field({ type: Task, nullable: true, description: 'Its task, once started.', resolve: (s) => s.task }),
    result: t.field({ type: 'JSON', nullable: true, description: 'What it produced.', resolve: (s) => (s.task?.status === 'COMPLETED' ? s.task.result : null) }),
  }),
});

export const TeamWorkflowRun = builder.drizzleNode('teamWorkflowRuns', {
  name: 'TeamWorkflowRun',
  description: 'A run of a team’s pipeline: its stages in order, each fed the previous one’s output.',
  id: { column: (run) => run.id },
  fields: (t) => ({
    team: t.relation('team', { description: 'The team.' }),
    status: t.field({ type: WorkflowStatusEnum, description: 'Where it is.', resolve: (run) => run.status }),
    input: t.expose('input', { type: 'JSON', nullable: true, description: 'The first stage’s input.' }),
    outputs: t.expose('outputs', { type: 'JSON', description: 'Stage outputs so far, by name.' }),
    currentStage: t.exposeInt('currentStage', { description: 'Index of the stage being worked on (the stage count once completed).' }),
    progress: t.float({
      description: 'Completed stages / stages, 0–1.',
      select: { with: { team: true } },
      resolve: (run) => run.currentStage / Math.max(1, run.team.workflow?.stages.length ?? 1),
    }),
    output: t.field({
      type: 'JSON',
      nullable: true,
      description: 'The final output (the last stage’s), once COMPLETED.',
      select: { with: { team: true } },
      resolve: (run) => (run.status === 'COMPLETED' && run.team.workflow ? (finalOutput(run.team.workflow, run.outputs) ?? null) : null),
    }),
    stages: t.field({
      type: [StageRunRef],
      description: 'Every stage, started or not.',
      select: { with: { team: true } },
      resolve: async (run, _args, ctx) => {
        const started = await stageTasks(ctx, run.id);
        return (run.team.workflow?.stages ?? []).map((stage, index) => ({
          index,
          ...stage,
          input: stage.input ?? null,
          output: stage.output ?? null,
          task: started.get(index) ?? null,
        }));
      },
    }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'When it started.' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true, description: 'When it completed or failed.' }),
  }),
});

builder.drizzleObjectFields(Team, (t) => ({
  members: t.field({ type: [MemberRef], description: 'Workers by slot.', resolve: (team, _args, ctx) => membersOf(ctx, team.id) }),
  workflowRuns: t.relation('workflowRuns', { description: 'Pipeline runs, newest first.', query: { orderBy: { id: 'desc' }, limit: 50 } }),
}));

const SlotInput = builder.inputType('TeamSlotInput', {
  description: 'A named slot, e.g. researchers: 5.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Slot name.' }),
    size: t.int({ required: true, description: 'Workers in it.' }),
  }),
});

const StageInput = builder.inputType('PipelineStageInput', {
  description: 'A pipeline stage.',
  fields: (t) => ({
    slot: t.string({ required: true, description: 'The slot that does it.' }),
    action: t.string({ required: true, description: 'Task action.' }),
    input: t.string({ description: 'An earlier stage’s output it takes (required after the first stage); the task input key is its UPPER_SNAKE_CASE form.' }),
    output: t.string({ description: 'Name of what it produces.' }),
  }),
});

/** The fields of a declared team, shared by `createTeam` and `createFleet`'s `teams`. */
const teamFields = (t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0]) => ({
  name: t.string({ required: true, description: 'Team name.' }),
  slots: t.field({ type: [SlotInput], description: 'Named slots; or `workers`.' }),
  workers: t.int({ description: 'The fleet document’s `workers: 10`: one slot of that many workers, named after the team; or `slots`.' }),
  stages: t.field({ type: [StageInput], description: 'The pipeline, in order; a team without one (a focus team) takes no `processTeamWorkflow`.' }),
  focus: t.string({ description: 'What the team works on, e.g. `enterprise_accounts`.' }),
});

/** A team declared inside `createFleet` (the fleet document's `teams: { enterprise: { workers: 10, focus } }`). */
export const FleetTeamInput = builder.inputType('FleetTeamInput', {
  description: 'A team formed with its fleet: slots or workers, a pipeline or a focus.',
  fields: (t) => teamFields(t),
});

const CreateTeamInput = builder.inputType('CreateTeamInput', {
  description: 'A team of a fleet’s workers (seed `fleet.createTeam`).',
  fields: (t) => ({
    fleetId: t.globalID({ required: true, for: Fleet, description: 'The fleet; members in no team fill the slots, the template hires the rest.' }),
    ...teamFields(t),
  }),
});

const ProcessTeamWorkflowInput = builder.inputType('ProcessTeamWorkflowInput', {
  description: 'Work for a team’s pipeline (seed `salesTeam.process({ account })`).',
  fields: (t) => ({
    teamId: t.globalID({ required: true, for: Team, description: 'The team.' }),
    input: t.field({ type: 'JSON', description: 'The first stage’s input, a JSON object.' }),
  }),
});

const TeamDeletionRef = builder.objectRef<TeamDeletion>('TeamDeletion').implement({
  description: 'What deleting a team did to its pipelines and its workers.',
  fields: (t) => ({
    deletedTeamId: t.globalID({ description: 'Global ID of the deleted team.', resolve: (d) => ({ type: 'Team', id: d.team.id }) }),
    name: t.string({ description: 'Its name.', resolve: (d) => d.team.name }),
    workflowRunsStopped: t.exposeInt('workflowRunsStopped', { description: 'Pipelines that were running, stopped.' }),
    tasksCancelled: t.exposeInt('tasksCancelled', { description: 'Open tasks of their current stages, cancelled.' }),
    workersReleased: t.exposeInt('workersReleased', { description: 'Workers of its slots: they stay in the fleet with their other work.' }),
  }),
});

const DeleteTeamInput = builder.inputType('DeleteTeamInput', {
  description: 'The team to delete.',
  fields: (t) => ({ teamId: t.globalID({ required: true, for: Team, description: 'The team.' }) }),
});

builder.mutationFields((t) => ({
  deleteTeam: t.field({
    authScopes: { admin: true },
    type: TeamDeletionRef,
    description:
      'Deletes a team: its running pipelines stop and the open task of each one’s current stage is cancelled; its workers stay in the fleet, with their other work, without a team. Appends `Worker.task.cancelled` per cancelled task and `Team.deleted`.',
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: DeleteTeamInput, required: true }) },
    resolve: (_root, { input }, ctx) => deleteTeam(ctx, ctx.actor.organizationId, input.teamId.id),
  }),
  createTeam: t.field({
    authScopes: { admin: true },
    type: Team,
    description: 'Forms a team with named slots (or `workers`) and a pipeline or a focus. Appends `Team.created` (and `Fleet.scaled` when it hired).',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: CreateTeamInput, required: true }) },
    resolve: (_root, { input }, ctx) => createTeam(ctx, ctx.actor.organizationId, { ...input, fleetId: input.fleetId.id }),
  }),
  processTeamWorkflow: t.field({
    type: TeamWorkflowRun,
    description:
      'Runs the team’s pipeline on `input`, stage after stage; returns the run at once. ' +
      'Appends `Team.workflow.started`, `.stage.completed`, `.completed` / `.failed`.',
    errors: { types: [ValidationError, NotFoundError, InvalidTransitionError] },
    args: { input: t.arg({ type: ProcessTeamWorkflowInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      processTeamWorkflow(ctx, ctx.actor.organizationId, { teamId: input.teamId.id, input: input.input }),
  }),
}));

