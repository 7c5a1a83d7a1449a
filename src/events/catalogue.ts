/**
 * The catalogue of domain events: every event type the server raises, mapped to the
 * shape of its payload. `Outbox.append` is checked against it (a misspelt type or a
 * wrong payload does not compile), and reactions register by its keys (reactions.ts).
 *
 * Types are `Subject.predicate` without the seeds' `$.`. The subjects listed in
 * {@link RESERVED_SUBJECTS} are the server's own: outside systems post any other
 * `Subject.predicate` through `publishEvent`, with a free-form JSON object as payload.
 * Instants in payloads are ISO-8601 strings (payloads are stored as JSON), durations
 * are in the unit their name says.
 */
import type { FleetBalancing, FleetDashboardMetric, RunError, ShiftBriefing, WorkerOffboarding } from '../db/documents.js';
import type { apiKeys, fleetAlerts, tasks, taskSlaBreaches, workers } from '../db/schema.js';
import type { LearningItem } from '../workers/performance.js';

type TaskPriority = (typeof tasks.$inferSelect)['priority'];
type TaskStatus = (typeof tasks.$inferSelect)['status'];
type Availability = (typeof workers.$inferSelect)['availability'];
type AlertDirection = (typeof fleetAlerts.$inferSelect)['direction'];

/**
 * Where the task of a `Worker.assigned` came from — one field, `origin`, for every way
 * work reaches a worker:
 * - `assignTask`: the mutation, for this worker;
 * - `assignWork`: a fleet's strategy chose the worker when the task was sent;
 * - `project`: `assignProject`, or a team pipeline's stage (`project`: its name);
 * - `schedule`: a recurring schedule's instant; `trigger`: a trigger fired;
 * - `queue`: handed out from the fleet queue after `waitedMs` in it;
 * - `retry`: back after a failed attempt's backoff, or `retryTask` (`attempts`: made so far);
 * - `prerequisites`: it was BLOCKED and its prerequisites have all completed;
 * - `rebalance`, `transfer` (offboarding with a successor), `reassign`
 *   (`reassignTask`): moved from `previousAssigneeId` (null: it was in no one's hands).
 */
export type AssignmentOrigin =
  | { origin: 'assignTask' | 'assignWork' }
  | { origin: 'project'; project: string }
  | { origin: 'schedule'; scheduleId: string }
  | { origin: 'trigger'; triggerId: string }
  | { origin: 'queue'; waitedMs: number }
  | { origin: 'retry'; attempts: number }
  | { origin: 'prerequisites' }
  | { origin: 'rebalance' | 'transfer'; previousAssigneeId: string }
  | { origin: 'reassign'; previousAssigneeId: string | null };

/** How a task ended, for `Worker.task.completed` / `.failed` / `.cancelled` and `Fleet.task.cancelled`. */
export type TaskEndedPayload = {
  taskId: string;
  action: string;
  /** COMPLETED: the 0–5 score given, if any. */
  qualityScore?: number | null;
  /** COMPLETED: ms from start to end (null when it never started). */
  durationMs?: number | null;
  /** FAILED: why. */
  error?: string;
  /** CANCELLED: why, if said. */
  reason?: string | null;
};

/** A human's approval decision on a task, for `Task.approved` / `Task.rejected`. */
export type TaskDecisionPayload = { action: string; by: string; apiKeyId: string | null; comment: string | null; workerId: string | null };

/** How a run ended, for `Run.completed` / `.failed` / `.cancelled`. */
export type RunEndedPayload = {
  status: 'COMPLETED' | 'FAILED' | 'CANCELLED';
  /** FAILED only. */
  error?: RunError;
};

/**
 * A budget's period spending reached its limit (src/budgets/service.ts), for
 * `Worker.budget.exceeded` / `Fleet.budget.exceeded`: raised once per budget and period.
 * `limit` and `spent` are USD; `periodStart` is the start of the period (ISO 8601).
 */
export type BudgetExceededPayload = {
  budgetId: string;
  period: 'DAILY' | 'MONTHLY';
  limit: number;
  spent: number;
  periodStart: string;
  onExceeded: 'WAIT' | 'FAIL';
};

/** An alert's crossing, for `Fleet.alert.triggered` / `.resolved`. */
export type AlertCrossingPayload = {
  alertId: string;
  metric: string;
  value: number;
  threshold: number;
  direction: AlertDirection;
  channel: string;
};

/** A task entering a fleet queue, for `Fleet.task.queued`; at most one of the optional fields says why. */
export type TaskQueuedPayload = {
  taskId: string;
  action: string;
  priority: TaskPriority;
  project?: string;
  scheduleId?: string;
  triggerId?: string;
  /** The worker that handed it back (offboarded, retired or scaled down). */
  returnedFrom?: string;
  /** Back for another attempt (a retry's backoff is over, or `retryTask`): the attempts made so far. */
  attempts?: number;
  /** It was BLOCKED and its prerequisites have all completed. */
  prerequisitesCompleted?: true;
};

/**
 * What every event of a recurring schedule carries (`Worker.recurring.*` for a schedule
 * of a worker, `Fleet.recurring.*` for one of a fleet): the schedule as it is after the
 * change.
 */
export type ScheduleEventPayload = {
  scheduleId: string;
  action: string;
  schedule: string;
  cron: string;
  timezone: string;
  status: 'ACTIVE' | 'PAUSED' | 'STOPPED' | 'DELETED';
  nextRunAt: string | null;
  /** `*.recurring.updated`: the input fields given. */
  fields?: string[];
};

/** Event type → payload of every event the server raises. */
export type DomainEventCatalogue = {
  'ApiKey.created': { name: string; role: (typeof apiKeys.$inferSelect)['role']; prefix: string };
  'ApiKey.revoked': { prefix: string };

  'Fleet.created': { name: string; min: number };
  'Fleet.updated': { fields: string[] };
  /** `deleteFleet`: its queue cancelled, its workers released (`workerIds`), its teams, shifts, schedules and triggers gone. */
  'Fleet.deleted': { name: string; tasksCancelled: number; workerIds: string[]; teamsDeleted: number; schedulesDeleted: number; triggersDeleted: number };
  'Fleet.scaled': {
    from: number;
    to: number;
    direction: 'up' | 'down';
    reason: string;
    hired: string[];
    kept: string[];
    retired: string[];
    draining: string[];
  };
  'Fleet.work.assigned': {
    strategy: FleetBalancing['strategy'];
    tasks: number;
    assigned: number;
    queued: number;
    handedOutFromQueue: number;
    fallbacks: Array<{ taskId: string; reason: string }>;
  };
  'Fleet.task.queued': TaskQueuedPayload;
  /** A task ended while in the queue; only `cancelled` occurs (a queued task never ran), typed like `Worker.task.*`. */
  'Fleet.task.cancelled': TaskEndedPayload;
  'Fleet.task.completed': TaskEndedPayload;
  'Fleet.task.failed': TaskEndedPayload;
  'Fleet.recurring.assigned': ScheduleEventPayload;
  'Fleet.recurring.paused': ScheduleEventPayload;
  'Fleet.recurring.resumed': ScheduleEventPayload;
  'Fleet.recurring.updated': ScheduleEventPayload;
  'Fleet.recurring.deleted': ScheduleEventPayload;
  'Fleet.rebalanced': { trigger: string; moved: Array<{ taskId: string; from: string; to: string }>; handedOutFromQueue: number };
  'Fleet.sla.breached': { taskId: string; kind: (typeof taskSlaBreaches.$inferSelect)['kind']; targetSeconds: number; elapsedSeconds: number };
  'Fleet.alerts.configured': {
    alerts: Array<{ alertId: string; metric: string; threshold: number; direction: AlertDirection; channel: string }>;
  };
  'Fleet.alert.triggered': AlertCrossingPayload;
  'Fleet.dashboard.enabled': { metrics: FleetDashboardMetric[]; refreshIntervalMs: number };
  'Fleet.budget.exceeded': BudgetExceededPayload;
  'Fleet.alert.resolved': AlertCrossingPayload;
  'Fleet.shifts.configured': {
    timezone: string;
    shifts: Array<{ shiftId: string; name: string; hours: string; workers: number; days: string[] }>;
  };
  'Fleet.shift.started': {
    shiftId: string;
    name: string;
    startsAt: string;
    endsAt: string;
    workers: number;
    outgoingShiftId: string | null;
    handoffUntil: string;
    briefing: ShiftBriefing | null;
  };
  'Fleet.shift.handoff.completed': { shiftId: string; name: string; workers: number; fromShiftId: string | null };

  'Protocol.created': { slug: string; version: number };
  'Protocol.updated': { slug: string; version: number };
  'Protocol.deleted': { slug: string };

  'Run.queued': { protocol: string; version: number };
  'Run.started': { protocol: string; version: number; parentRunId: string };
  'Run.waiting': { toolCalls: Array<{ toolCallId: string; toolName: string }> };
  'Run.resumed': { toolResults: number };
  'Run.completed': RunEndedPayload;
  'Run.failed': RunEndedPayload;
  'Run.cancelled': RunEndedPayload;

  /** `approveTask`: the task's (subject) result was approved by `by` (an API key's label), with a comment; it completes. */
  'Task.approved': TaskDecisionPayload;
  /** `rejectTask`: the task's (subject) result was rejected by `by`, `comment` being the reason; it fails. */
  'Task.rejected': TaskDecisionPayload;
  /** The task (subject) failed after its retry policy's last attempt: FAILED with `deadLetteredAt`. */
  'Task.deadLettered': { action: string; attempts: number; error: string; workerId: string | null };
  /** `retryTask` put the failed task (subject) back to work, its attempts reset. */
  'Task.retried': { action: string; status: TaskStatus; workerId: string | null; fleetId: string | null };
  'Team.created': { name: string; fleetId: string; slots: Array<{ name: string; size: number }>; stages: number; focus: string | null };
  /** `deleteTeam` (or `deleteFleet`): what stopped with it. */
  'Team.deleted': { name: string; fleetId: string; workflowRunsStopped: number; tasksCancelled: number; workersReleased: number };
  'Team.workflow.started': { workflowRunId: string; stages: number };
  'Team.workflow.stage.completed': { workflowRunId: string; stage: number; output: string | null };
  'Team.workflow.completed': { workflowRunId: string; output: unknown };
  'Team.workflow.failed': { workflowRunId: string; stage: number; error: string };

  'Trigger.created': { eventType: string; action: string };
  'Trigger.deleted': { eventType: string };
  'Webhook.created': { url: string; eventTypes: string[] };
  'Webhook.deleted': { url: string };
  /** `redeliverWebhook`: a FAILED delivery of the webhook (subject) is sent again. */
  'Webhook.redelivery.requested': { deliveryId: string; eventSeq: number; eventType: string };

  'Worker.hired': { name: string; role: string; startDate: string; fleetId?: string };
  'Worker.onboarded': { training: string[]; access: string[]; mentorId: string | null; startedAt: string; learning: LearningItem[] };
  'Worker.activated': { learning: LearningItem[] };
  'Worker.promoted': { from: string; to: string; effectiveDate: string };
  /** `updateWorker` changed these fields (named as `UpdateWorkerInput` names them: `protocol`, `managerId`, `concurrency` …). */
  'Worker.updated': { fields: string[] };
  'Worker.offboarded': WorkerOffboarding & {
    tasksTransferred: number;
    tasksReturnedToQueue: number;
    schedulesMoved: number;
    /** Offboarded by its fleet: schedules stopped rather than moved. */
    schedulesStopped?: number;
  };
  'Worker.retiring': { reason: string; fleetId: string | null; tasksReturnedToQueue: number; tasksToFinish: number };
  'Worker.retirement.cancelled': { fleetId: string };
  'Worker.availability.changed': { from: Availability; to: Availability };
  'Worker.training.recorded': { learning: LearningItem[] };
  'Worker.assigned': { taskId: string; action: string; priority: TaskPriority } & AssignmentOrigin;
  'Worker.recurring.assigned': ScheduleEventPayload;
  'Worker.recurring.paused': ScheduleEventPayload;
  'Worker.recurring.resumed': ScheduleEventPayload;
  'Worker.recurring.updated': ScheduleEventPayload;
  'Worker.recurring.deleted': ScheduleEventPayload;
  'Worker.task.started': { taskId: string; action: string; resumed: boolean };
  'Worker.task.waiting': { taskId: string; action: string; reason: string | null };
  'Worker.task.completed': TaskEndedPayload;
  'Worker.task.failed': TaskEndedPayload;
  'Worker.task.cancelled': TaskEndedPayload;
  'Worker.task.reassigned': { taskId: string; action: string; to: string };
  'Worker.budget.exceeded': BudgetExceededPayload;
  /** A run of the task failed and its retry policy tries again at `nextAttemptAt` (ISO-8601). */
  'Worker.task.retrying': { taskId: string; action: string; attempts: number; error: string; nextAttemptAt: string };
  'Worker.goal.achieved': { kpi: string; period: string; target: number; actual: number; periodStart: string; taskId: string };
  'Worker.feedback.received': { feedbackId: string; type: string; rating: number | null; from: string | null };
  'Worker.message.received': { messageId: string; from: string; subject: string | null; priority: string };
  'Worker.meeting.scheduled': { meetingId: string; type: string; startsAt: string; durationMinutes: number };
  'Worker.update.requested': { taskId: string; status: TaskStatus };
};

/** A type the server raises. */
export type DomainEventType = keyof DomainEventCatalogue;

/** The payload of events of type `T`. */
export type DomainEventPayload<T extends DomainEventType> = DomainEventCatalogue[T];

/** Subjects whose events only the server raises (`publishEvent` refuses them). */
export const RESERVED_SUBJECTS = ['ApiKey', 'Worker', 'Task', 'Run', 'Fleet', 'Team', 'Shift', 'Protocol', 'Trigger', 'Webhook'] as const;

/** Any type under a reserved subject, raised or not. */
export type ReservedEventType = `${(typeof RESERVED_SUBJECTS)[number]}.${string}`;

/**
 * Every catalogued type, listed once at run time (the object's keys are checked against
 * the catalogue both ways, so a type added there must be added here).
 */
const CATALOGUED: { [T in DomainEventType]: true } = {
  'ApiKey.created': true,
  'ApiKey.revoked': true,
  'Fleet.created': true,
  'Fleet.updated': true,
  'Fleet.deleted': true,
  'Fleet.scaled': true,
  'Fleet.work.assigned': true,
  'Fleet.task.queued': true,
  'Fleet.task.cancelled': true,
  'Fleet.task.completed': true,
  'Fleet.task.failed': true,
  'Fleet.recurring.assigned': true,
  'Fleet.recurring.paused': true,
  'Fleet.recurring.resumed': true,
  'Fleet.recurring.updated': true,
  'Fleet.recurring.deleted': true,
  'Fleet.rebalanced': true,
  'Fleet.sla.breached': true,
  'Fleet.alerts.configured': true,
  'Fleet.alert.triggered': true,
  'Fleet.dashboard.enabled': true,
  'Fleet.budget.exceeded': true,
  'Fleet.alert.resolved': true,
  'Fleet.shifts.configured': true,
  'Fleet.shift.started': true,
  'Fleet.shift.handoff.completed': true,
  'Protocol.created': true,
  'Protocol.updated': true,
  'Protocol.deleted': true,
  'Run.queued': true,
  'Run.started': true,
  'Run.waiting': true,
  'Run.resumed': true,
  'Run.completed': true,
  'Run.failed': true,
  'Run.cancelled': true,
  'Task.approved': true,
  'Task.rejected': true,
  'Task.deadLettered': true,
  'Task.retried': true,
  'Team.created': true,
  'Team.deleted': true,
  'Team.workflow.started': true,
  'Team.workflow.stage.completed': true,
  'Team.workflow.completed': true,
  'Team.workflow.failed': true,
  'Trigger.created': true,
  'Trigger.deleted': true,
  'Webhook.created': true,
  'Webhook.deleted': true,
  'Webhook.redelivery.requested': true,
  'Worker.hired': true,
  'Worker.onboarded': true,
  'Worker.activated': true,
  'Worker.promoted': true,
  'Worker.updated': true,
  'Worker.budget.exceeded': true,
  'Worker.offboarded': true,
  'Worker.retiring': true,
  'Worker.retirement.cancelled': true,
  'Worker.availability.changed': true,
  'Worker.training.recorded': true,
  'Worker.assigned': true,
  'Worker.recurring.assigned': true,
  'Worker.recurring.paused': true,
  'Worker.recurring.resumed': true,
  'Worker.recurring.updated': true,
  'Worker.recurring.deleted': true,
  'Worker.task.started': true,
  'Worker.task.waiting': true,
  'Worker.task.completed': true,
  'Worker.task.failed': true,
  'Worker.task.cancelled': true,
  'Worker.task.reassigned': true,
  'Worker.task.retrying': true,
  'Worker.goal.achieved': true,
  'Worker.feedback.received': true,
  'Worker.message.received': true,
  'Worker.meeting.scheduled': true,
  'Worker.update.requested': true,
};

/** Every catalogued type, in catalogue order. */
export const DOMAIN_EVENT_TYPES = Object.keys(CATALOGUED) as DomainEventType[];

/** The catalogued types of `subject` (`Worker` → every `Worker.*`), listed from the catalogue. */
export type EventTypesOf<S extends string> = Extract<DomainEventType, `${S}.${string}`>;

/**
 * The catalogued types of one subject, e.g. every `Worker.*` type, for reactions that
 * concern a whole family. Listed from the catalogue, so that a reaction never matches
 * an outside event by its prefix.
 */
export function eventTypesOf<S extends (typeof RESERVED_SUBJECTS)[number]>(subject: S): Array<EventTypesOf<S>> {
  return DOMAIN_EVENT_TYPES.filter((type): type is EventTypesOf<S> => type.startsWith(`${subject}.`));
}
