/**
 * The product documents' literal values, sent over HTTP in their GraphQL form, are accepted
 * and stored in one documented form (README.md "The product documents' values"); values
 * that cannot be read are refused with a ValidationError naming the field and what is expected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createFleet, hireInto, mutate } from '../fleets/helpers.js';
import { ALEX_PERSONA } from '../support/product-values.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

const HIRE = /* GraphQL */ `
  mutation ($input: HireWorkerInput!) {
    hireWorker(input: $input) {
      __typename
      ... on Worker { id name role persona model skills { name level } }
      ... on ValidationError { issues { path message } }
    }
  }
`;

describe('the product documents’ values', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const hire = async (input: Record<string, unknown>) => (await app.data(HIRE, { input })).hireWorker;

  it('keeps the persona of the worker document, its working hours parsed into start, end and an IANA zone', async () => {
    const worker = await hire({
      name: 'Alex Rodriguez',
      role: 'CustomerSuccessManager',
      persona: ALEX_PERSONA,
      skills: [
        { name: 'Customer Onboarding', level: 'EXPERT' },
        { name: 'Product Knowledge', level: 'ADVANCED' },
      ],
    });
    expect(worker.__typename).toBe('Worker');
    expect(worker.persona).toEqual({ ...ALEX_PERSONA, workingHours: { start: '09:00', end: '17:00', timezone: 'America/Los_Angeles' } });

    const sarah = await hire({
      name: 'Sarah Chen',
      role: 'SalesDevelopmentRepresentative',
      persona: { background: 'Former tech recruiter, 5 years in B2B SaaS', style: 'consultative, data-driven', workingHours: '09:00-17:00 Europe/Berlin' },
    });
    expect(sarah.persona).toEqual({
      background: 'Former tech recruiter, 5 years in B2B SaaS',
      style: 'consultative, data-driven',
      workingHours: { start: '09:00', end: '17:00', timezone: 'Europe/Berlin' },
    });
  });

  it('refuses working hours it cannot read, naming the field and what is expected', async () => {
    const refused = await hire({ name: 'Eve', role: 'Analyst', persona: { workingHours: 'whenever I feel like it' } });
    expect(refused).toEqual({
      __typename: 'ValidationError',
      issues: [
        {
          path: ['persona', 'workingHours'],
          message:
            "must be hours and a time zone such as '9am-5pm PST', '09:00-17:00 Europe/Berlin' or '9-5 ET', or an object { start end timezone }",
        },
      ],
    });
    const noZone = await hire({ name: 'Eve', role: 'Analyst', persona: { workingHours: '9am-5pm' } });
    expect(noZone.issues[0].path).toEqual(['persona', 'workingHours']);
    const badZone = await hire({ name: 'Eve', role: 'Analyst', persona: { workingHours: { start: '9:00', end: '17:00', timezone: 'Mars/Base' } } });
    expect(badZone.issues).toEqual([
      { path: ['persona', 'workingHours', 'timezone'], message: 'must be an IANA time zone such as America/Los_Angeles' },
    ]);
    const unknownKey = await hire({ name: 'Eve', role: 'Analyst', persona: { favouriteColour: 'green' } });
    expect(unknownKey.__typename).toBe('ValidationError');
  });

  it('reads a date-only due date as the end of that day in the worker’s zone, or the fleet’s for fleet work', async () => {
    const fleetId = await createFleet(app, { name: 'Berlin', timezone: 'Europe/Berlin', workerTemplate: { role: 'Agent' }, scaling: { min: 0, max: 3 } });
    const workerId = await hireInto(app, fleetId, { name: 'Alex', persona: { workingHours: '9am-5pm PST' } });

    const task = await mutate(app, 'assignTask', 'AssignTaskInput', { workerId, action: 'onboard_customer', priority: 'HIGH', dueDate: '2025-10-15' }, '... on Task { dueDate }');
    expect(task.dueDate).toBe('2025-10-16T06:59:59.999Z'); // 23:59:59.999 in Los Angeles (PDT)
    const exact = await mutate(app, 'assignTask', 'AssignTaskInput', { workerId, action: 'call', dueDate: '2025-10-15T12:00:00Z' }, '... on Task { dueDate }');
    expect(exact.dueDate).toBe('2025-10-15T12:00:00.000Z');

    const project = await mutate(
      app,
      'assignProject',
      'AssignProjectInput',
      {
        workerId,
        name: 'Q4 Customer Success Initiative',
        tasks: [
          { action: 'review_at_risk_accounts', dueDate: '2025-10-20' },
          { action: 'create_success_plans', dueDate: '2025-10-25' },
          { action: 'schedule_qbrs', dueDate: '2025-11-30' },
        ],
      },
      '... on Project { tasks { dueDate } }',
    );
    // Los Angeles leaves daylight-saving time on 2 November 2025: PDT (UTC−7), then PST (UTC−8).
    expect(project.tasks.map((t: { dueDate: string }) => t.dueDate)).toEqual([
      '2025-10-21T06:59:59.999Z',
      '2025-10-26T06:59:59.999Z',
      '2025-12-01T07:59:59.999Z',
    ]);

    const work = await mutate(app, 'assignWork', 'AssignWorkInput', { fleetId, tasks: [{ action: 'qualify_lead', dueDate: '2025-10-15' }] }, '... on WorkAssignment { tasks { dueDate } }');
    expect(work.tasks[0].dueDate).toBe('2025-10-15T21:59:59.999Z'); // 23:59:59.999 in Berlin (CEST)
  });

  it('refuses a due date that is neither a date-time nor a date, naming the field', async () => {
    const fleetId = await createFleet(app, { name: 'Dates', workerTemplate: { role: 'Agent' }, scaling: { min: 0, max: 1 } });
    const workerId = await hireInto(app, fleetId, { name: 'Dana' });
    const impossible = await mutate(app, 'assignTask', 'AssignTaskInput', { workerId, action: 'x', dueDate: '2025-02-30' }, '');
    expect(impossible).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ path: ['dueDate'], message: 'must be a date-time such as 2025-10-15T17:00:00Z or a date such as 2025-10-15' }],
    });
    const text = await app.gql(`mutation ($input: AssignTaskInput!) { assignTask(input: $input) { __typename } }`, {
      input: { workerId, action: 'x', dueDate: 'next tuesday' },
    });
    expect(text.errors?.[0]?.message).toContain('"input.dueDate"');
    expect(text.errors?.[0]?.message).toContain('DueDate must be a date-time such as 2025-10-15T17:00:00Z or a date such as 2025-10-15');
  });

  it('stores `$.`-prefixed roles and event types without the prefix, so both spellings are one', async () => {
    const sarah = await hire({ name: 'Sarah Chen', role: '$.SalesDevelopmentRepresentative' });
    expect(sarah.role).toBe('SalesDevelopmentRepresentative');
    const { workers } = await app.data(`query { workers(role: "$.SalesDevelopmentRepresentative") { nodes: edges { node { name role } } } }`);
    expect(workers.nodes).toContainEqual({ node: { name: 'Sarah Chen', role: 'SalesDevelopmentRepresentative' } });

    const fleetId = await createFleet(app, { name: 'SDR Fleet', workerTemplate: { role: '$.SalesDevelopmentRepresentative' }, scaling: { min: 1, max: 2 } });
    const { fleet } = await app.data(`query ($id: ID!) { fleet(id: $id) { workerTemplate { role } workers { edges { node { role } } } } }`, { id: fleetId });
    expect(fleet.workerTemplate.role).toBe('SalesDevelopmentRepresentative');
    expect(fleet.workers.edges).toEqual([{ node: { role: 'SalesDevelopmentRepresentative' } }]);

    const trigger = await mutate(app, 'createTrigger', 'CreateTriggerInput', { eventType: '$.Lead.created', fleetId, action: 'qualify_lead' }, '... on Trigger { eventType }');
    expect(trigger).toMatchObject({ __typename: 'Trigger', eventType: 'Lead.created' });
    const published = await mutate(app, 'publishEvent', 'PublishEventInput', { type: '$.Lead.created', payload: { name: 'John Doe' } }, '... on DomainEvent { seq type }');
    expect(published.type).toBe('Lead.created');
    const reserved = await mutate(app, 'publishEvent', 'PublishEventInput', { type: '$.Worker.hired' }, '');
    expect(reserved.__typename).toBe('ValidationError');
    const malformed = await mutate(app, 'createTrigger', 'CreateTriggerInput', { eventType: '$.lead', fleetId, action: 'x' }, '');
    expect(malformed.issues).toEqual([{ path: ['eventType'], message: 'must look like Subject.predicate, e.g. Lead.created or $.Lead.created' }]);
    // Created last: no event of this test follows it, so nothing is delivered.
    const webhook = await mutate(
      app,
      'createWebhook',
      'CreateWebhookInput',
      { url: 'https://hooks.example.com/x', secret: 'a-secret-of-16-chars', eventTypes: ['$.Lead.created', '$.Worker.*'] },
      '... on Webhook { eventTypes }',
      false,
    );
    expect(webhook.eventTypes).toEqual(['Lead.created', 'Worker.*']);
  });

  it('takes template skills by name alone and short model ids, stored with their defaults and vendor', async () => {
    const fleetId = await createFleet(app, {
      name: 'Customer Support Fleet',
      workerTemplate: {
        role: '$.CustomerSupportRepresentative',
        capabilities: ['ticket_triage', 'issue_resolution'],
        skills: [{ name: 'technical_support' }, { name: 'customer_communication', level: 'EXPERT' }],
        model: 'claude-sonnet-4.5',
      },
      scaling: { min: 1, max: 3 },
    });
    const { fleet } = await app.data(
      `query ($id: ID!) { fleet(id: $id) { workerTemplate { skills { name level } model } workers { edges { node { skills { name level } model } } } } }`,
      { id: fleetId },
    );
    const skills = [
      { name: 'technical_support', level: 'INTERMEDIATE' },
      { name: 'customer_communication', level: 'EXPERT' },
    ];
    expect(fleet.workerTemplate).toEqual({ skills, model: 'anthropic/claude-sonnet-4-5' });
    expect(fleet.workers.edges).toEqual([{ node: { skills, model: 'anthropic/claude-sonnet-4-5' } }]);

    const worker = await hire({ name: 'Sarah Chen', role: '$.SalesDevelopmentRepresentative', model: 'gpt-4o', skills: [{ name: 'outreach' }] });
    expect(worker).toMatchObject({ model: 'openai/gpt-4o', skills: [{ name: 'outreach', level: 'INTERMEDIATE' }] });
    const unknown = await hire({ name: 'Eve', role: 'Analyst', model: 'sonnet' });
    expect(unknown.issues).toEqual([
      { path: ['model'], message: 'must look like vendor/model (openai/gpt-4o) or be a short id of a known family (gpt-4o, claude-sonnet-4.5, gemini-2.5-pro)' },
    ]);
  });

  it('takes the fleet document’s names sla.responseTime/resolutionTime and handoff.duration, refusing both spellings at once', async () => {
    const fleetId = await createFleet(app, {
      name: 'Support',
      workerTemplate: { role: '$.CustomerSupportRepresentative', capabilities: ['ticket_triage', 'issue_resolution', 'escalation'] },
      scaling: { min: 0, max: 50 },
      sla: { responseTime: 300, resolutionTime: 3600 },
    });
    const { fleet } = await app.data(`query ($id: ID!) { fleet(id: $id) { sla { responseTimeSeconds resolutionTimeSeconds } } }`, { id: fleetId });
    expect(fleet.sla).toEqual({ responseTimeSeconds: 300, resolutionTimeSeconds: 3600 });
    const both = await mutate(app, 'createFleet', 'CreateFleetInput', { name: 'Both', workerTemplate: { role: 'Agent' }, sla: { responseTime: 300, responseTimeSeconds: 60 } }, '');
    expect(both.issues).toEqual([{ path: ['sla', 'responseTime'], message: 'give responseTime or responseTimeSeconds, not both' }]);

    const shifts = [
      { name: 'Day', hours: '8:00-20:00', workers: 0 },
      { name: 'Night', hours: '20:00-8:00', workers: 0 },
    ];
    const configured = await mutate(app, 'configureShifts', 'ConfigureShiftsInput', { fleetId, timezone: 'UTC', shifts, handoff: { duration: 15, briefing: true } }, '__typename');
    expect(configured.__typename).toBe('Fleet');
    const { fleet: onDuty } = await app.data(`query ($id: ID!) { fleet(id: $id) { currentShift(at: "2025-10-15T08:05:00Z") { name handoffUntil outgoing { shift { name } } } } }`, { id: fleetId });
    expect(onDuty.currentShift).toEqual({ name: 'Day', handoffUntil: '2025-10-15T08:15:00.000Z', outgoing: { shift: { name: 'Night' } } });
  });

  it('takes the worker document’s onboard({ mentor })', async () => {
    const mentor = await hire({ name: 'Senior Analyst', role: '$.SeniorDataAnalyst' });
    const morgan = await hire({ name: 'Morgan Lee', role: '$.DataAnalyst' });
    const onboarded = await mutate(
      app,
      'onboardWorker',
      'OnboardWorkerInput',
      { workerId: morgan.id, training: ['product_knowledge', 'tools_training', 'process_training'], access: ['database', 'bi_tools', 'slack'], mentor: mentor.id },
      '... on Worker { onboarding { mentor { name } } }',
    );
    expect(onboarded.onboarding).toEqual({ mentor: { name: 'Senior Analyst' } });
    const other = await hire({ name: 'Riley', role: 'DataAnalyst' });
    const both = await mutate(app, 'onboardWorker', 'OnboardWorkerInput', { workerId: other.id, mentor: mentor.id, mentorId: mentor.id }, '');
    expect(both.issues).toEqual([{ path: ['mentor'], message: 'give mentor or mentorId, not both' }]);
  });

  it('forms the fleet document’s focus teams inside createFleet, setting max to their total when scaling names none', async () => {
    const created = await mutate(
      app,
      'createFleet',
      'CreateFleetInput',
      {
        name: 'SDR Fleet',
        workerTemplate: { role: '$.SalesDevelopmentRepresentative', capabilities: ['research', 'outreach', 'qualification'] },
        teams: [
          { name: 'enterprise', workers: 2, focus: 'enterprise_accounts' },
          { name: 'smb', workers: 3, focus: 'smb_accounts' },
        ],
      },
      '... on Fleet { id size scaling { min max } teams { name focus stages { action } slots { name size } members { slot } } }',
    );
    expect(created).toMatchObject({
      __typename: 'Fleet',
      size: 5,
      scaling: { min: 0, max: 10 },
      teams: [
        { name: 'enterprise', focus: 'enterprise_accounts', stages: [], slots: [{ name: 'enterprise', size: 2 }] },
        { name: 'smb', focus: 'smb_accounts', stages: [], slots: [{ name: 'smb', size: 3 }] },
      ],
    });
    expect(created.teams.map((team: { members: unknown[] }) => team.members.length)).toEqual([2, 3]);
    const big = await mutate(app, 'createFleet', 'CreateFleetInput', { name: 'Big', workerTemplate: { role: 'Agent' }, teams: [{ name: 'a', workers: 12 }] }, '... on Fleet { size scaling { max } }');
    expect(big).toMatchObject({ size: 12, scaling: { max: 12 } });

    const refused = await mutate(app, 'createFleet', 'CreateFleetInput', { name: 'Bad', workerTemplate: { role: 'Agent' }, scaling: { max: 3 }, teams: [{ name: 'a', workers: 4 }, { name: 'a', workers: 1 }] }, '');
    expect(refused.issues).toEqual([{ path: ['teams', '1', 'name'], message: 'is used twice' }]);
    const tooMany = await mutate(app, 'createFleet', 'CreateFleetInput', { name: 'Bad', workerTemplate: { role: 'Agent' }, scaling: { max: 3 }, teams: [{ name: 'a', workers: 4 }] }, '');
    expect(tooMany.issues).toEqual([{ path: ['teams'], message: 'the teams need 4 workers, more than scaling.max 3' }]);
    const both = await mutate(app, 'createFleet', 'CreateFleetInput', { name: 'Bad', workerTemplate: { role: 'Agent' }, teams: [{ name: 'a', workers: 1, slots: [{ name: 'x', size: 1 }] }] }, '');
    expect(both.issues).toEqual([{ path: ['teams', '0', 'slots'], message: 'give either slots or workers (one slot named after the team)' }]);

    // A focus team has no pipeline to process.
    const teamId = (await app.data(`query ($id: ID!) { fleet(id: $id) { teams { id } } }`, { id: created.id })).fleet.teams[0].id;
    const processed = await mutate(app, 'processTeamWorkflow', 'ProcessTeamWorkflowInput', { teamId, input: {} }, '');
    expect(processed.issues).toEqual([{ path: ['teamId'], message: 'the team has no pipeline stages' }]);
  });

  it('takes the worker document’s offboard({ transition: { transferWorkTo, documentationComplete } })', async () => {
    const fleetId = await createFleet(app, { name: 'Offboarding', workerTemplate: { role: 'Agent' }, scaling: { min: 0, max: 3 } });
    const leaving = await hireInto(app, fleetId, { name: 'Leaving' });
    const taking = await hireInto(app, fleetId, { name: 'Taking over' });
    await mutate(app, 'assignTask', 'AssignTaskInput', { workerId: leaving, action: 'call' }, '... on Task { id }');
    const offboard = (input: Record<string, unknown>) =>
      mutate(app, 'offboardWorker', 'OffboardWorkerInput', { workerId: leaving, reason: 'role_change', ...input }, '... on Worker { lifecycle offboarding { documentationComplete transferredTo { name } } tasks { totalCount } }');
    expect((await offboard({ transferWorkTo: taking, transition: { transferWorkTo: taking } })).issues).toEqual([
      { path: ['transition'], message: 'give transition or transferWorkTo, not both' },
    ]);
    expect(await offboard({ transition: { transferWorkTo: taking, documentationComplete: true } })).toMatchObject({
      lifecycle: 'OFFBOARDED',
      offboarding: { documentationComplete: true, transferredTo: { name: 'Taking over' } },
      tasks: { totalCount: 0 },
    });
  });
});
