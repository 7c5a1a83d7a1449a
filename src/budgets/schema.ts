/** GraphQL of cost and budgets: `cost` on Run, Task, Worker and Fleet, `budgets`, and `setBudget`. */
import { NotFoundError, ValidationError } from '../errors.js';
import { Fleet } from '../fleets/core/schema.js';
import { builder } from '../graphql/builder.js';
import { Run } from '../runs/schema.js';
import { Task } from '../tasks/schema.js';
import { workerTimeZone } from '../workers/performance.js';
import { Worker } from '../workers/schema.js';
import { budgetsOf, setBudget, spending, taskCost, type BudgetPeriod, type BudgetRow, type Spending } from './service.js';

const BudgetPeriodEnum = builder.enumType('BudgetPeriod', {
  description: 'A calendar period, in the worker’s working-hours time zone or the fleet’s time zone.',
  values: {
    DAILY: { description: 'From midnight to midnight.' },
    MONTHLY: { description: 'From the 1st of the month.' },
  } satisfies Record<BudgetPeriod, { description: string }>,
});

const CostPeriodEnum = builder.enumType('CostPeriod', {
  description: 'The current calendar period, in the worker’s working-hours time zone or the fleet’s time zone.',
  values: {
    TODAY: { value: 'DAILY', description: 'Since midnight.' },
    THIS_MONTH: { value: 'MONTHLY', description: 'Since the 1st of the month.' },
  } as const,
});

const BudgetOnExceededEnum = builder.enumType('BudgetOnExceeded', {
  description: 'What happens to work once a budget’s period spending has reached its limit.',
  values: {
    WAIT: { description: 'Tasks stay ASSIGNED (or queued) until the period rolls over or the limit is raised.' },
    FAIL: { description: 'Each task that would start fails, its error naming the budget.' },
  } satisfies Record<BudgetRow['onExceeded'], { description: string }>,
});

const CostRef = builder.objectRef<Spending>('Cost').implement({
  description: 'Spending in USD over a period: the priced runs ended in it (README "Cost and budgets").',
  fields: (t) => ({
    amount: t.exposeFloat('amount', { description: 'USD of the runs ended since `from` whose models have a price.' }),
    currency: t.string({ description: 'Always `USD`.', resolve: () => 'USD' }),
    from: t.expose('from', { type: 'DateTime', description: 'Start of the period.' }),
    runs: t.exposeInt('runs', { description: 'Runs ended since `from`.' }),
    unpricedRuns: t.exposeInt('unpricedRuns', { description: 'Of those, runs whose cost is unknown (a model without a price); not in `amount`.' }),
  }),
});

const BudgetRef = builder.objectRef<BudgetRow>('Budget').implement({
  description: 'A limit on what a worker or a fleet spends per period.',
  fields: (t) => ({
    period: t.field({ type: BudgetPeriodEnum, description: 'The period the limit is for.', resolve: (b) => b.period }),
    limit: t.exposeFloat('limit', { description: 'USD per period.' }),
    onExceeded: t.field({ type: BudgetOnExceededEnum, description: 'What happens to work once the limit is reached.', resolve: (b) => b.onExceeded }),
    exceededPeriodStart: t.expose('exceededPeriodStart', {
      type: 'DateTime',
      nullable: true,
      description: 'Start of the last period whose spending reached the limit (`*.budget.exceeded` was raised then).',
    }),
  }),
});

builder.objectField(Run, 'cost', (t) =>
  t.exposeFloat('cost', { nullable: true, description: 'USD of the run’s tokens at the configured prices, once it has ended; null before, or when a model it used has no price.' }),
);

builder.objectField(Task, 'cost', (t) =>
  t.float({
    nullable: true,
    description: 'USD of the task’s ended runs and of their nested workers’ runs (0 before any ended); null when one of them used a model without a price.',
    resolve: (task, _args, ctx) => taskCost(ctx.db, task.id),
  }),
);

builder.drizzleObjectFields(Worker, (t) => ({
  cost: t.field({
    type: CostRef,
    description: 'What the worker’s runs cost in the current period.',
    args: { period: t.arg({ type: CostPeriodEnum, required: true, description: 'The current day or month.' }) },
    select: { columns: { persona: true } },
    resolve: (worker, args, ctx) => spending(ctx.db, { workerId: worker.id }, args.period, workerTimeZone(worker), ctx.clock.now()),
  }),
  budgets: t.field({
    type: [BudgetRef],
    description: 'The worker’s spending limits, DAILY first.',
    resolve: (worker, _args, ctx) => budgetsOf(ctx.db, { workerId: worker.id }),
  }),
}));

builder.drizzleObjectFields(Fleet, (t) => ({
  cost: t.field({
    type: CostRef,
    description: 'What the runs of the fleet’s workers cost in the current period (a run counts to the fleet its worker was in when it was queued).',
    args: { period: t.arg({ type: CostPeriodEnum, required: true, description: 'The current day or month.' }) },
    select: { columns: { timezone: true } },
    resolve: (fleet, args, ctx) => spending(ctx.db, { fleetId: fleet.id }, args.period, fleet.timezone, ctx.clock.now()),
  }),
  budgets: t.field({
    type: [BudgetRef],
    description: 'The fleet’s spending limits, DAILY first.',
    resolve: (fleet, _args, ctx) => budgetsOf(ctx.db, { fleetId: fleet.id }),
  }),
}));

const SetBudgetInput = builder.inputType('SetBudgetInput', {
  description: 'A spending limit of one worker or one fleet for one period: give `workerId` or `fleetId`.',
  fields: (t) => ({
    workerId: t.globalID({ for: Worker, description: 'The worker whose runs are limited.' }),
    fleetId: t.globalID({ for: Fleet, description: 'The fleet whose workers’ runs are limited together.' }),
    period: t.field({ type: BudgetPeriodEnum, required: true, description: 'The period the limit is for.' }),
    limit: t.float({ description: 'USD per period (0 or more); null or omitted removes the budget of that period.' }),
    onExceeded: t.field({ type: BudgetOnExceededEnum, description: 'What happens to work once the limit is reached; default WAIT (a new budget) or unchanged.' }),
  }),
});

const SetBudgetPayload = builder.objectRef<{ budget: BudgetRow | null }>('SetBudgetPayload').implement({
  description: 'The budget as set.',
  fields: (t) => ({
    budget: t.field({ type: BudgetRef, nullable: true, description: 'The budget; null when it was removed.', resolve: (p) => p.budget }),
  }),
});

builder.mutationField('setBudget', (t) =>
  t.field({
    type: SetBudgetPayload,
    description:
      'Sets, changes or (with `limit: null`) removes a worker’s or fleet’s budget for a period. Appends `Worker.updated` / `Fleet.updated` with `fields: ["budgets"]`; a worker’s waiting work starts when the new limit allows it.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: SetBudgetInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      budget: await setBudget(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId?.id, fleetId: input.fleetId?.id }),
    }),
  }),
);
