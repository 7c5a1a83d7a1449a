/**
 * Assignment strategies (docs/product/fleets.md "Load Balancing"), as one pure function over
 * a snapshot: no database, no clock, so every rule is tested directly and the
 * transactional code (dispatch.ts) only loads the snapshot under locks and applies the
 * plan.
 *
 * Capacity rule: a fleet hands a worker a task only while its open tasks (ASSIGNED,
 * RUNNING, WAITING) are fewer than its `concurrency`; everything else waits in the fleet
 * queue. Budget rule (README "Cost and budgets"): a worker that has spent a WAIT budget
 * (its own or the fleet's) takes no new work, which waits in the queue for the period to
 * roll over; one that has spent a FAIL budget is chosen only when no worker that has
 * spent none can take the task, which then fails with the budget's reason when it would
 * start. Work is planned most urgent first (CRITICAL … LOW), then in the order given
 * (the queue's oldest first, then new tasks in input order), and each placement counts
 * against the worker's capacity and quotas before the next task is planned.
 */
import type { AssignmentStrategy, FleetBalancing, FleetQuota, PriorityRule, WorkerSkill } from '../../db/documents.js';
import type { BudgetRow } from '../../budgets/service.js';
import type { TaskPriority } from '../../tasks/service.js';
import { DEFAULT_PRIORITY_RULES } from '../core/policy.js';

type BudgetOnExceeded = BudgetRow['onExceeded'];

/** A worker that may take work, as loaded under its row lock. */
export interface Candidate {
  id: string;
  name: string;
  skills: WorkerSkill[];
  capabilities: string[];
  concurrency: number;
  /** Open tasks: ASSIGNED, RUNNING, WAITING. */
  open: number;
  /** Tasks completed, ever: the track record behind "experienced". */
  completed: number;
  /** Tasks taken in the current period of each fleet quota, by the quota's index. */
  quotaUsed: number[];
  /** What its spent budget (its own or the fleet's) does to its work, or null when none is spent. */
  budgetSpent: BudgetOnExceeded | null;
}

/** What the CUSTOM strategy's distributor answered for one task. */
export type DistributorAnswer = { workerId: string } | { error: string };

/** A task to place: queued already, or new. */
export interface WorkItem {
  /** Task id, or a caller's key for a task not inserted yet. */
  key: string;
  action: string;
  priority: TaskPriority;
  requiredSkills: string[];
  balancing: FleetBalancing;
  /** CUSTOM only: the distributor's answer. */
  answer?: DistributorAnswer;
}

/** Where one item goes: a worker, or the queue (null). */
export interface Placement {
  key: string;
  workerId: string | null;
  /** Set when the CUSTOM distributor's answer could not be used: why (LEAST_LOADED decided). */
  fallback?: string;
}

export interface Plan {
  placements: Placement[];
  /** The worker ROUND_ROBIN served last, to continue from next time. */
  roundRobinCursor: string | null;
}

const PRIORITY_RANK: Record<TaskPriority, number> = { CRITICAL: 0, HIGH: 1, NORMAL: 2, LOW: 3 };

/**
 * Skill levels as numbers, beginner 1 to expert 4 (docs/product/worker.md "skills"); a capability
 * without a level counts as 1, like a beginner's skill.
 */
const LEVEL_RANK: Record<WorkerSkill['level'], number> = { BEGINNER: 1, INTERMEDIATE: 2, ADVANCED: 3, EXPERT: 4 };

/** "Experienced" means ADVANCED or better in the task's skills (in any skill when it names none). */
const EXPERIENCED_LEVEL = LEVEL_RANK.ADVANCED;

/** Plans `items` over `candidates` (mutating nothing given). */
export function planWork(
  items: readonly WorkItem[],
  candidates: readonly Candidate[],
  context: { quotas: readonly FleetQuota[]; roundRobinCursor: string | null },
): Plan {
  const pool = candidates.map((c) => ({ ...c, quotaUsed: [...c.quotaUsed] })).sort((a, b) => compare(a.id, b.id));
  let cursor = context.roundRobinCursor;
  const ordered = [...items].sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority]);
  const placements = ordered.map((item): Placement => {
    const able = pool.filter((c) => canTake(c, item, context.quotas));
    const withinBudget = able.filter((c) => c.budgetSpent === null);
    const { chosen, fallback } = choose(item, withinBudget.length > 0 ? withinBudget : able, cursor);
    if (chosen) {
      chosen.open += 1;
      context.quotas.forEach((quota, i) => {
        if (quotaCounts(quota, item.action)) chosen.quotaUsed[i] = (chosen.quotaUsed[i] ?? 0) + 1;
      });
      if (item.balancing.strategy === 'ROUND_ROBIN') cursor = chosen.id;
    }
    return { key: item.key, workerId: chosen?.id ?? null, ...(fallback ? { fallback } : {}) };
  });
  return { placements, roundRobinCursor: cursor };
}

/** Whether candidate `c` can take `item` now: no spent WAIT budget, a free slot, every required skill, quotas left. */
export function canTake(c: Candidate, item: Pick<WorkItem, 'action' | 'requiredSkills'>, quotas: readonly FleetQuota[]): boolean {
  return (
    c.budgetSpent !== 'WAIT' &&
    c.open < c.concurrency &&
    item.requiredSkills.every((skill) => levelIn(c, skill) > 0) &&
    quotas.every((quota, i) => !quotaCounts(quota, item.action) || (c.quotaUsed[i] ?? 0) < quota.limit)
  );
}

/** Whether a task with `action` counts towards `quota`. */
function quotaCounts(quota: Pick<FleetQuota, 'action'>, action: string): boolean {
  return quota.action === null || quota.action === action;
}

function choose(item: WorkItem, eligible: Candidate[], cursor: string | null): { chosen: Candidate | undefined; fallback?: string } {
  const strategy: AssignmentStrategy = item.balancing.strategy;
  switch (strategy) {
    case 'ROUND_ROBIN':
      // The next worker after the last one served, in id order, wrapping around.
      return { chosen: eligible.find((c) => cursor === null || c.id > cursor) ?? eligible[0] };
    case 'LEAST_LOADED':
      return { chosen: leastLoaded(eligible) };
    case 'SKILL_BASED':
      return { chosen: best(eligible, (a, b) => skillScore(b, item) - skillScore(a, item) || loadOrder(a, b)) };
    case 'PRIORITY':
      return { chosen: byPriorityRule(item, eligible) };
    case 'CUSTOM': {
      if (eligible.length === 0) return { chosen: undefined };
      const answer = item.answer ?? { error: 'the distributor was not asked' };
      if ('workerId' in answer) {
        const named = eligible.find((c) => c.id === answer.workerId);
        if (named) return { chosen: named };
        return { chosen: leastLoaded(eligible), fallback: `the distributor chose ${answer.workerId}, which cannot take the task now` };
      }
      return { chosen: leastLoaded(eligible), fallback: answer.error };
    }
  }
}

/** Fewest open tasks per slot, then fewest open tasks, then the oldest worker. */
function loadOrder(a: Candidate, b: Candidate): number {
  return a.open / a.concurrency - b.open / b.concurrency || a.open - b.open || compare(a.id, b.id);
}

function leastLoaded(eligible: Candidate[]): Candidate | undefined {
  return best(eligible, loadOrder);
}

/**
 * SKILL_BASED rank: preferred skills held, weighted by level, count ten times the
 * required skills' levels, so a preferred match outranks being better at the basics.
 */
function skillScore(c: Candidate, item: WorkItem): number {
  const sum = (names: string[]) => names.reduce((total, name) => total + levelIn(c, name), 0);
  return 10 * sum(item.balancing.skillMatching.preferred) + sum(item.requiredSkills);
}

/**
 * PRIORITY: the rule for the task's priority (the seed's rules when the fleet has none)
 * orders the eligible workers —
 * MOST_EXPERIENCED: highest skill level in the task's skills, then most tasks completed;
 * AVAILABLE_EXPERIENCED: experienced workers first, the least loaded of them;
 * AVAILABLE: the least loaded, the least experienced first, keeping experts free for
 * critical work.
 */
function byPriorityRule(item: WorkItem, eligible: Candidate[]): Candidate | undefined {
  const rules: PriorityRule[] = item.balancing.priorityRules.length ? item.balancing.priorityRules : DEFAULT_PRIORITY_RULES;
  const target = rules.find((rule) => rule.priority === item.priority)?.assignTo ?? 'AVAILABLE';
  const level = (c: Candidate) => experienceLevel(c, item);
  switch (target) {
    case 'MOST_EXPERIENCED':
      return best(eligible, (a, b) => level(b) - level(a) || b.completed - a.completed || loadOrder(a, b));
    case 'AVAILABLE_EXPERIENCED': {
      const experienced = (c: Candidate) => (level(c) >= EXPERIENCED_LEVEL ? 0 : 1);
      return best(eligible, (a, b) => experienced(a) - experienced(b) || loadOrder(a, b) || level(b) - level(a));
    }
    case 'AVAILABLE':
      return best(eligible, (a, b) => loadOrder(a, b) || level(a) - level(b) || a.completed - b.completed);
  }
}

/** The candidate's best level among the task's required skills, or among all its skills. */
function experienceLevel(c: Candidate, item: WorkItem): number {
  const names = item.requiredSkills.length ? item.requiredSkills : c.skills.map((skill) => skill.name);
  return Math.max(0, ...names.map((name) => levelIn(c, name)));
}

/** The candidate's level in `name`: its skill level, 1 for a bare capability, 0 without. */
function levelIn(c: Pick<Candidate, 'skills' | 'capabilities'>, name: string): number {
  const skill = c.skills.find((s) => s.name === name);
  if (skill) return LEVEL_RANK[skill.level];
  return c.capabilities.includes(name) ? 1 : 0;
}

function best<T>(items: T[], order: (a: T, b: T) => number): T | undefined {
  return items.reduce<T | undefined>((winner, item) => (winner === undefined || order(item, winner) < 0 ? item : winner), undefined);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
