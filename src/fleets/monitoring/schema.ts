/**
 * GraphQL types of fleet monitoring (metrics, workerMetrics, status,
 * alerts, configureFleetAlerts, dashboard, enableFleetDashboard; "Subscriptions": fleetStatus).
 */
import { NotFoundError, ValidationError } from '../../errors.js';
import { builder } from '../../graphql/builder.js';
import { Webhook } from '../../webhooks/schema.js';
import { Worker } from '../../workers/schema.js';
import { configureFleetAlerts, type AlertMetric, type FleetAlertRow } from './alerts.js';
import { readFleetMetrics, readWorkerMetrics, type FleetMetrics, type WorkerMetrics } from './metrics.js';
import { Fleet } from '../core/schema.js';
import { readFleetStatus, type FleetStatus } from './status.js';
import { findFleet } from '../core/store.js';
import { DEFAULT_REFRESH_INTERVAL_MS, enableFleetDashboard } from './dashboard.js';
import type { FleetDashboard, FleetDashboardMetric } from '../../db/documents.js';

export const FleetStatusRef = builder.objectRef<FleetStatus>('FleetStatus').implement({
  description: 'A fleet’s real-time status (seed `getRealtimeStatus`), derived from the database.',
  fields: (t) => ({
    fleet: t.field({
      type: Fleet,
      description: 'The fleet.',
      resolve: async (s, _args, ctx) => findFleet(ctx.db, ctx.actor.organizationId, s.fleetId),
    }),
    at: t.expose('at', { type: 'DateTime', description: 'The instant the figures describe.' }),
    size: t.exposeInt('size', { description: 'Members (neither offboarded nor retiring).' }),
    retiring: t.exposeInt('retiring', { description: 'Workers finishing their last tasks before they leave.' }),
    queueDepth: t.exposeInt('queueDepth', { description: 'Tasks waiting in the fleet queue.' }),
    assigned: t.exposeInt('assigned', { description: 'Tasks given to a worker, not started yet.' }),
    processing: t.exposeInt('processing', { description: 'Tasks being worked on (RUNNING or WAITING).' }),
    completed: t.exposeInt('completed', { description: 'Tasks completed, ever.' }),
    failed: t.exposeInt('failed', { description: 'Tasks failed, ever.' }),
    slots: t.exposeInt('slots', { description: 'Slots of workers serving now (sum of their concurrency).' }),
    busySlots: t.exposeInt('busySlots', { description: 'Slots in use.' }),
    utilization: t.exposeFloat('utilization', { description: 'busySlots / slots, 0–1.' }),
    avgWaitTimeMs: t.exposeFloat('avgWaitTimeMs', {
      description: 'Mean wait from queueing to start, ms (a Float: a wait can pass the 24.8 days of a 32-bit Int): tasks started in the last 5 minutes and tasks still queued (so far).',
    }),
    recentSuccessRate: t.exposeFloat('recentSuccessRate', { description: 'Completed / ended over the last hour; 1 when none ended.' }),
    slaBreaches: t.exposeInt('slaBreaches', { description: 'SLA breaches detected in the last hour.' }),
    slaCompliance: t.exposeFloat('slaCompliance', { description: 'Share of tasks queued in the last hour without an SLA breach; 1 when none.' }),
    healthScore: t.exposeFloat('healthScore', {
      description:
        'Health 0–1: 0.5 × recentSuccessRate + 0.3 × (1 − min(1, queueDepth / max(1, slots))) + 0.2 × slaCompliance.',
    }),
  }),
});

builder.drizzleObjectFields(Fleet, (t) => ({
  status: t.field({
    type: FleetStatusRef,
    description: 'The status now.',
    resolve: (fleet, _args, ctx) => readFleetStatus(ctx.db, fleet.id, ctx.clock.now()),
  }),
}));

builder.subscriptionField('fleetStatus', (t) =>
  t.field({
    type: FleetStatusRef,
    description:
      'The fleet’s status at once, then again on every change of its workers or tasks, coalesced to at most 4 updates a second; ' +
      'the same values to every subscriber. Never completes.',
    args: { fleetId: t.arg.globalID({ required: true, for: Fleet, description: 'The fleet.' }) },
    subscribe: async (_root, args, ctx) => {
      await findFleet(ctx.db, ctx.actor.organizationId, args.fleetId.id);
      return ctx.fleets.status.watch(args.fleetId.id);
    },
    resolve: (status) => status,
  }),
);

const FleetMetricsRef = builder.objectRef<FleetMetrics>('FleetMetrics').implement({
  description: 'Fleet metrics over all of its tasks (seed `getMetrics`).',
  fields: (t) => ({
    totalWorkers: t.exposeInt('totalWorkers', { description: 'Members.' }),
    activeWorkers: t.exposeInt('activeWorkers', { description: 'Members working on a task.' }),
    idleWorkers: t.exposeInt('idleWorkers', { description: 'ACTIVE members working on nothing.' }),
    avgUtilization: t.exposeFloat('avgUtilization', { description: 'Busy slots / slots of ACTIVE members, 0–1.' }),
    totalTasksCompleted: t.exposeInt('totalTasksCompleted', { description: 'Tasks completed.' }),
    totalTasksFailed: t.exposeInt('totalTasksFailed', { description: 'Tasks failed.' }),
    avgCompletionTimeMs: t.exposeFloat('avgCompletionTimeMs', { nullable: true, description: 'Mean start-to-completion time, ms (a Float, as durations can pass the 32-bit Int range).' }),
    successRate: t.exposeFloat('successRate', { description: 'Completed / ended; 1 before any ended.' }),
    errorRate: t.exposeFloat('errorRate', { description: 'Failed / ended; 0 before any ended.' }),
    responseSlaBreaches: t.exposeInt('responseSlaBreaches', { description: 'Tasks that started later than the response SLA.' }),
    resolutionSlaBreaches: t.exposeInt('resolutionSlaBreaches', { description: 'Tasks that ended later than the resolution SLA.' }),
  }),
});

const WorkerMetricsRef = builder.objectRef<WorkerMetrics>('FleetWorkerMetrics').implement({
  description: 'One member’s figures in the fleet (seed `getWorkerMetrics`).',
  fields: (t) => ({
    worker: t.field({ type: Worker, description: 'The worker.', resolve: (m) => m.worker }),
    tasksCompleted: t.exposeInt('tasksCompleted', { description: 'Fleet tasks completed.' }),
    tasksFailed: t.exposeInt('tasksFailed', { description: 'Fleet tasks failed.' }),
    tasksInProgress: t.exposeInt('tasksInProgress', { description: 'RUNNING or WAITING.' }),
    tasksAssigned: t.exposeInt('tasksAssigned', { description: 'ASSIGNED, not started.' }),
    successRate: t.exposeFloat('successRate', { description: 'Completed / ended; 1 before any ended.' }),
    avgCompletionTimeMs: t.exposeFloat('avgCompletionTimeMs', { nullable: true, description: 'Mean start-to-completion time, ms (a Float, as durations can pass the 32-bit Int range).' }),
    avgQualityScore: t.exposeFloat('avgQualityScore', { nullable: true, description: 'Mean quality score (0–5) of rated tasks.' }),
    utilization: t.exposeFloat('utilization', { description: 'Slots in use / concurrency, 0–1.' }),
  }),
});

const AlertMetricEnum = builder.enumType('FleetAlertMetric', {
  description: 'What an alert watches, read from the fleet’s status.',
  values: {
    QUEUE_DEPTH: { description: 'Tasks in the fleet queue.' },
    UTILIZATION: { description: 'Busy slots / slots, 0–1.' },
    ERROR_RATE: { description: 'Failed / ended over the last hour, 0–1.' },
    AVG_WAIT_TIME_MS: { description: 'Mean wait from queueing to start, ms.' },
    HEALTH_SCORE: { description: 'The status’s health score, 0–1 (alerts BELOW its threshold by default).' },
    SLA_BREACHES: { description: 'SLA breaches in the last hour.' },
  } satisfies Record<AlertMetric, { description: string }>,
});

const AlertDirectionEnum = builder.enumType('AlertDirection', {
  description: 'Which side of the threshold fires.',
  values: { ABOVE: { description: 'Fires when the metric rises above the threshold.' }, BELOW: { description: 'Fires when it falls below.' } },
});

const FleetAlertRef = builder.objectRef<FleetAlertRow>('FleetAlert').implement({
  description: 'An alert on a fleet metric: `Fleet.alert.triggered` once per crossing, `Fleet.alert.resolved` when it crosses back.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Alert id (`alertId` in its events).' }),
    metric: t.field({ type: AlertMetricEnum, description: 'Watched metric.', resolve: (a) => a.metric as AlertMetric }),
    threshold: t.exposeFloat('threshold', { description: 'Threshold, in the metric’s unit.' }),
    direction: t.field({ type: AlertDirectionEnum, description: 'Which side fires.', resolve: (a) => a.direction }),
    channel: t.exposeString('channel', { description: 'Where people hear of it, e.g. `slack`, `pagerduty`.' }),
    firing: t.exposeBoolean('firing', { description: 'Whether the metric is past the threshold now.' }),
    lastValue: t.exposeFloat('lastValue', { nullable: true, description: 'The value at the last crossing.' }),
    lastTriggeredAt: t.expose('lastTriggeredAt', { type: 'DateTime', nullable: true, description: 'When it last fired.' }),
    webhook: t.field({
      type: Webhook,
      nullable: true,
      description: 'The alert’s own webhook (its deliveries and their attempts), when it has a URL.',
      resolve: async (a, _args, ctx) => (a.webhookId ? await ctx.db.query.webhooks.findFirst({ where: { id: a.webhookId } }) : null),
    }),
  }),
});

const FleetAlertInput = builder.inputType('FleetAlertInput', {
  description: 'An alert.',
  fields: (t) => ({
    metric: t.field({ type: AlertMetricEnum, required: true, description: 'Watched metric.' }),
    threshold: t.float({ required: true, description: 'Threshold, in the metric’s unit.' }),
    direction: t.field({ type: AlertDirectionEnum, description: 'Default BELOW for HEALTH_SCORE, ABOVE otherwise.' }),
    channel: t.string({ required: true, description: 'Where people hear of it, e.g. `slack`, `pagerduty`, `email`, `webhook`.' }),
    webhookUrl: t.string({ description: 'POST `Fleet.alert.triggered` here as signed JSON (retried with backoff). At most one of `webhookUrl`, `slackWebhookUrl`, `emailTo`.' }),
    webhookSecret: t.string({ description: 'Secret of the signature (16+ characters); random when omitted.' }),
    slackWebhookUrl: t.string({ description: 'A Slack incoming webhook (`https://hooks.slack.com/services/…`): each trigger posts a message saying what crossed which threshold.' }),
    emailTo: t.stringList({ description: 'E-mail each trigger to these addresses (1–20), through the server’s SMTP server (`SMTP_URL`; refused when it is not set).' }),
  }),
});

const ConfigureFleetAlertsInput = builder.inputType('ConfigureFleetAlertsInput', {
  description: 'A fleet’s alerts, all of them (they replace the current ones).',
  fields: (t) => ({
    fleetId: t.globalID({ required: true, for: Fleet, description: 'The fleet.' }),
    alerts: t.field({ type: [FleetAlertInput], required: true, description: 'The alerts (empty: none).' }),
  }),
});

builder.drizzleObjectFields(Fleet, (t) => ({
  metrics: t.field({ type: FleetMetricsRef, description: 'Metrics over all tasks.', resolve: (fleet, _args, ctx) => readFleetMetrics(ctx.db, fleet.id) }),
  workerMetrics: t.field({
    type: [WorkerMetricsRef],
    description: 'Each member’s figures, oldest first.',
    resolve: (fleet, _args, ctx) => readWorkerMetrics(ctx.db, fleet.id),
  }),
  alerts: t.field({
    type: [FleetAlertRef],
    description: 'Configured alerts.',
    resolve: (fleet, _args, ctx) => ctx.db.query.fleetAlerts.findMany({ where: { fleetId: fleet.id }, orderBy: { id: 'asc' } }),
  }),
}));

builder.mutationField('configureFleetAlerts', (t) =>
  t.field({
    authScopes: { admin: true },
    type: [FleetAlertRef],
    description: 'Replaces a fleet’s alerts. Appends `Fleet.alerts.configured`; crossings then append `Fleet.alert.triggered` / `.resolved`.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: ConfigureFleetAlertsInput, required: true }) },
    resolve: (_root, { input }, ctx) => configureFleetAlerts(ctx, ctx.actor.organizationId, { ...input, fleetId: input.fleetId.id }),
  }),
);

const DashboardMetricEnum = builder.enumType('FleetDashboardMetric', {
  description: 'A figure a fleet’s dashboard charts in the console.',
  values: {
    THROUGHPUT: { description: 'Tasks completed per hour.' },
    LATENCY: { description: 'Mean time from queueing to start (`avgWaitTimeMs`).' },
    ERROR_RATE: { description: 'Failed / ended over the last hour, 0–1.' },
    UTILIZATION: { description: 'Busy slots / slots, 0–1.' },
    QUEUE_DEPTH: { description: 'Tasks waiting in the fleet queue.' },
    PROCESSING: { description: 'Tasks being worked on.' },
    HEALTH_SCORE: { description: 'The status’s health score, 0–1.' },
  } satisfies Record<FleetDashboardMetric, { description: string }>,
});

const FleetDashboardRef = builder.objectRef<FleetDashboard>('FleetDashboard').implement({
  description: 'What the operations console (`/console`) shows of a fleet, set by `enableFleetDashboard`.',
  fields: (t) => ({
    metrics: t.field({ type: [DashboardMetricEnum], description: 'The figures charted, in this order.', resolve: (d) => d.metrics }),
    refreshIntervalMs: t.exposeInt('refreshIntervalMs', {
      description: 'How often the console re-reads what the `fleetStatus` subscription does not push (metrics, workers, alerts), ms.',
    }),
    enabledAt: t.field({ type: 'DateTime', description: 'When it was last enabled.', resolve: (d) => new Date(d.enabledAt) }),
  }),
});

const EnableFleetDashboardInput = builder.inputType('EnableFleetDashboardInput', {
  description: 'A fleet’s dashboard, and optionally its alerts.',
  fields: (t) => ({
    fleetId: t.globalID({ required: true, for: Fleet, description: 'The fleet.' }),
    metrics: t.field({ type: [DashboardMetricEnum], required: true, description: 'The figures to chart (at least one).' }),
    refreshIntervalMs: t.int({ description: `How often the console re-reads figures not pushed live, ms (1000–3600000; default ${DEFAULT_REFRESH_INTERVAL_MS}).` }),
    alerts: t.field({ type: [FleetAlertInput], description: 'When given, replaces the fleet’s alerts as `configureFleetAlerts` does.' }),
  }),
});

builder.drizzleObjectFields(Fleet, (t) => ({
  dashboard: t.field({
    type: FleetDashboardRef,
    nullable: true,
    description: 'Its dashboard in the console; null until `enableFleetDashboard`.',
    select: { columns: { dashboard: true } },
    resolve: (fleet) => fleet.dashboard,
  }),
}));

builder.mutationField('enableFleetDashboard', (t) =>
  t.field({
    authScopes: { admin: true },
    type: Fleet,
    description: 'Enables or reconfigures a fleet’s dashboard (metrics charted, refresh interval) and, with `alerts`, replaces its alerts. Appends `Fleet.dashboard.enabled`.',
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: EnableFleetDashboardInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      enableFleetDashboard(ctx, ctx.actor.organizationId, { ...input, fleetId: input.fleetId.id }, ctx.clock.now()),
  }),
);
