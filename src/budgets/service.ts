/**
 * Cost and budgets (README "Cost and budgets"). A run's cost is priced when it ends
 * (src/runs/executor.ts) and counts to the worker it worked for and to the fleet that
 * worker was in when the run was queued. Spending over a period is one indexed aggregate
 * over runs ended in it; periods start at midnight (and on the 1st) in the worker's
 * working-hours zone, or the fleet's time zone.
 *
 * A budget limits a worker's or a fleet's spending per DAILY or MONTHLY period. Its check
 * is where a run is about to start (`beginTask` of src/tasks/work-state.ts): once spending
 * has reached the limit, the worker's next task waits ASSIGNED until the period rolls over
 * (`WAIT`) or fails with the reason (`FAIL`); a fleet's hand-out gives a worker that has
 * spent a budget work only as the last resort, or none (src/fleets/handout/strategies.ts).
 * Every check takes `now` from the scheduler's clock, which also stamps when runs end. A
 * run's cost is known only when it ends, so a
 * run that starts under the limit may end past it; the next one is then stopped. When a
 * run's end brings spending to the limit, `Worker.budget.exceeded` / `Fleet.budget.exceeded`
 * is appended, once per budget and period.
 */
import { and, eq, gte, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';

import type { Database, Executor, Transaction } from '../db/client.js';
import { budgets, fleets, runs, workers } from '../db/schema.js';
import { InvalidTransitionError } from '../errors.js';
import { transactionWithEvents, type Outbox } from '../events/outbox.js';
import { lockFleet } from '../fleets/core/store.js';
import { periodStart } from '../db/periods.js';
import type { Bus } from '../realtime/bus.js';
import { parseInput } from '../validation.js';
import { lockWorker } from '../workers/lifecycle.js';
import { workerTimeZone } from '../workers/performance.js';

export type BudgetRow = typeof budgets.$inferSelect;
export type BudgetPeriod = BudgetRow['period'];

/** Whose spending: a worker's (runs it worked for) or a fleet's (runs of its workers). */
export type SpendingOwner = { workerId: string } | { fleetId: string };

/** Spending of one owner since the start of a period. */
export interface Spending {
  /** Start of the period. */
  from: Date;
  /** USD of the runs ended since `from` that have a price. */
  amount: number;
  /** Runs ended since `from`. */
  runs: number;
  /** Of those, runs whose cost is unknown (a model without a price): not in `amount`. */
  unpricedRuns: number;
}

/**
 * Spending of `owner` in the current `period` at `now` (in time zone `zone`): one
 * aggregate over the owner's runs ended in it (index `runs_worker_finished_idx` /
 * `runs_fleet_finished_idx`).
 */
export async function spending(db: Executor, owner: SpendingOwner, period: BudgetPeriod, zone: string, now: Date): Promise<Spending> {
  const start = periodStart(period, now, zone);
  const column = 'workerId' in owner ? eq(runs.workerId, owner.workerId) : eq(runs.fleetId, owner.fleetId);
  const [row] = await db
    .select({
      from: sql<string>`${start}`,
      amount: sql<number>`coalesce(sum(${runs.cost}), 0)::float8`,
      runs: sql<number>`count(*)::int`,
      unpricedRuns: sql<number>`(count(*) - count(${runs.cost}))::int`,
    })
    .from(runs)
    .where(and(column, gte(runs.finishedAt, start)));
  return { from: new Date(row!.from), amount: Number(row!.amount), runs: Number(row!.runs), unpricedRuns: Number(row!.unpricedRuns) };
}

/**
 * USD of the ended runs of task `taskId` (every run made for it) and of the runs of their
 * nested workers, at any depth (index `runs_task_idx`, then `runs_parent_idx`).
 * @returns null when one of them used a model without a price
 */
export async function taskCost(db: Executor, taskId: string): Promise<number | null> {
  const tree = sql`(with recursive tree(id) as (
      select id from runs where task_id = ${taskId}
      union all select child.id from runs child join tree on child.parent_run_id = tree.id
    ) select id from tree)`;
  const [row] = await db
    .select({ amount: sql<number>`coalesce(sum(${runs.cost}), 0)::float8`, unpriced: sql<boolean>`bool_or(${runs.cost} is null)` })
    .from(runs)
    .where(and(sql`${runs.id} in ${tree}`, sql`${runs.finishedAt} is not null`));
  return row!.unpriced ? null : Number(row!.amount);
}

/** A budget whose period's spending has reached its limit. */
export interface ExceededBudget {
  budget: BudgetRow;
  /** Who spent: the worker's or the fleet's name. */
  ownerName: string;
  spent: Spending;
}

/**
 * The budgets of worker `workerId` and of fleet `fleetId` whose current period's spending
 * has reached their limit at `now`, FAIL budgets first ({@link exceededBudgetsByWorker}).
 */
export async function exceededBudgets(db: Executor, workerId: string, fleetId: string | null, now: Date): Promise<ExceededBudget[]> {
  return (await exceededBudgetsByWorker(db, [workerId], fleetId, now)).get(workerId) ?? [];
}

/**
 * For each of the workers `workerIds` (of fleet `fleetId`, if any), its budgets and its
 * fleet's whose current period's spending has reached their limit at `now`, FAIL budgets
 * first (a spent fleet budget is in every worker's list); a worker with none is not in
 * the map. One query for the budgets (none: nothing more), then one aggregate per budget.
 */
export async function exceededBudgetsByWorker(
  db: Executor,
  workerIds: readonly string[],
  fleetId: string | null,
  now: Date,
): Promise<Map<string, ExceededBudget[]>> {
  const byWorker = new Map<string, ExceededBudget[]>();
  if (workerIds.length === 0) return byWorker;
  const rows = await db
    .select({ budget: budgets, workerName: workers.name, persona: workers.persona, fleetName: fleets.name, timezone: fleets.timezone })
    .from(budgets)
    .leftJoin(workers, eq(workers.id, budgets.workerId))
    .leftJoin(fleets, eq(fleets.id, budgets.fleetId))
    .where(or(inArray(budgets.workerId, [...workerIds]), fleetId === null ? undefined : eq(budgets.fleetId, fleetId)));
  const fleetWide: ExceededBudget[] = [];
  for (const row of rows) {
    const { budget } = row;
    const spent = budget.workerId
      ? await spending(db, { workerId: budget.workerId }, budget.period, workerTimeZone({ persona: row.persona }), now)
      : await spending(db, { fleetId: budget.fleetId! }, budget.period, row.timezone ?? 'UTC', now);
    if (spent.amount < budget.limit) continue;
    const exceeded = { budget, ownerName: (budget.workerId ? row.workerName : row.fleetName) ?? '', spent };
    if (budget.workerId) byWorker.set(budget.workerId, [...(byWorker.get(budget.workerId) ?? []), exceeded]);
    else fleetWide.push(exceeded);
  }
  const failFirst = (a: ExceededBudget, b: ExceededBudget) => Number(a.budget.onExceeded === 'WAIT') - Number(b.budget.onExceeded === 'WAIT');
  for (const workerId of workerIds) {
    const all = [...(byWorker.get(workerId) ?? []), ...fleetWide].sort(failFirst);
    if (all.length > 0) byWorker.set(workerId, all);
  }
  return byWorker;
}

/** USD with enough digits for fractions of a cent. */
function usd(amount: number): string {
  return `$${Number(amount.toPrecision(6))}`;
}

/** Why work stops for `exceeded`, naming the owner, the period, the limit and what was spent. */
export function describeExceeded({ budget, ownerName, spent }: ExceededBudget): string {
  const owner = budget.workerId ? `worker ${ownerName}` : `fleet ${ownerName}`;
  return `the ${budget.period} budget of ${owner} (${usd(budget.limit)}) is spent: ${usd(spent.amount)} since ${spent.from.toISOString()}`;
}

/** A run may not start: a budget with `onExceeded: WAIT` is spent; the task stays where it was (ASSIGNED). */
export class BudgetExceededError extends InvalidTransitionError {
  constructor(
    from: string,
    readonly exceeded: ExceededBudget,
  ) {
    super('Task', from, 'RUNNING', `${describeExceeded(exceeded)}; it waits until the period rolls over`);
  }
}

/**
 * After a run of worker `workerId` (counting to fleet `fleetId`) ended at `now` and its
 * cost was stored in `tx`: appends `Worker.budget.exceeded` / `Fleet.budget.exceeded` for
 * each of their budgets whose period's spending has now reached the limit, unless it was
 * already raised in this period (`exceeded_period_start`, set by a guarded UPDATE, so once
 * even when several processes end runs at once).
 */
export async function raiseExceededBudgets(tx: Transaction, outbox: Outbox, workerId: string, fleetId: string | null, now: Date): Promise<void> {
  for (const exceeded of await exceededBudgets(tx, workerId, fleetId, now)) {
    const { budget, spent } = exceeded;
    const [marked] = await tx
      .update(budgets)
      .set({ exceededPeriodStart: spent.from })
      .where(and(eq(budgets.id, budget.id), or(isNull(budgets.exceededPeriodStart), sql`${budgets.exceededPeriodStart} <> ${spent.from.toISOString()}::timestamptz`)))
      .returning({ id: budgets.id });
    if (!marked) continue;
    const payload = {
      budgetId: budget.id,
      period: budget.period,
      limit: budget.limit,
      spent: spent.amount,
      periodStart: spent.from.toISOString(),
      onExceeded: budget.onExceeded,
    };
    if (budget.workerId) await outbox.append({ organizationId: budget.organizationId, type: 'Worker.budget.exceeded', subjectId: budget.workerId, payload });
    else await outbox.append({ organizationId: budget.organizationId, type: 'Fleet.budget.exceeded', subjectId: budget.fleetId!, payload });
  }
}

/** What `setBudget` accepts. */
export const SetBudgetModel = z
  .object({
    workerId: z.uuid().nullish(),
    fleetId: z.uuid().nullish(),
    period: z.enum(['DAILY', 'MONTHLY'], { message: 'must be DAILY or MONTHLY' }),
    limit: z
      .number({ message: 'must be USD per period (0 or more), or null to remove the budget' })
      .nonnegative('must be USD per period, 0 or more')
      .finite()
      .nullish()
      .transform((limit) => limit ?? null),
    onExceeded: z.enum(['WAIT', 'FAIL'], { message: 'must be WAIT or FAIL' }).nullish(),
  })
  .refine((input) => !input.workerId !== !input.fleetId, { path: ['workerId'], message: 'give either workerId or fleetId, not both' });
export type SetBudgetInput = z.input<typeof SetBudgetModel>;

/**
 * Sets (or, with `limit: null`, removes) the `period` budget of a worker or a fleet and
 * appends `Worker.updated` / `Fleet.updated` with `fields: ['budgets']` (which also lets a
 * worker's waiting work start when the new limit allows it).
 * @returns the budget's row, or null when it was removed
 * @throws ValidationError; NotFoundError for a worker or fleet of another organisation
 */
export async function setBudget(deps: { db: Database; bus: Bus }, organizationId: string, input: SetBudgetInput): Promise<BudgetRow | null> {
  const data = parseInput(SetBudgetModel, input);
  return transactionWithEvents(deps, async (tx, outbox) => {
    const owner = data.workerId
      ? { workerId: (await lockWorker(tx, organizationId, data.workerId)).id, fleetId: null }
      : { workerId: null, fleetId: (await lockFleet(tx, organizationId, data.fleetId!)).id };
    const ownerIs: SQL = owner.workerId ? eq(budgets.workerId, owner.workerId) : eq(budgets.fleetId, owner.fleetId!);
    const [existing] = await tx.select().from(budgets).where(and(ownerIs, eq(budgets.period, data.period)));
    let row: BudgetRow | undefined;
    if (data.limit === null) {
      if (existing) await tx.delete(budgets).where(eq(budgets.id, existing.id));
    } else if (existing) {
      [row] = await tx
        .update(budgets)
        .set({ limit: data.limit, ...(data.onExceeded ? { onExceeded: data.onExceeded } : {}) })
        .where(eq(budgets.id, existing.id))
        .returning();
    } else {
      [row] = await tx
        .insert(budgets)
        .values({ organizationId, ...owner, period: data.period, limit: data.limit, onExceeded: data.onExceeded ?? 'WAIT' })
        .returning();
    }
    if (owner.workerId) await outbox.append({ organizationId, type: 'Worker.updated', subjectId: owner.workerId, payload: { fields: ['budgets'] } });
    else await outbox.append({ organizationId, type: 'Fleet.updated', subjectId: owner.fleetId!, payload: { fields: ['budgets'] } });
    return row ?? null;
  });
}

/** The budgets of a worker or a fleet, DAILY first. */
export async function budgetsOf(db: Executor, owner: SpendingOwner): Promise<BudgetRow[]> {
  return db
    .select()
    .from(budgets)
    .where('workerId' in owner ? eq(budgets.workerId, owner.workerId) : eq(budgets.fleetId, owner.fleetId))
    .orderBy(budgets.period);
}
