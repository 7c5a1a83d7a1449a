/**
 * Every snippet of docs/product/worker.md and docs/product/fleets.md, in its GraphQL form
 * (README.md "The product documents' values") with the documents' values, over HTTP on
 * the fake clock. What a JavaScript call hands over as a function or a live object (the
 * `db` of `tools`, a `distributor`) is, in GraphQL, a protocol whose HTTP tool reaches a
 * local endpoint standing for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mutate } from '../fleets/helpers.js';
import { eventually, FakeClock } from '../support/fake-clock.js';
import { startJsonEndpoint, type JsonEndpoint } from '../support/json-endpoint.js';
import { ALEX_PERSONA } from '../support/product-values.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

// 10:00 UTC today: inside the support fleet's business hours, and near the rows' own
// timestamps (the database stamps creation times with the real clock).
const NOW = `${new Date().toISOString().slice(0, 10)}T10:00:00.000Z`;

/** The documents' `db`: a database answering each query with its rows. */
const ROWS = [{ company: 'Acme Corp', status: 'qualified' }];

let app: TestApp;
let database: JsonEndpoint;
let selectBestWorker: JsonEndpoint;
beforeAll(async () => {
  database = await startJsonEndpoint('/query', () => ({ rows: ROWS }));
  // The documents' `selectBestWorker(task, workers)`: here, the last worker offered.
  selectBestWorker = await startJsonEndpoint('/select', ({ workers }) => ({ workerId: workers.at(-1).id }));
  app = await createTestApp({ clock: new FakeClock(NOW), env: { OUTBOUND_ALLOW: '127.0.0.1' } });
  await createProtocol('database-worker', DATABASE_WORKER, { database: database.url });
  await createProtocol('select-best-worker', DISTRIBUTOR, { 'select-best-worker': selectBestWorker.url });
});
afterAll(async () => {
  await app?.close();
  await database?.close();
  await selectBestWorker?.close();
});

/** A worker that queries its `database` tool with the task's QUERY and answers the rows. */
const DATABASE_WORKER = `input:
  QUERY: { type: string }
variables:
  ROWS: { type: unknown }
tools:
  database:
    description: Queries the database
    parameters:
      query: { type: string }
steps:
  Query: { block: tool-call, tool: database, input: { query: QUERY }, output: ROWS }
output: ROWS
`;

/** A CUSTOM distributor: hands TASK and WORKERS to its tool and answers the worker it names. */
const DISTRIBUTOR = `input:
  TASK: { type: unknown }
  WORKERS: { type: unknown }
variables:
  CHOSEN: { type: unknown }
tools:
  select-best-worker:
    description: Picks the worker for a task
    parameters:
      task: { type: unknown }
      workers: { type: unknown }
steps:
  Select: { block: tool-call, tool: select-best-worker, input: { task: TASK, workers: WORKERS }, output: CHOSEN }
output: CHOSEN
`;

/** Stores protocol `slug` with its tools bound to HTTP endpoints (`httpTools`). */
async function createProtocol(slug: string, source: string, tools: Record<string, string>) {
  const httpTools = Object.fromEntries(Object.entries(tools).map(([tool, url]) => [tool, { url }]));
  await call('createProtocol', { slug, source, prompts: [], settings: { httpTools } }, '... on Protocol { slug }');
}

/** Runs mutation `field` with `input` (of type `type`, default `<Field>Input`) and expects it not to be refused. */
async function call(field: string, input: Record<string, unknown>, selection = '', type = `${field[0]!.toUpperCase()}${field.slice(1)}Input`) {
  const result = await mutate(app, field, type, input, selection);
  expect(result.__typename, JSON.stringify(result)).not.toMatch(/Error$/);
  return result;
}

const hire = (input: Record<string, unknown>, selection = '... on Worker { id }') => call('hireWorker', input, selection);

/** Hires `input` and takes it through onboarding to ACTIVE; answers its ID. */
async function hireActive(input: Record<string, unknown>): Promise<string> {
  const { id } = await hire(input);
  await call('onboardWorker', { workerId: id });
  await call('activateWorker', { workerId: id });
  return id as string;
}

/** Reads `selection` of the worker or fleet (`type`) with global ID `id`. */
const node = async (id: string, selection: string, type = 'Worker') => (await app.data(`query ($id: ID!) { node(id: $id) { ... on ${type} { ${selection} } } }`, { id })).node;

describe('docs/product/worker.md', () => {
  let sarah: string;

  it('Quick Start: worker.create', async () => {
    const created = await hire(
      {
        name: 'Sarah Chen',
        role: '$.SalesDevelopmentRepresentative',
        persona: {
          background: 'Former tech recruiter, 5 years in B2B SaaS',
          expertise: ['lead_qualification', 'outreach', 'discovery_calls'],
          style: 'consultative, data-driven',
        },
        capabilities: ['research', 'outreach', 'qualification'],
        goals: {
          daily: ['Qualify 4 leads', 'Book 2 meetings'],
          weekly: ['Qualify 20 leads', 'Book 10 meetings'],
          monthly: ['100 qualified leads', '50 booked meetings'],
        },
        model: 'claude-sonnet-4.5',
      },
      '... on Worker { id role model persona capabilities goals { daily weekly monthly } }',
    );
    expect(created).toMatchObject({ role: 'SalesDevelopmentRepresentative', model: 'anthropic/claude-sonnet-4-5', persona: { style: 'consultative, data-driven' } });
    sarah = created.id;
    await call('onboardWorker', { workerId: sarah });
    await call('activateWorker', { workerId: sarah });
  });

  it('Quick Start: salesWorker.work({ task, lead }) answers the finished task', async () => {
    const done = await call(
      'work',
      { workerId: sarah, action: 'qualify_lead', input: { lead: { name: 'John Doe', company: 'Acme Corp', email: 'john@acme.com' } }, wait: 60 },
      '... on Task { status action input result }',
    );
    expect(done).toMatchObject({ status: 'COMPLETED', action: 'qualify_lead', input: { lead: { company: 'Acme Corp' } } });
    expect(done.result).not.toBeNull();
  });

  it('Worker Identity: persona, working hours and skills with levels', async () => {
    const alex = await hire(
      {
        name: 'Alex Rodriguez',
        role: '$.CustomerSuccessManager',
        persona: ALEX_PERSONA,
        skills: [
          { name: 'Customer Onboarding', level: 'EXPERT' },
          { name: 'Product Knowledge', level: 'ADVANCED' },
          { name: 'Data Analysis', level: 'INTERMEDIATE' },
        ],
      },
      '... on Worker { id persona skills { name level } }',
    );
    expect(alex.persona.workingHours).toEqual({ start: '09:00', end: '17:00', timezone: 'America/Los_Angeles' });
    expect(alex.skills).toHaveLength(3);
  });

  it('Work Assignment: assign, assignRecurring, assignProject', async () => {
    const alex = await hireActive({ name: 'Alex Rodriguez', role: '$.CustomerSuccessManager', persona: { workingHours: '9am-5pm PST' } });
    const task = await call(
      'assignTask',
      { workerId: alex, action: 'onboard_customer', priority: 'HIGH', dueDate: '2025-10-15', input: { customer: { name: 'Acme Corp', contact: 'jane@acme.com', plan: 'enterprise' } } },
      '... on Task { action priority dueDate input }',
    );
    expect(task).toMatchObject({ action: 'onboard_customer', priority: 'HIGH', dueDate: '2025-10-16T06:59:59.999Z', input: { customer: { name: 'Acme Corp' } } });

    const recurring = await call('assignRecurringTask', { workerId: alex, action: 'check_health_scores', schedule: '$.Daily', time: '09:00' }, '... on TaskSchedule { action nextRunAt }');
    expect(recurring.action).toBe('check_health_scores');

    const project = await call(
      'assignProject',
      {
        workerId: alex,
        name: 'Q4 Customer Success Initiative',
        tasks: [
          { action: 'review_at_risk_accounts', dueDate: '2025-10-20' },
          { action: 'create_success_plans', dueDate: '2025-10-25' },
          { action: 'schedule_qbrs', dueDate: '2025-10-30' },
        ],
      },
      '... on Project { name tasks { action } }',
    );
    expect(project.tasks.map((t: { action: string }) => t.action)).toEqual(['review_at_risk_accounts', 'create_success_plans', 'schedule_qbrs']);
  });

  it('Worker Lifecycle: hire, onboard with a mentor, activate, performance, feedback, promote, offboard with transition', async () => {
    const senior = await hireActive({ name: 'Senior Analyst', role: '$.SeniorDataAnalyst' });
    const { id: morgan } = await hire({ role: '$.DataAnalyst', name: 'Morgan Lee', startDate: NOW });
    await call('onboardWorker', { workerId: morgan, training: ['product_knowledge', 'tools_training', 'process_training'], access: ['database', 'bi_tools', 'slack'], mentor: senior });
    await call('activateWorker', { workerId: morgan });
    expect(await node(morgan, 'lifecycle onboarding { mentor { name } } productivity(period: LAST_30_DAYS) { tasksCompleted }')).toMatchObject({
      lifecycle: 'ACTIVE',
      onboarding: { mentor: { name: 'Senior Analyst' } },
      productivity: { tasksCompleted: 0 },
    });
    await call('provideFeedback', {
      workerId: morgan,
      type: 'performance_review',
      rating: 4.5,
      strengths: ['Data visualization', 'Attention to detail'],
      improvements: ['Speed up report generation'],
      goals: ['Learn advanced SQL', 'Master Python pandas'],
    });
    const promoted = await call('promoteWorker', { workerId: morgan, newRole: '$.SeniorDataAnalyst', effectiveDate: NOW }, '... on Worker { role }');
    expect(promoted.role).toBe('SeniorDataAnalyst');
    const offboarded = await call(
      'offboardWorker',
      { workerId: morgan, reason: 'role_change', transition: { transferWorkTo: senior, documentationComplete: true } },
      '... on Worker { lifecycle offboarding { documentationComplete transferredTo { name } } }',
    );
    expect(offboarded).toMatchObject({ lifecycle: 'OFFBOARDED', offboarding: { documentationComplete: true, transferredTo: { name: 'Senior Analyst' } } });
  });

  it('Performance Tracking: work stats, productivity, goal progress, learning progress', async () => {
    const worker = await hireActive({ name: 'Morgan Lee', role: '$.DataAnalyst', kpis: [{ name: 'reportsDelivered', target: 4, period: 'DAILY' }] });
    await call('recordTraining', { workerId: worker, skill: 'advanced_sql', hours: 40, certification: 'data_analyst_cert' });
    const read = await node(
      worker,
      `stats { tasksCompleted tasksInProgress tasksPending avgCompletionTimeMs successRate qualityScore }
       productivity(period: LAST_WEEK) { tasksPerDay qualityScore responseTimeMs }
       goalProgress { target actual progress }
       learningProgress { skillsAcquired certificationsEarned trainingHoursCompleted }`,
    );
    expect(read).toMatchObject({
      stats: { tasksCompleted: 0, tasksInProgress: 0, tasksPending: 0 },
      productivity: { tasksPerDay: 0 },
      goalProgress: [{ target: 4, actual: 0, progress: 0 }],
      learningProgress: { skillsAcquired: ['advanced_sql'], certificationsEarned: ['data_analyst_cert'], trainingHoursCompleted: 40 },
    });
  });

  it('Worker Communication: message, status, requestUpdate, scheduleMeeting', async () => {
    const worker = await hireActive({ name: 'Morgan Lee', role: '$.DataAnalyst', location: 'remote' });
    const manager = await hireActive({ name: 'Manager', role: '$.Manager' });
    await call('messageWorker', { workerId: worker, from: manager, subject: 'New Priority Task', body: 'Please prioritize the Acme Corp analysis', priority: 'HIGH' });
    const { id: taskId } = await call('assignTask', { workerId: worker, action: 'acme_analysis' }, '... on Task { id }');
    expect(await node(worker, 'status { state currentTask { action } availability reason location }')).toMatchObject({
      status: { state: 'AVAILABLE', currentTask: null, location: 'remote', reason: expect.stringContaining('no protocol and no model') },
    });
    const update = await call('requestUpdate', { workerId: worker, taskId }, '... on TaskUpdate { summary task { status } }');
    expect(update.task.status).toBe('ASSIGNED');
    await call('scheduleMeeting', { workerId: worker, type: 'one_on_one', durationMinutes: 30, agenda: ['Goal progress', 'Blockers', 'Feedback'], startsAt: '2030-03-05T10:00:00Z' });
  });

  it('Semantic Patterns: the lifecycle and work events, under `$.` names', async () => {
    const worker = await hireActive({ name: 'Eventful', role: '$.DataAnalyst' });
    const { id: taskId } = await call('assignTask', { workerId: worker, action: 'report' }, '... on Task { id }');
    await call('startTask', { taskId });
    await call('completeTask', { taskId, result: 'done' });
    await call('provideFeedback', { workerId: worker, rating: 5 });
    await call('promoteWorker', { workerId: worker, newRole: '$.SeniorDataAnalyst' });
    await call('offboardWorker', { workerId: worker, reason: 'role_change' });
    const types = ['$.Worker.hired', '$.Worker.onboarded', '$.Worker.activated', '$.Worker.promoted', '$.Worker.offboarded', '$.Worker.task.started', '$.Worker.task.completed', '$.Worker.feedback.received'];
    const events = await eventually(async () => {
      const read = await node(worker, `events(first: 50, types: ${JSON.stringify(types)}) { edges { node { type } } }`);
      const seen = new Set(read.events.edges.map((e: { node: { type: string } }) => e.node.type));
      return seen.size === types.length ? seen : undefined;
    });
    expect([...events].sort()).toEqual(types.map((t) => t.slice(2)).sort());
  });

  it('Semantic Patterns: $.Worker.reports.to.Manager as managerId, $.Worker.goal.achieved when a KPI is reached', async () => {
    const manager = await hireActive({ name: 'Jordan Blake', role: '$.SalesManager' });
    const worker = await hireActive({ name: 'Sarah Chen', role: '$.SalesDevelopmentRepresentative', managerId: manager, kpis: [{ name: 'leadsQualified', target: 1, period: 'DAILY' }] });
    expect(await node(worker, 'manager { name }')).toEqual({ manager: { name: 'Jordan Blake' } });
    const director = await hireActive({ name: 'Riley Park', role: '$.SalesDirector' });
    await call('updateWorker', { workerId: worker, managerId: director });
    expect(await node(worker, 'manager { name }')).toEqual({ manager: { name: 'Riley Park' } });

    const { id: taskId } = await call('assignTask', { workerId: worker, action: 'qualify_lead' }, '... on Task { id }');
    await call('startTask', { taskId });
    await call('completeTask', { taskId, result: 'qualified' });
    const achieved = await eventually(async () => {
      const read = await node(worker, 'events(first: 5, types: ["$.Worker.goal.achieved"]) { edges { node { type payload } } }');
      return read.events.edges[0]?.node;
    });
    expect(achieved).toMatchObject({ type: 'Worker.goal.achieved', payload: { kpi: 'leadsQualified', target: 1, actual: 1, period: 'DAILY' } });
  });

  it('Worker Roles: SDR, CSM and Data Analyst with responsibilities and KPIs', async () => {
    type Kpis = Record<string, { target: number; period: string }>;
    const roles: Array<[role: string, name: string, responsibilities: string[], kpis: Kpis]> = [
      ['$.SalesDevelopmentRepresentative', 'Sarah Chen', ['Lead research and qualification', 'Outbound prospecting', 'Meeting scheduling', 'Pipeline management'],
        { leadsQualified: { target: 100, period: 'monthly' }, meetingsBooked: { target: 50, period: 'monthly' }, showRate: { target: 0.5, period: 'monthly' }, pipelineValue: { target: 500000, period: 'monthly' } }],
      ['$.CustomerSuccessManager', 'Alex Rodriguez', ['Customer onboarding', 'Health score monitoring', 'Renewal management', 'Expansion identification'],
        { customerHealthScore: { target: 8.5, period: 'monthly' }, renewalRate: { target: 0.95, period: 'quarterly' }, expansionRevenue: { target: 100000, period: 'quarterly' }, nps: { target: 50, period: 'quarterly' } }],
      ['$.DataAnalyst', 'Morgan Lee', ['Data analysis and insights', 'Report generation', 'Dashboard creation', 'Ad-hoc analysis'],
        { reportsDelivered: { target: 20, period: 'monthly' }, insightsGenerated: { target: 10, period: 'monthly' }, analysisAccuracy: { target: 0.95, period: 'monthly' }, stakeholderSatisfaction: { target: 4.5, period: 'monthly' } }],
    ];
    for (const [role, name, responsibilities, kpis] of roles) {
      // The document's map of KPIs is a list in GraphQL, its periods enum values.
      const list = Object.entries(kpis).map(([kpi, { target, period }]) => ({ name: kpi, target, period: period.toUpperCase() }));
      const hired = await hire({ role, name, responsibilities, kpis: list }, '... on Worker { responsibilities kpis { name target period } }');
      expect(hired).toMatchObject({ responsibilities, kpis: list });
    }
  });

  it('Integration: worker.create({ tools: { database: db } }) as a worker whose protocol binds the database tool', async () => {
    const worker = await hireActive({ name: 'Data Worker', role: '$.DataAnalyst', protocol: 'database-worker' });
    const done = await call('work', { workerId: worker, action: 'count_leads', input: { query: 'select company, status from leads' }, wait: 60 }, '... on Task { status result }');
    expect(done).toEqual({ __typename: 'Task', status: 'COMPLETED', result: { rows: ROWS } });
    expect(database.requests.at(-1)).toEqual({ query: 'select company, status from leads' });
  });

  it('Integration: on($.Lead.created) works the lead; onTaskComplete publishes; every($.Daily) makes a task', async () => {
    const sdr = await hireActive({ role: '$.SalesDevelopmentRepresentative', name: 'Sarah Chen' });
    await call('createTrigger', { eventType: '$.Lead.created', workerId: sdr, action: 'qualify_lead' });
    await call('publishEvent', { type: '$.Lead.created', payload: { name: 'John Doe', company: 'Acme Corp', email: 'john@acme.com' } });
    const task = await eventually(async () => {
      const read = await node(sdr, 'tasks(first: 5) { edges { node { action input } } }');
      return read.tasks.edges[0]?.node;
    });
    expect(task).toMatchObject({ action: 'qualify_lead', input: { name: 'John Doe', company: 'Acme Corp' } });
    await call('createWebhook', { url: 'http://127.0.0.1:9/task-completed', eventTypes: ['$.Worker.task.completed'], secret: 'a-secret-of-enough-length' });
    const daily = await call('assignRecurringTask', { workerId: sdr, action: 'daily_standup_report', schedule: '$.Daily' }, '... on TaskSchedule { action }');
    expect(daily.action).toBe('daily_standup_report');
  });
});

describe('docs/product/fleets.md', () => {
  const leads = ['Acme Corp', 'Globex', 'Initech'].map((company) => ({ action: 'qualify_lead', input: { lead: { company } } }));
  const taskList = [
    { action: 'resolve_ticket', priority: 'CRITICAL', requiredSkills: ['technical_knowledge'] },
    { action: 'resolve_ticket', priority: 'HIGH' },
    { action: 'triage_ticket', priority: 'NORMAL' },
  ];
  const ASSIGNMENT = '... on WorkAssignment { strategy tasks { action } }';
  let supportFleet: string;

  it('Quick Start: createFleet with the metric + target scaling form, assignWork round-robin', async () => {
    const fleet = await call(
      'createFleet',
      {
        name: 'Sales Development Fleet',
        workerTemplate: { role: '$.SalesDevelopmentRepresentative', capabilities: ['research', 'outreach', 'qualification'], model: 'claude-sonnet-4.5' },
        scaling: { min: 5, max: 50, metric: 'QUEUE_DEPTH', target: 100 },
      },
      '... on Fleet { id size scaling { mode min max metric target } workerTemplate { model } }',
    );
    expect(fleet).toMatchObject({ size: 5, scaling: { mode: 'AUTO', min: 5, max: 50, metric: 'QUEUE_DEPTH', target: 100 }, workerTemplate: { model: 'anthropic/claude-sonnet-4-5' } });
    const assigned = await call('assignWork', { fleetId: fleet.id, tasks: leads, strategy: 'ROUND_ROBIN' }, ASSIGNMENT);
    expect(assigned).toMatchObject({ strategy: 'ROUND_ROBIN', tasks: leads.map(() => ({ action: 'qualify_lead' })) });
  });

  it('Fleet Creation and Scaling: AUTO rules with cooldown; scale, getSize, scaleUp, scaleDown', async () => {
    const fleet = await call(
      'createFleet',
      {
        name: 'Customer Support Fleet',
        workerTemplate: { role: '$.CustomerSupportRepresentative', capabilities: ['ticket_triage', 'issue_resolution'], skills: [{ name: 'technical_support' }, { name: 'customer_communication' }] },
        scaling: {
          mode: 'AUTO',
          min: 10,
          max: 100,
          rules: [
            { metric: 'QUEUE_DEPTH', threshold: 50, action: 'SCALE_UP', step: 5 },
            { metric: 'AVG_UTILIZATION', threshold: 0.3, action: 'SCALE_DOWN', step: 2 },
            { metric: 'RESPONSE_TIME', threshold: 300, action: 'SCALE_UP', step: 10 },
          ],
          cooldownSeconds: 300,
        },
      },
      '... on Fleet { id size scaling { rules { metric step } cooldownSeconds } }',
    );
    expect(fleet).toMatchObject({ size: 10, scaling: { cooldownSeconds: 300 } });
    supportFleet = fleet.id;
    const size = async () => (await node(supportFleet, 'size', 'Fleet')).size;
    await call('scaleFleet', { fleetId: supportFleet, count: 25 });
    expect(await size()).toBe(25);
    await call('scaleFleetUp', { fleetId: supportFleet, by: 5 }, '', 'ScaleFleetByInput');
    expect(await size()).toBe(30);
    await call('scaleFleetDown', { fleetId: supportFleet, by: 3 }, '', 'ScaleFleetByInput');
    expect(await size()).toBe(27);
  });

  it('Load Balancing: round-robin, least-loaded, skill-based and priority distribution', async () => {
    for (const [strategy, options] of [
      ['ROUND_ROBIN', {}],
      ['LEAST_LOADED', {}],
      ['SKILL_BASED', { skillMatching: { required: ['technical_knowledge'], preferred: ['product_expertise'] } }],
      [
        'PRIORITY',
        {
          priorityRules: [
            { priority: 'CRITICAL', assignTo: 'MOST_EXPERIENCED' },
            { priority: 'HIGH', assignTo: 'AVAILABLE_EXPERIENCED' },
            { priority: 'NORMAL', assignTo: 'AVAILABLE' },
          ],
        },
      ],
    ] as const) {
      const assigned = await call('assignWork', { fleetId: supportFleet, tasks: taskList, strategy, ...options }, ASSIGNMENT);
      expect(assigned.strategy).toBe(strategy);
      expect(assigned.tasks).toHaveLength(taskList.length);
    }
  });

  it('Load Balancing: strategy custom with a distributor, as a protocol the fleet names', async () => {
    const fleet = await call('createFleet', { name: 'Custom Fleet', workerTemplate: { role: '$.CustomerSupportRepresentative' }, scaling: { min: 3, max: 3 }, distributor: 'select-best-worker' }, '... on Fleet { id workers(first: 3) { edges { node { id } } } }');
    const assigned = await call('assignWork', { fleetId: fleet.id, tasks: [taskList[2]], strategy: 'CUSTOM' }, '... on WorkAssignment { strategy tasks { assignee { id } } fallbacks { reason } }');
    // LEAST_LOADED would pick the first of three idle workers; the distributor picked the last.
    const last = fleet.workers.edges.at(-1).node.id;
    expect(assigned).toMatchObject({ strategy: 'CUSTOM', tasks: [{ assignee: { id: last } }], fallbacks: [] });
    expect(selectBestWorker.requests.at(-1)).toMatchObject({ task: { action: 'triage_ticket', priority: 'NORMAL' }, workers: fleet.workers.edges.map((edge: any) => ({ id: edge.node.id })) });
  });

  it('Fleet Monitoring: metrics, per-worker metrics, real-time status, the dashboard’s alerts', async () => {
    const read = await node(
      supportFleet,
      `metrics { totalWorkers activeWorkers idleWorkers avgUtilization totalTasksCompleted avgCompletionTimeMs successRate errorRate }
       workerMetrics { tasksCompleted successRate }
       status { queueDepth processing completed failed avgWaitTimeMs healthScore }`,
      'Fleet',
    );
    expect(read.metrics.totalWorkers).toBe(27);
    expect(read.workerMetrics).toHaveLength(27);
    expect(read.status).toMatchObject({ completed: 0, failed: 0 });
    const alerts = await call(
      'configureFleetAlerts',
      {
        fleetId: supportFleet,
        alerts: [
          { metric: 'ERROR_RATE', threshold: 0.05, channel: 'slack' },
          { metric: 'QUEUE_DEPTH', threshold: 1000, channel: 'pagerduty' },
          { metric: 'UTILIZATION', threshold: 0.9, channel: 'email' },
        ],
      },
      '... on MutationConfigureFleetAlertsSuccess { data { metric channel } }',
    );
    expect(alerts.data).toHaveLength(3);
  });

  it('Team Coordination: a pipeline team, processed', async () => {
    const fleet = await call('createFleet', { name: 'Enterprise Sales', workerTemplate: { role: '$.SalesDevelopmentRepresentative' }, scaling: { max: 18 } }, '... on Fleet { id }');
    const team = await call(
      'createTeam',
      {
        fleetId: fleet.id,
        name: 'Enterprise Sales Team',
        slots: [
          { name: 'researchers', size: 5 },
          { name: 'outreach', size: 10 },
          { name: 'closers', size: 3 },
        ],
        stages: [
          { slot: 'researchers', action: 'research_account', output: 'research_report' },
          { slot: 'outreach', action: 'initial_outreach', input: 'research_report', output: 'meeting_booked' },
          { slot: 'closers', action: 'demo_and_close', input: 'meeting_booked', output: 'deal' },
        ],
      },
      '... on Team { id members { slot } }',
    );
    expect(team.members).toHaveLength(18);
    const run = await call('processTeamWorkflow', { teamId: team.id, input: { account: { name: 'Acme Corp' } } }, '... on TeamWorkflowRun { status currentStage }');
    expect(run).toMatchObject({ status: 'RUNNING', currentStage: 0 });
  });

  it('Shift Management: configureShifts with handoff, getCurrentShift', async () => {
    const fleet = await call('createFleet', { name: 'Shifted', workerTemplate: { role: '$.CustomerSupportRepresentative' }, scaling: { max: 20 } }, '... on Fleet { id }');
    await call('configureShifts', {
      fleetId: fleet.id,
      timezone: 'America/Los_Angeles',
      shifts: [
        { name: 'Morning Shift', hours: '8:00-16:00', workers: 20, days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] },
        { name: 'Afternoon Shift', hours: '16:00-24:00', workers: 15, days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] },
        { name: 'Night Shift', hours: '0:00-8:00', workers: 10, days: ['all'] },
        { name: 'Weekend Shift', hours: '8:00-20:00', workers: 8, days: ['saturday', 'sunday'] },
      ],
      handoff: { duration: 15, briefing: true },
    });
    // 10:00 UTC is 2:00 or 3:00 in Los Angeles: the night shift, every day.
    const { currentShift } = await node(fleet.id, 'currentShift { name workers startTime endTime }', 'Fleet');
    expect(currentShift).toEqual({ name: 'Night Shift', workers: 10, startTime: '0:00', endTime: '8:00' });
  });

  it('Semantic Patterns: fleet events under `$.` names', async () => {
    const seen = new Set<string>();
    for await (const result of app.wsClient().iterate({ query: 'subscription { events(after: 0, types: ["$.Fleet.created", "$.Fleet.scaled"]) { type } }' })) {
      seen.add((result.data as { events: { type: string } }).events.type);
      if (seen.size === 2) break;
    }
    expect([...seen].sort()).toEqual(['Fleet.created', 'Fleet.scaled']);
  });

  it('Use Cases: customer support fleet with schedule targets (no mode) and SLA', async () => {
    const fleet = await call(
      'createFleet',
      {
        name: 'Customer Support Fleet',
        workerTemplate: { role: '$.CustomerSupportRepresentative', capabilities: ['ticket_triage', 'issue_resolution', 'escalation'] },
        scaling: { min: 10, max: 50, schedule: [{ hours: '8:00-20:00', target: 30 }, { hours: '20:00-8:00', target: 10 }] },
        sla: { responseTime: 300, resolutionTime: 3600 },
      },
      '... on Fleet { size scaling { mode } sla { responseTimeSeconds resolutionTimeSeconds } }',
    );
    // Created at 10:00 UTC, inside business hours: that window's 30 workers.
    expect(fleet).toEqual({ __typename: 'Fleet', size: 30, scaling: { mode: 'MANUAL' }, sla: { responseTimeSeconds: 300, resolutionTimeSeconds: 3600 } });
  });

  it('Use Cases: data processing fleet (queue depth alone, aggressive, resource limits)', async () => {
    const fleet = await call(
      'createFleet',
      {
        name: 'Data Processing Fleet',
        workerTemplate: { role: '$.DataProcessor', capabilities: ['etl', 'validation', 'transformation'] },
        scaling: { min: 5, max: 100, metric: 'QUEUE_DEPTH', aggressive: true },
        resourceLimits: { cpuPerWorker: '2000m', memoryPerWorker: '4Gi' },
      },
      '... on Fleet { size scaling { mode metric target aggressive } resourceLimits { cpuPerWorker memoryPerWorker } }',
    );
    expect(fleet).toMatchObject({ size: 5, scaling: { mode: 'AUTO', metric: 'QUEUE_DEPTH', target: 5, aggressive: true }, resourceLimits: { cpuPerWorker: '2000m', memoryPerWorker: '4Gi' } });
  });

  it('Use Cases: SDR fleet with focus teams and quotas', async () => {
    const fleet = await call(
      'createFleet',
      {
        name: 'SDR Fleet',
        workerTemplate: { role: '$.SalesDevelopmentRepresentative', capabilities: ['research', 'outreach', 'qualification'] },
        teams: [
          { name: 'enterprise', workers: 10, focus: 'enterprise_accounts' },
          { name: 'midmarket', workers: 15, focus: 'midmarket_accounts' },
          { name: 'smb', workers: 20, focus: 'smb_accounts' },
        ],
        quotas: [
          { name: 'leadsPerWorker', limit: 100 },
          { name: 'meetingsPerWorker', limit: 50 },
        ],
      },
      '... on Fleet { size teams { name focus } quotas { name limit period } }',
    );
    expect(fleet).toMatchObject({
      size: 45,
      teams: [
        { name: 'enterprise', focus: 'enterprise_accounts' },
        { name: 'midmarket', focus: 'midmarket_accounts' },
        { name: 'smb', focus: 'smb_accounts' },
      ],
      quotas: [
        { name: 'leadsPerWorker', limit: 100, period: 'MONTHLY' },
        { name: 'meetingsPerWorker', limit: 50, period: 'MONTHLY' },
      ],
    });
  });

  it('Integration: createFleet({ tools: { database: db } }) as a template whose protocol binds the database tool', async () => {
    // One worker hired at once (the document's fleet leaves `scaling` to its defaults, 0 workers).
    const fleet = await call('createFleet', { name: 'Database Fleet', workerTemplate: { role: '$.DataAnalyst', protocol: 'database-worker' }, scaling: { min: 1 } }, '... on Fleet { id }');
    const done = await call('work', { fleetId: fleet.id, action: 'count_leads', input: { query: 'select count(*) from leads' }, wait: 60 }, '... on Task { status result assignee { fleet { id } } }');
    expect(done).toEqual({ __typename: 'Task', status: 'COMPLETED', result: { rows: ROWS }, assignee: { fleet: { id: fleet.id } } });
    expect(database.requests.at(-1)).toEqual({ query: 'select count(*) from leads' });
  });

  it('Integration: on($.Lead.created) queues fleet work; onTaskComplete publishes; every($.Hourly) rebalance', async () => {
    const fleet = await call('createFleet', { name: 'Database Fleet', workerTemplate: { role: '$.SalesDevelopmentRepresentative' } }, '... on Fleet { id }');
    await call('createTrigger', { eventType: '$.Lead.created', fleetId: fleet.id, action: 'qualify_lead' });
    await call('publishEvent', { type: '$.Lead.created', payload: { name: 'John Doe', company: 'Acme Corp' } });
    const queued = await eventually(async () => (await node(fleet.id, 'queue(first: 5) { edges { node { action } } }', 'Fleet')).queue.edges[0]?.node);
    expect(queued).toEqual({ action: 'qualify_lead' });
    await call('createWebhook', { url: 'http://127.0.0.1:9/fleet-task-completed', eventTypes: ['$.Fleet.task.completed'], secret: 'a-secret-of-enough-length' });
    await call('rebalanceFleet', { fleetId: fleet.id });
  });
});
