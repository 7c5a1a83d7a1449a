/**
 * Teams over HTTP: createTeam fills named slots from the fleet (hiring what is missing),
 * processTeamWorkflow runs a three-stage pipeline on the test model (a local
 * OpenAI-compatible server), each stage in its slot and fed the previous output, with
 * progress and the final output readable; a failing stage fails the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/fake-clock.js';
import { lastUserText, startFakeOpenAI, type FakeOpenAIServer } from '../support/fake-openai-server.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createFleet, mutate, readFleet, storedEvents } from '../fleets/helpers.js';

/** One protocol for every stage: each stage sends the one input it has. */
const PIPELINE_WORKER = `input:
  ACCOUNT:
    type: string
    optional: true
  RESEARCH_REPORT:
    type: string
    optional: true
  MEETING_BOOKED:
    type: string
    optional: true
variables:
  RESULT:
    type: string
steps:
  Start:
    block: start-thread
    thread: main
    model: openai/gpt-4o
    system: system
  Ask:
    block: add-message
    thread: main
    role: user
    prompt: ask
    input: [ACCOUNT, RESEARCH_REPORT, MEETING_BOOKED]
  Answer:
    block: next-message
    thread: main
    output: RESULT
output: RESULT
`;

const RUN = /* GraphQL */ `
  query ($id: ID!) { node(id: $id) { ... on TeamWorkflowRun {
    status progress currentStage output outputs error
    stages { index slot action status result task { assignee { name } } }
  } } }
`;

describe('teams', () => {
  let llm: FakeOpenAIServer;
  let app: TestApp;
  let fleetId: string;
  let teamId: string;

  beforeAll(async () => {
    llm = await startFakeOpenAI({
      reply: (request) => {
        const fields = Object.fromEntries(lastUserText(request).split('\n').map((line) => line.split('=')));
        if (fields.account === 'Broken') return { status: 400, body: { error: { message: 'no such account', type: 'invalid_request_error' } } };
        if (fields.meeting !== 'NONE') return `Deal closed after ${fields.meeting}`;
        if (fields.report !== 'NONE') return `Meeting booked from ${fields.report}`;
        return `Research on ${fields.account}`;
      },
    });
    app = await createTestApp({ env: { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'test-key' } });
    const created = await app.data(`mutation ($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename ... on Error { message } } }`, {
      input: {
        slug: 'pipeline-worker',
        source: PIPELINE_WORKER,
        prompts: [
          { name: 'system', content: 'You work one stage of a sales pipeline.' },
          { name: 'ask', content: 'account={{ACCOUNT}}\nreport={{RESEARCH_REPORT}}\nmeeting={{MEETING_BOOKED}}' },
        ],
      },
    });
    expect(created.createProtocol.__typename).toBe('Protocol');
    fleetId = await createFleet(app, {
      name: 'SDR',
      workerTemplate: { role: 'SalesDevelopmentRepresentative', protocol: 'pipeline-worker', model: 'openai/gpt-4o' },
      scaling: { min: 2, max: 10 },
    });
  });
  afterAll(async () => {
    await app?.close();
    await llm?.close();
  });

  it('forms a team from free members, hiring the rest', async () => {
    const team = await mutate(
      app,
      'createTeam',
      'CreateTeamInput',
      {
        fleetId,
        name: 'Enterprise Sales Team',
        slots: [
          { name: 'researchers', size: 2 },
          { name: 'outreach', size: 2 },
          { name: 'closers', size: 1 },
        ],
        stages: [
          { slot: 'researchers', action: 'research_account', output: 'research_report' },
          { slot: 'outreach', action: 'initial_outreach', input: 'research_report', output: 'meeting_booked' },
          { slot: 'closers', action: 'demo_and_close', input: 'meeting_booked', output: 'deal' },
        ],
      },
      '... on Team { id name slots { name size } stages { slot action input output } members { slot worker { name team { name } } } }',
    );
    expect(team.__typename).toBe('Team');
    teamId = team.id;
    expect(team.members.map((m: any) => [m.slot, m.worker.name])).toEqual([
      ['closers', 'SDR #5'],
      ['outreach', 'SDR #3'],
      ['outreach', 'SDR #4'],
      ['researchers', 'SDR #1'],
      ['researchers', 'SDR #2'],
    ]);
    expect(team.members[0].worker.team).toEqual({ name: 'Enterprise Sales Team' });
    expect((await readFleet(app, fleetId)).size).toBe(5);

    const refused = await mutate(
      app,
      'createTeam',
      'CreateTeamInput',
      { fleetId, name: 'Bad', slots: [{ name: 'a', size: 6 }], stages: [{ slot: 'a', action: 'x' }, { slot: 'b', action: 'y' }, { slot: 'a', action: 'z', input: 'nothing' }] },
      '',
    );
    expect(refused.issues.map((i: { path: string[] }) => i.path.join('.'))).toEqual(['stages.1.slot', 'stages.1.input', 'stages.2.input']);
    const tooBig = await mutate(app, 'createTeam', 'CreateTeamInput', { fleetId, name: 'Big', slots: [{ name: 'a', size: 6 }], stages: [{ slot: 'a', action: 'x' }] }, '');
    expect(tooBig).toMatchObject({ __typename: 'ValidationError', issues: [{ path: ['slots'], message: expect.stringContaining('may hire 5 more (max 10)') }] });
  });

  it('runs the pipeline stage by stage, feeding each output forward', async () => {
    const started = await mutate(app, 'processTeamWorkflow', 'ProcessTeamWorkflowInput', { teamId, input: { ACCOUNT: 'ACME' } }, '... on TeamWorkflowRun { id status progress }');
    expect(started).toMatchObject({ __typename: 'TeamWorkflowRun', status: 'RUNNING', progress: 0 });
    const run = await eventually(async () => {
      const { node } = await app.data(RUN, { id: started.id });
      return node.status === 'RUNNING' ? undefined : node;
    }, 20_000);
    expect(run).toMatchObject({
      status: 'COMPLETED',
      progress: 1,
      currentStage: 3,
      output: 'Deal closed after Meeting booked from Research on ACME',
      outputs: {
        research_report: 'Research on ACME',
        meeting_booked: 'Meeting booked from Research on ACME',
        deal: 'Deal closed after Meeting booked from Research on ACME',
      },
      error: null,
    });
    expect(run.stages.map((s: any) => [s.slot, s.status, s.task.assignee.name])).toEqual([
      ['researchers', 'COMPLETED', 'SDR #1'],
      ['outreach', 'COMPLETED', 'SDR #3'],
      ['closers', 'COMPLETED', 'SDR #5'],
    ]);
    const events = await storedEvents(app, ['Team.workflow.started', 'Team.workflow.stage.completed', 'Team.workflow.completed'], (e) => e.subjectId === teamId, 5);
    expect(events.map((e) => e.type)).toEqual([
      'Team.workflow.started',
      'Team.workflow.stage.completed',
      'Team.workflow.stage.completed',
      'Team.workflow.stage.completed',
      'Team.workflow.completed',
    ]);
    expect(events[4]!.payload.output).toBe('Deal closed after Meeting booked from Research on ACME');
  });

  it('fails the run when a stage fails', async () => {
    const started = await mutate(app, 'processTeamWorkflow', 'ProcessTeamWorkflowInput', { teamId, input: { ACCOUNT: 'Broken' } }, '... on TeamWorkflowRun { id }');
    const run = await eventually(async () => {
      const { node } = await app.data(RUN, { id: started.id });
      return node.status === 'RUNNING' ? undefined : node;
    }, 20_000);
    expect(run).toMatchObject({ status: 'FAILED', progress: 0, output: null });
    expect(run.error).toMatch(/^stage 1 \(research_account\) failed: /);
    expect(run.stages.map((s: any) => s.status)).toEqual(['FAILED', null, null]);
  });
});
