/**
 * Relations (drizzle relational queries v2), used by db.query.* and by Pothos's drizzle
 * plugin to plan the joins a GraphQL selection needs.
 */
import { defineRelations } from 'drizzle-orm';

import * as schema from './schema.js';

export const relations = defineRelations(schema, (r) => ({
  fleets: {
    organization: r.one.organizations({ from: r.fleets.organizationId, to: r.organizations.id, optional: false }),
    workers: r.many.workers(),
    teams: r.many.teams(),
    shifts: r.many.shifts(),
    tasks: r.many.tasks(),
    schedules: r.many.taskSchedules(),
  },
  teams: {
    fleet: r.one.fleets({ from: r.teams.fleetId, to: r.fleets.id, optional: false }),
    workers: r.many.workers(),
    workflowRuns: r.many.teamWorkflowRuns(),
  },
  shifts: {
    fleet: r.one.fleets({ from: r.shifts.fleetId, to: r.fleets.id, optional: false }),
    workers: r.many.workers(),
  },
  workers: {
    fleet: r.one.fleets({ from: r.workers.fleetId, to: r.fleets.id }),
    team: r.one.teams({ from: r.workers.teamId, to: r.teams.id }),
    shift: r.one.shifts({ from: r.workers.shiftId, to: r.shifts.id }),
    manager: r.one.workers({ from: r.workers.managerId, to: r.workers.id, alias: 'manager' }),
    reports: r.many.workers({ alias: 'manager' }),
    protocol: r.one.protocols({ from: r.workers.protocolId, to: r.protocols.id }),
    tasks: r.many.tasks(),
    runs: r.many.runs(),
    roleChanges: r.many.workerRoleChanges(),
    feedback: r.many.workerFeedback(),
    messages: r.many.workerMessages(),
    meetings: r.many.workerMeetings(),
    schedules: r.many.taskSchedules(),
  },
  tasks: {
    assignee: r.one.workers({ from: r.tasks.assigneeId, to: r.workers.id }),
    fleet: r.one.fleets({ from: r.tasks.fleetId, to: r.fleets.id }),
    run: r.one.runs({ from: r.tasks.runId, to: r.runs.id }),
    schedule: r.one.taskSchedules({ from: r.tasks.scheduleId, to: r.taskSchedules.id }),
    trigger: r.one.triggers({ from: r.tasks.triggerId, to: r.triggers.id }),
  },
  workerRoleChanges: {
    worker: r.one.workers({ from: r.workerRoleChanges.workerId, to: r.workers.id, optional: false }),
  },
  workerFeedback: {
    worker: r.one.workers({ from: r.workerFeedback.workerId, to: r.workers.id, optional: false }),
  },
  workerMessages: {
    worker: r.one.workers({ from: r.workerMessages.workerId, to: r.workers.id, optional: false }),
  },
  workerMeetings: {
    worker: r.one.workers({ from: r.workerMeetings.workerId, to: r.workers.id, optional: false }),
  },
  taskSchedules: {
    worker: r.one.workers({ from: r.taskSchedules.workerId, to: r.workers.id }),
    fleet: r.one.fleets({ from: r.taskSchedules.fleetId, to: r.fleets.id }),
    tasks: r.many.tasks(),
  },
  triggers: {
    worker: r.one.workers({ from: r.triggers.workerId, to: r.workers.id }),
    fleet: r.one.fleets({ from: r.triggers.fleetId, to: r.fleets.id }),
    tasks: r.many.tasks(),
  },
  webhooks: {
    deliveries: r.many.webhookDeliveries(),
  },
  webhookDeliveries: {
    webhook: r.one.webhooks({ from: r.webhookDeliveries.webhookId, to: r.webhooks.id, optional: false }),
  },
  protocols: {
    versions: r.many.protocolVersions(),
    runs: r.many.runs(),
  },
  protocolVersions: {
    protocol: r.one.protocols({ from: r.protocolVersions.protocolId, to: r.protocols.id, optional: false }),
  },
  runs: {
    protocol: r.one.protocols({ from: r.runs.protocolId, to: r.protocols.id, optional: false }),
    protocolVersion: r.one.protocolVersions({
      from: r.runs.protocolVersionId,
      to: r.protocolVersions.id,
      optional: false,
    }),
    worker: r.one.workers({ from: r.runs.workerId, to: r.workers.id }),
    task: r.one.tasks({ from: r.runs.taskId, to: r.tasks.id }),
    events: r.many.runEvents(),
    parent: r.one.runs({ from: r.runs.parentRunId, to: r.runs.id, alias: 'parent' }),
    children: r.many.runs({ alias: 'parent' }),
  },
  runEvents: {
    run: r.one.runs({ from: r.runEvents.runId, to: r.runs.id, optional: false }),
  },
  fleetAlerts: {
    fleet: r.one.fleets({ from: r.fleetAlerts.fleetId, to: r.fleets.id, optional: false }),
    webhook: r.one.webhooks({ from: r.fleetAlerts.webhookId, to: r.webhooks.id }),
  },
  shiftHandoffs: {
    fleet: r.one.fleets({ from: r.shiftHandoffs.fleetId, to: r.fleets.id, optional: false }),
    fromShift: r.one.shifts({ from: r.shiftHandoffs.fromShiftId, to: r.shifts.id, alias: 'handedOver' }),
    toShift: r.one.shifts({ from: r.shiftHandoffs.toShiftId, to: r.shifts.id, alias: 'tookOver', optional: false }),
  },
  teamMembers: {
    worker: r.one.workers({ from: r.teamMembers.workerId, to: r.workers.id, optional: false }),
    team: r.one.teams({ from: r.teamMembers.teamId, to: r.teams.id, optional: false }),
  },
  teamWorkflowRuns: {
    team: r.one.teams({ from: r.teamWorkflowRuns.teamId, to: r.teams.id, optional: false }),
    stages: r.many.teamWorkflowStages(),
  },
  teamWorkflowStages: {
    run: r.one.teamWorkflowRuns({ from: r.teamWorkflowStages.runId, to: r.teamWorkflowRuns.id, optional: false }),
    task: r.one.tasks({ from: r.teamWorkflowStages.taskId, to: r.tasks.id }),
  },
  fleetRetirements: {
    worker: r.one.workers({ from: r.fleetRetirements.workerId, to: r.workers.id, optional: false }),
    fleet: r.one.fleets({ from: r.fleetRetirements.fleetId, to: r.fleets.id, optional: false }),
  },
  apiKeys: {
    worker: r.one.workers({ from: r.apiKeys.workerId, to: r.workers.id }),
  },
}));

export type Relations = typeof relations;
