/**
 * A team as declared, in `createTeam` or in `createFleet`'s `teams` (docs/product/fleets.md
 * "Team Coordination" and "Sales Development Fleet"): named slots, or the fleet document's
 * `workers: 10` (one slot named after the team); a pipeline of stages, or none; a `focus`.
 */
import { z } from 'zod';

import type { TeamSlot, TeamWorkflow } from '../../db/documents.js';
import { ActionModel } from '../../tasks/service.js';

const Name = z.string().trim().min(1, 'must not be empty').max(100);

/** The fields of a declared team, before they are checked together. */
export const TeamShape = z.object({
  name: Name,
  slots: z.array(z.object({ name: Name, size: z.number().int().min(1, 'must be at least 1').max(100) })).min(1, 'name at least one slot').nullish(),
  workers: z.number().int().min(1, 'must be at least 1').max(100).nullish(),
  stages: z
    .array(z.object({ slot: Name, action: ActionModel, input: Name.nullish(), output: Name.nullish() }))
    .min(1, 'a pipeline has at least one stage')
    .max(20)
    .nullish(),
  focus: z.string().trim().min(1, 'must not be empty').max(200).nullish(),
});

/** A declared team in its stored form. */
export interface TeamDeclaration {
  name: string;
  slots: TeamSlot[];
  /** Null for a team without a pipeline (a focus team). */
  workflow: TeamWorkflow | null;
  focus: string | null;
}

/** Checks a parsed {@link TeamShape}: one of `slots` / `workers`, unique slots, stages naming slots and earlier outputs. */
export function checkTeam(team: z.output<typeof TeamShape>, ctx: z.RefinementCtx): void {
  if (!team.slots === !team.workers) {
    ctx.addIssue({ code: 'custom', path: ['slots'], message: 'give either slots or workers (one slot named after the team)' });
    return;
  }
  const slots = new Set<string>();
  (team.slots ?? []).forEach((slot, i) => {
    if (slots.has(slot.name)) ctx.addIssue({ code: 'custom', path: ['slots', i, 'name'], message: 'is used twice' });
    slots.add(slot.name);
  });
  if (team.workers) slots.add(team.name);
  const outputs = new Set<string>();
  (team.stages ?? []).forEach((stage, i) => {
    if (!slots.has(stage.slot)) ctx.addIssue({ code: 'custom', path: ['stages', i, 'slot'], message: `names no slot (${[...slots].join(', ')})` });
    if (i > 0 && !stage.input) ctx.addIssue({ code: 'custom', path: ['stages', i, 'input'], message: 'must name an earlier stage’s output' });
    if (i > 0 && stage.input && !outputs.has(stage.input)) {
      ctx.addIssue({ code: 'custom', path: ['stages', i, 'input'], message: `is no earlier stage’s output (${[...outputs].join(', ') || 'none'})` });
    }
    if (stage.output && outputs.has(stage.output)) ctx.addIssue({ code: 'custom', path: ['stages', i, 'output'], message: 'is produced twice' });
    if (stage.output) outputs.add(stage.output);
  });
}

/** A checked {@link TeamShape} in its stored form. */
export function declaredTeam(team: z.output<typeof TeamShape>): TeamDeclaration {
  return {
    name: team.name,
    slots: team.slots ?? [{ name: team.name, size: team.workers! }],
    workflow: team.stages
      ? { type: 'PIPELINE', stages: team.stages.map((stage) => ({ slot: stage.slot, action: stage.action, input: stage.input ?? null, output: stage.output ?? null })) }
      : null,
    focus: team.focus ?? null,
  };
}

/** A team declared inside `createFleet`. */
export const TeamModel = TeamShape.superRefine(checkTeam).transform(declaredTeam);

/** Workers the declared teams need together. */
export function workersNeeded(teams: readonly TeamDeclaration[]): number {
  return teams.reduce((sum, team) => sum + team.slots.reduce((slots, slot) => slots + slot.size, 0), 0);
}
