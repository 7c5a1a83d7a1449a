/** GraphQL operations of shifts (configureShifts, currentShift(at)). */
import type { ShiftBriefing } from '../../db/documents.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { builder } from '../../graphql/builder.js';
import { Task } from '../../tasks/schema.js';
import { Fleet, Shift } from '../core/schema.js';
import { configureShifts, shiftOnDuty, type HandoffRow, type ShiftOccurrence, type ShiftOnDuty } from './service.js';
import { findFleet } from '../core/store.js';

const OccurrenceRef = builder.objectRef<ShiftOccurrence>('ShiftOccurrence').implement({
  description: 'One occurrence of a shift.',
  fields: (t) => ({
    shift: t.field({ type: Shift, description: 'The shift.', resolve: (o) => o.shift }),
    name: t.string({ description: 'Its name.', resolve: (o) => o.shift.name }),
    workers: t.int({ description: 'Workers on duty.', resolve: (o) => o.shift.workerCount }),
    startTime: t.string({ description: 'Local start, `H:MM`.', resolve: (o) => o.shift.startTime }),
    endTime: t.string({ description: 'Local end, `H:MM`.', resolve: (o) => o.shift.endTime }),
    startsAt: t.expose('startsAt', { type: 'DateTime', description: 'The instant this occurrence starts (time-zone rules applied).' }),
    endsAt: t.expose('endsAt', { type: 'DateTime', description: 'The instant it ends.' }),
  }),
});

const OnDutyRef = builder.objectRef<ShiftOnDuty>('ShiftOnDuty').implement({
  description: 'The shift on duty at an instant (seed `getCurrentShift`), with the outgoing one during the handoff overlap.',
  fields: (t) => ({
    shift: t.field({ type: Shift, description: 'The shift.', resolve: (o) => o.shift }),
    name: t.string({ description: 'Its name, e.g. `Morning Shift`.', resolve: (o) => o.shift.name }),
    workers: t.int({ description: 'Workers on duty.', resolve: (o) => o.shift.workerCount }),
    startTime: t.string({ description: 'Local start, `H:MM`.', resolve: (o) => o.shift.startTime }),
    endTime: t.string({ description: 'Local end, `H:MM`.', resolve: (o) => o.shift.endTime }),
    startsAt: t.expose('startsAt', { type: 'DateTime', description: 'The instant this occurrence started.' }),
    endsAt: t.expose('endsAt', { type: 'DateTime', description: 'The instant it ends.' }),
    handoffUntil: t.expose('handoffUntil', { type: 'DateTime', description: 'End of the handoff overlap after the start.' }),
    outgoing: t.field({ type: OccurrenceRef, nullable: true, description: 'The shift handing over, while the overlap lasts.', resolve: (o) => o.outgoing }),
  }),
});

const BriefingTaskRef = builder.objectRef<ShiftBriefing['tasks'][number]>('ShiftBriefingTask').implement({
  description: 'An open task in a briefing.',
  fields: (t) => ({
    task: t.field({
      type: Task,
      nullable: true,
      description: 'The task (null once deleted).',
      resolve: async (b, _args, ctx) => (await ctx.db.query.tasks.findFirst({ where: { id: b.taskId } })) ?? null,
    }),
    action: t.exposeString('action', { description: 'Its action.' }),
    priority: t.exposeString('priority', { description: 'Its priority at the boundary.' }),
    status: t.exposeString('status', { description: 'Its status at the boundary.' }),
    waitingSince: t.field({ type: 'DateTime', description: 'When it was queued.', resolve: (b) => new Date(b.waitingSince) }),
  }),
});

const BriefingRef = builder.objectRef<ShiftBriefing>('ShiftBriefing').implement({
  description: 'The fleet’s open work at a shift boundary, for the incoming shift.',
  fields: (t) => ({
    summary: t.exposeString('summary', { description: 'One sentence for people.' }),
    queued: t.exposeInt('queued', { description: 'Tasks in the fleet queue.' }),
    inProgress: t.exposeInt('inProgress', { description: 'Tasks with a worker (ASSIGNED, RUNNING, WAITING).' }),
    critical: t.int({ description: 'Open CRITICAL tasks.', resolve: (b) => b.byPriority.CRITICAL }),
    high: t.int({ description: 'Open HIGH tasks.', resolve: (b) => b.byPriority.HIGH }),
    tasks: t.field({ type: [BriefingTaskRef], description: 'The most urgent open tasks, at most 20.', resolve: (b) => b.tasks }),
  }),
});

const HandoffRef = builder.objectRef<HandoffRow>('ShiftHandoff').implement({
  description: 'A shift boundary the fleet went through.',
  fields: (t) => ({
    shift: t.field({
      type: Shift,
      description: 'The incoming shift.',
      resolve: async (h, _args, ctx) => (await ctx.db.query.shifts.findFirst({ where: { id: h.toShiftId } }))!,
    }),
    from: t.field({
      type: Shift,
      nullable: true,
      description: 'The outgoing shift, when the two overlapped.',
      resolve: async (h, _args, ctx) => (h.fromShiftId ? ((await ctx.db.query.shifts.findFirst({ where: { id: h.fromShiftId } })) ?? null) : null),
    }),
    startsAt: t.expose('startsAt', { type: 'DateTime', description: 'When the incoming shift started.' }),
    overlapUntil: t.expose('overlapUntil', { type: 'DateTime', description: 'When the overlap ended.' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true, description: 'When the fleet was sized to the incoming shift alone.' }),
    briefing: t.field({ type: BriefingRef, nullable: true, description: 'The briefing, when the shifts ask for one.', resolve: (h) => h.briefing }),
  }),
});

const ShiftInput = builder.inputType('ShiftInput', {
  description: 'A shift.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Name, e.g. `Morning Shift`.' }),
    hours: t.string({ required: true, description: 'Local `H:MM-H:MM`, e.g. `8:00-16:00` or `20:00-8:00` (across midnight).' }),
    workers: t.int({ required: true, description: 'Workers on duty, within the fleet’s [min, max].' }),
    days: t.stringList({ description: 'Weekdays it starts on (`monday` … `sunday`) or `all` (default).' }),
  }),
});

const HandoffInput = builder.inputType('ShiftHandoffInput', {
  description: 'How shifts hand over.',
  fields: (t) => ({
    overlapMinutes: t.int({ description: 'Minutes both shifts work (default 0, at most 360).' }),
    duration: t.int({ description: 'The fleet document’s name for `overlapMinutes` (minutes); give one of the two.' }),
    briefing: t.boolean({ description: 'Summarise open work for the incoming shift (default false).' }),
  }),
});

const ConfigureShiftsInput = builder.inputType('ConfigureShiftsInput', {
  description: 'A fleet’s shifts, all of them (they replace the current ones).',
  fields: (t) => ({
    fleetId: t.globalID({ required: true, for: Fleet, description: 'The fleet.' }),
    timezone: t.string({ description: 'IANA time zone (default the fleet’s).' }),
    shifts: t.field({ type: [ShiftInput], required: true, description: 'The shifts.' }),
    handoff: t.field({ type: HandoffInput, description: 'Handoff between shifts.' }),
  }),
});

builder.drizzleObjectFields(Fleet, (t) => ({
  currentShift: t.field({
    type: OnDutyRef,
    nullable: true,
    description: 'The shift on duty at `at` (default now), daylight-saving changes included; null when none is.',
    args: { at: t.arg({ type: 'DateTime', description: 'The instant (default now).' }) },
    resolve: (fleet, args, ctx) => shiftOnDuty(ctx, fleet.id, args.at ?? ctx.clock.now()),
  }),
  handoffs: t.field({
    type: [HandoffRef],
    description: 'The last 20 shift boundaries, newest first.',
    resolve: (fleet, _args, ctx) =>
      ctx.db.query.shiftHandoffs.findMany({ where: { fleetId: fleet.id }, orderBy: { startsAt: 'desc' }, limit: 20 }),
  }),
}));

builder.mutationField('configureShifts', (t) =>
  t.field({
    authScopes: { admin: true },
    type: Fleet,
    description: 'Replaces a fleet’s shifts; the scheduler sizes the fleet at each boundary. Appends `Fleet.shifts.configured`.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: ConfigureShiftsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      await configureShifts(ctx, ctx.actor.organizationId, { ...input, fleetId: input.fleetId.id });
      return findFleet(ctx.db, ctx.actor.organizationId, input.fleetId.id);
    },
  }),
);
