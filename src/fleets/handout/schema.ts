/** GraphQL operations of fleet work (assignWork; "Fleets": rebalanceFleet). */
import { InvalidTransitionError, NotFoundError, ValidationError } from '../../errors.js';
import { builder } from '../../graphql/builder.js';
import { localTaskIds, newTaskInputFields, Task } from '../../tasks/schema.js';
import { Worker } from '../../workers/schema.js';
import { assignWork, MAX_TASKS_PER_CALL, type Fallback, type WorkAssignment as WorkAssignmentData } from './dispatch.js';
import { rebalanceFleet, type Move, type Rebalance } from './rebalance.js';
import { PriorityRuleInput, SkillMatchingInput } from '../core/policy-schema.js';
import { AssignmentStrategyEnum, Fleet } from '../core/schema.js';

const FallbackRef = builder.objectRef<Fallback>('AssignmentFallback').implement({
  description: 'A task the CUSTOM distributor could not place; LEAST_LOADED decided instead.',
  fields: (t) => ({
    task: t.field({ type: Task, description: 'The task.', resolve: (f) => f.task }),
    reason: t.exposeString('reason', { description: 'What was wrong with the distributor’s answer.' }),
  }),
});

const WorkAssignmentRef = builder.objectRef<WorkAssignmentData>('WorkAssignment').implement({
  description: 'Where `assignWork` sent each task.',
  fields: (t) => ({
    fleet: t.field({ type: Fleet, description: 'The fleet.', resolve: (a) => a.fleet }),
    strategy: t.field({ type: AssignmentStrategyEnum, description: 'Strategy used.', resolve: (a) => a.strategy }),
    tasks: t.field({ type: [Task], description: 'The new tasks in input order: ASSIGNED, or PENDING in the fleet queue.', resolve: (a) => a.tasks }),
    assigned: t.int({ description: 'New tasks given to a worker.', resolve: (a) => a.tasks.filter((task) => task.status === 'ASSIGNED').length }),
    queued: t.int({ description: 'New tasks waiting in the fleet queue.', resolve: (a) => a.tasks.filter((task) => task.status === 'PENDING').length }),
    handedOut: t.field({ type: [Task], description: 'Queued tasks, more urgent or older, handed out first.', resolve: (a) => a.handedOut }),
    fallbacks: t.field({ type: [FallbackRef], description: 'CUSTOM answers that could not be used.', resolve: (a) => a.fallbacks }),
  }),
});

const MoveRef = builder.objectRef<Move>('TaskMove').implement({
  description: 'A not-yet-started task moved by a rebalance.',
  fields: (t) => ({
    task: t.field({ type: Task, description: 'The task.', resolve: (m) => m.task }),
    from: t.field({ type: Worker, description: 'The worker that could not start it.', resolve: (m) => m.from }),
    to: t.field({ type: Worker, description: 'The worker that has it now.', resolve: (m) => m.to }),
  }),
});

const RebalanceRef = builder.objectRef<Rebalance>('FleetRebalance').implement({
  description: 'What a rebalance moved.',
  fields: (t) => ({
    fleet: t.field({ type: Fleet, description: 'The fleet.', resolve: (r) => r.fleet }),
    moved: t.field({ type: [MoveRef], description: 'Tasks moved to workers with a free slot.', resolve: (r) => r.moved }),
    handedOut: t.field({ type: [Task], description: 'Queued tasks handed out afterwards.', resolve: (r) => r.handedOut }),
  }),
});

const FleetTaskInput = builder.inputType('FleetTaskInput', {
  description: 'A task for a fleet, as `assignTask` takes one; when a strategy chooses no worker it waits in the fleet queue.',
  fields: (t) => newTaskInputFields(t, 'the fleet’s'),
});

const AssignWorkInput = builder.inputType('AssignWorkInput', {
  description: 'Work for a fleet (seed `fleet.assignWork`); omitted balancing fields take the fleet’s.',
  fields: (t) => ({
    fleetId: t.globalID({ required: true, for: Fleet, description: 'The fleet.' }),
    tasks: t.field({ type: [FleetTaskInput], required: true, description: `The tasks, 1–${MAX_TASKS_PER_CALL} per call (more is refused with a ValidationError at \`tasks\`).` }),
    strategy: t.field({ type: AssignmentStrategyEnum, description: 'How to pick workers.' }),
    skillMatching: t.field({ type: SkillMatchingInput, description: 'SKILL_BASED: required skills (added to every task’s) and preferred skills.' }),
    priorityRules: t.field({ type: [PriorityRuleInput], description: 'PRIORITY rules.' }),
  }),
});

const RebalanceFleetInput = builder.inputType('RebalanceFleetInput', {
  description: 'The fleet to rebalance.',
  fields: (t) => ({ fleetId: t.globalID({ required: true, for: Fleet, description: 'The fleet.' }) }),
});

builder.mutationFields((t) => ({
  assignWork: t.field({
    type: WorkAssignmentRef,
    description:
      'Sends tasks to a fleet: each goes to a worker with a free slot by the strategy, or waits in the fleet queue. ' +
      'Appends `Worker.assigned` / `Fleet.task.queued` per task and `Fleet.work.assigned`.',
    errors: { types: [ValidationError, NotFoundError, InvalidTransitionError] },
    args: { input: t.arg({ type: AssignWorkInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      assignWork(ctx, ctx.actor.organizationId, {
        ...input,
        fleetId: input.fleetId.id,
        tasks: input.tasks.map((task) => ({ ...task, dependsOn: localTaskIds(task.dependsOn) })),
      }),
  }),
  rebalanceFleet: t.field({
    type: RebalanceRef,
    description: 'Moves not-yet-started tasks stuck behind busy or unavailable workers to workers with a free slot, then serves the queue. Appends `Fleet.rebalanced`.',
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: RebalanceFleetInput, required: true }) },
    resolve: (_root, { input }, ctx) => rebalanceFleet(ctx, ctx.actor.organizationId, input.fleetId.id, 'on demand'),
  }),
}));
