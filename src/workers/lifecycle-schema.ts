/** GraphQL mutations of the worker lifecycle; resolvers stay thin. */
import { InvalidTransitionError, NotFoundError, ValidationError } from '../errors.js';
import { builder } from '../graphql/builder.js';
import {
  activateWorker,
  offboardWorker,
  onboardWorker,
  promoteWorker,
  recordTraining,
  setWorkerAvailability,
} from './lifecycle-service.js';
import { Worker } from './schema.js';

const SettableAvailabilityEnum = builder.enumType('SettableAvailability', {
  description: 'Availabilities set by hand; WORKING follows running tasks.',
  values: {
    AVAILABLE: { description: 'Takes work.' },
    BUSY: { description: 'Takes no new work automatically.' },
    OFFLINE: { description: 'Away.' },
  },
});

const OnboardWorkerInput = builder.inputType('OnboardWorkerInput', {
  description: 'Onboarding of a HIRED worker (seed `worker.onboard`).',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The worker.' }),
    training: t.stringList({ description: 'Training courses; they count as skills in progress until activation.' }),
    access: t.stringList({ description: 'Systems to grant access to.' }),
    mentorId: t.globalID({ for: Worker, description: 'A worker who mentors this one.' }),
    mentor: t.globalID({ for: Worker, description: 'The worker document’s name for `mentorId`; give one of the two.' }),
  }),
});

const ActivateWorkerInput = builder.inputType('ActivateWorkerInput', {
  description: 'The ONBOARDING worker to activate.',
  fields: (t) => ({ workerId: t.globalID({ required: true, for: Worker, description: 'The worker.' }) }),
});

const PromoteWorkerInput = builder.inputType('PromoteWorkerInput', {
  description: 'A new role for an ACTIVE worker (seed `worker.updateRole`).',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The worker.' }),
    newRole: t.string({ required: true, description: 'The new role, e.g. `SeniorDataAnalyst`.' }),
    effectiveDate: t.field({ type: 'DateTime', description: 'From when it applies (default now).' }),
  }),
});

const OffboardTransitionInput = builder.inputType('OffboardTransitionInput', {
  description: 'The hand-over, as the worker document nests it (`offboard({ transition: { transferWorkTo, documentationComplete } })`).',
  fields: (t) => ({
    transferWorkTo: t.globalID({ for: Worker, description: 'As `OffboardWorkerInput.transferWorkTo`.' }),
    documentationComplete: t.boolean({ description: 'As `OffboardWorkerInput.documentationComplete`.' }),
  }),
});

const OffboardWorkerInput = builder.inputType('OffboardWorkerInput', {
  description: 'Offboarding of a worker (seed `worker.offboard`).',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The worker.' }),
    reason: t.string({ required: true, description: 'Why, e.g. `role_change`.' }),
    transferWorkTo: t.globalID({ for: Worker, description: 'An ACTIVE worker that takes every open task and schedule; without it open tasks return to the fleet queue.' }),
    documentationComplete: t.boolean({ description: 'Whether hand-over documentation is complete.' }),
    transition: t.field({ type: OffboardTransitionInput, description: 'The worker document’s nesting of `transferWorkTo` and `documentationComplete`; give each in one place.' }),
  }),
});

const SetWorkerAvailabilityInput = builder.inputType('SetWorkerAvailabilityInput', {
  description: 'Availability (and location) of an ACTIVE worker.',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The worker.' }),
    availability: t.field({ type: SettableAvailabilityEnum, required: true, description: 'AVAILABLE, BUSY or OFFLINE.' }),
    location: t.string({ description: 'Where the worker works now, e.g. `remote`.' }),
  }),
});

const RecordTrainingInput = builder.inputType('RecordTrainingInput', {
  description: 'Training of a worker on one skill; read by `learningProgress`.',
  fields: (t) => ({
    workerId: t.globalID({ required: true, for: Worker, description: 'The worker.' }),
    skill: t.string({ required: true, description: 'The skill, e.g. `advanced_sql`.' }),
    hours: t.float({ description: 'Hours of training (default 0).' }),
    completed: t.boolean({ description: 'Whether the skill is acquired (default true) or still in progress.' }),
    certification: t.string({ description: 'A certification earned with it.' }),
  }),
});

const lifecycleErrors = { types: [ValidationError, NotFoundError, InvalidTransitionError] };

builder.mutationFields((t) => ({
  onboardWorker: t.field({
    type: Worker,
    description: 'HIRED → ONBOARDING with training, access and a mentor. Appends `Worker.onboarded`.',
    errors: lifecycleErrors,
    args: { input: t.arg({ type: OnboardWorkerInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      onboardWorker(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId.id, mentorId: input.mentorId?.id, mentor: input.mentor?.id }),
  }),
  activateWorker: t.field({
    type: Worker,
    description: 'ONBOARDING → ACTIVE: the worker becomes AVAILABLE and takes work. Appends `Worker.activated`.',
    errors: lifecycleErrors,
    args: { input: t.arg({ type: ActivateWorkerInput, required: true }) },
    resolve: (_root, { input }, ctx) => activateWorker(ctx, ctx.actor.organizationId, input.workerId.id),
  }),
  promoteWorker: t.field({
    type: Worker,
    description: 'Gives an ACTIVE worker a new role, kept in `roleHistory`. Appends `Worker.promoted`.',
    errors: lifecycleErrors,
    args: { input: t.arg({ type: PromoteWorkerInput, required: true }) },
    resolve: (_root, { input }, ctx) => promoteWorker(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId.id }),
  }),
  offboardWorker: t.field({
    type: Worker,
    description:
      'Offboards a worker; open tasks move to `transferWorkTo` in the same transaction, or return to the fleet queue. Appends `Worker.offboarded`.',
    errors: lifecycleErrors,
    args: { input: t.arg({ type: OffboardWorkerInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      offboardWorker(ctx, ctx.actor.organizationId, {
        ...input,
        workerId: input.workerId.id,
        transferWorkTo: input.transferWorkTo?.id,
        transition: input.transition ? { ...input.transition, transferWorkTo: input.transition.transferWorkTo?.id } : input.transition,
      }),
  }),
  setWorkerAvailability: t.field({
    type: Worker,
    description: 'Sets an ACTIVE worker AVAILABLE, BUSY or OFFLINE (it stays WORKING while tasks run). Appends `Worker.availability.changed`.',
    errors: lifecycleErrors,
    args: { input: t.arg({ type: SetWorkerAvailabilityInput, required: true }) },
    resolve: (_root, { input }, ctx) => setWorkerAvailability(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId.id }),
  }),
  recordTraining: t.field({
    type: Worker,
    description: 'Records training on a skill. Appends `Worker.training.recorded`.',
    errors: lifecycleErrors,
    args: { input: t.arg({ type: RecordTrainingInput, required: true }) },
    resolve: (_root, { input }, ctx) => recordTraining(ctx, ctx.actor.organizationId, { ...input, workerId: input.workerId.id }),
  }),
}));
