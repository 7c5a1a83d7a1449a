/** The server as a client sees it: health, GraphiQL, workers, fleets, tasks, errors, SSE. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/test-app.js';

const HIRE = /* GraphQL */ `
  mutation Hire($input: HireWorkerInput!) {
    hireWorker(input: $input) {
      __typename
      ... on Worker { id name role lifecycle availability skills { name level } kpis { name target period } fleet { name } }
      ... on ValidationError { message issues { path message } }
      ... on Error { message }
    }
  }
`;

const CREATE_FLEET = /* GraphQL */ `
  mutation CreateFleet($input: CreateFleetInput!) {
    createFleet(input: $input) {
      __typename
      ... on Fleet { id name size timezone scaling { mode min max cooldownSeconds rules { metric threshold action step } } }
      ... on ValidationError { issues { path message } }
    }
  }
`;

const ASSIGN = /* GraphQL */ `
  mutation Assign($input: AssignTaskInput!) {
    assignTask(input: $input) {
      __typename
      ... on Task { id action status priority input assignee { name } assignedAt }
      ... on Error { message }
    }
  }
`;

describe('server', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers health and readiness probes', async () => {
    const base = app.url.replace('/graphql', '');
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('serves GraphiQL with the walk-through query to browsers', async () => {
    const response = await fetch(app.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('graphiql');
    expect(html).toContain('CreateTitleGenerator');
  });

  it('hires a worker, creates a fleet and assigns a task, each readable back by global ID', async () => {
    const fleet = (
      await app.data(CREATE_FLEET, {
        input: {
          name: 'Sales Development Fleet',
          workerTemplate: { role: 'SalesDevelopmentRepresentative', capabilities: ['research', 'outreach'] },
          scaling: { min: 0, max: 50, rules: [{ metric: 'QUEUE_DEPTH', threshold: 100, action: 'SCALE_UP', step: 5 }] },
          timezone: 'America/Los_Angeles',
        },
      })
    ).createFleet;
    expect(fleet).toMatchObject({
      __typename: 'Fleet',
      size: 0,
      timezone: 'America/Los_Angeles',
      scaling: { mode: 'MANUAL', min: 0, max: 50, cooldownSeconds: 300 },
    });

    const worker = (
      await app.data(HIRE, {
        input: {
          name: 'Sarah Chen',
          role: 'SalesDevelopmentRepresentative',
          persona: { background: 'Former tech recruiter', workingHours: { start: '9:00', end: '17:00', timezone: 'America/New_York' } },
          skills: [{ name: 'lead_qualification', level: 'EXPERT' }],
          kpis: [{ name: 'meetingsBooked', target: 20, period: 'MONTHLY' }],
          fleetId: fleet.id,
        },
      })
    ).hireWorker;
    expect(worker).toMatchObject({
      __typename: 'Worker',
      name: 'Sarah Chen',
      lifecycle: 'HIRED',
      availability: 'OFFLINE',
      skills: [{ name: 'lead_qualification', level: 'EXPERT' }],
      kpis: [{ name: 'meetingsBooked', target: 20, period: 'MONTHLY' }],
      fleet: { name: 'Sales Development Fleet' },
    });

    // Only ACTIVE workers take work: onboard and activate first.
    for (const mutation of ['onboardWorker', 'activateWorker']) {
      const moved = await app.data(`mutation ($id: ID!) { ${mutation}(input: { workerId: $id }) { __typename } }`, { id: worker.id });
      expect(moved[mutation].__typename).toBe('Worker');
    }

    const task = (
      await app.data(ASSIGN, {
        input: { workerId: worker.id, action: 'qualify_lead', input: { lead: 'ACME' }, priority: 'HIGH' },
      })
    ).assignTask;
    expect(task).toMatchObject({ __typename: 'Task', status: 'ASSIGNED', priority: 'HIGH', input: { lead: 'ACME' }, assignee: { name: 'Sarah Chen' } });
    expect(task.assignedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    const read = await app.data(
      /* GraphQL */ `
        query Read($worker: ID!, $fleet: ID!) {
          node(id: $worker) { ... on Worker { name tasks(first: 10) { totalCount edges { node { action } } } } }
          fleet(id: $fleet) { size workers(first: 5) { totalCount edges { node { name } } } }
        }
      `,
      { worker: worker.id, fleet: fleet.id },
    );
    expect(read.node).toEqual({ name: 'Sarah Chen', tasks: { totalCount: 1, edges: [{ node: { action: 'qualify_lead' } }] } });
    expect(read.fleet).toEqual({ size: 1, workers: { totalCount: 1, edges: [{ node: { name: 'Sarah Chen' } }] } });
  });

  it('pages through workers with Relay cursors', async () => {
    for (const name of ['Page A', 'Page B', 'Page C']) await app.data(HIRE, { input: { name, role: 'Pager' } });
    const page = /* GraphQL */ `
      query Page($after: String) {
        workers(first: 2, after: $after, role: "Pager") { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } }
      }
    `;
    const first = (await app.data(page)).workers;
    expect(first.totalCount).toBe(3);
    expect(first.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(['Page A', 'Page B']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await app.data(page, { after: first.pageInfo.endCursor })).workers;
    expect(second.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(['Page C']);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('answers bad input with a ValidationError naming every bad path, and stores nothing', async () => {
    const before = (await app.data('{ workers { totalCount } }')).workers.totalCount;
    const result = (
      await app.data(HIRE, {
        input: {
          name: ' ',
          role: 'SDR',
          model: 'gpt4',
          persona: { workingHours: { start: '9:00', end: '17:00', timezone: 'Mars/Olympus' } },
        },
      })
    ).hireWorker;
    expect(result.__typename).toBe('ValidationError');
    expect(result.issues.map((i: { path: string[] }) => i.path.join('.')).sort()).toEqual(
      ['model', 'name', 'persona.workingHours.timezone'].sort(),
    );
    expect((await app.data('{ workers { totalCount } }')).workers.totalCount).toBe(before);

    const fleet = (
      await app.data(CREATE_FLEET, { input: { name: 'Bad', workerTemplate: { role: 'x' }, scaling: { min: 10, max: 5 } } })
    ).createFleet;
    expect(fleet).toEqual({ __typename: 'ValidationError', issues: [{ path: ['scaling', 'min'], message: 'min must not exceed max' }] });
  });

  it('answers an unknown worker with NotFoundError', async () => {
    const missing = Buffer.from('Worker:0190f2a4-0000-7000-8000-000000000000').toString('base64');
    const result = (await app.data(ASSIGN, { input: { workerId: missing, action: 'x' } })).assignTask;
    expect(result).toEqual({ __typename: 'NotFoundError', message: 'Worker 0190f2a4-0000-7000-8000-000000000000 was not found' });
  });

  it('rejects a global ID of the wrong type', async () => {
    const fleetId = Buffer.from('Fleet:0190f2a4-0000-7000-8000-000000000000').toString('base64');
    const result = (await app.data(ASSIGN, { input: { workerId: fleetId, action: 'x' } })).assignTask;
    expect(result).toEqual({ __typename: 'ValidationError', message: 'Invalid input at workerId: must be the global ID of a Worker' });
  });

  it('carries subscriptions over server-sent events too', async () => {
    const created = await app.data(
      /* GraphQL */ `
        mutation {
          createProtocol(input: {
            slug: "sse-check"
            source: "variables:\\n  OUT:\\n    type: string\\nsteps:\\n  Start:\\n    block: start-thread\\n    thread: main\\n    model: openai/gpt-4o\\n    system: system\\n  Ask:\\n    block: add-message\\n    role: user\\n    prompt: ask\\n  Answer:\\n    block: next-message\\n    output: OUT\\noutput: OUT\\n"
            prompts: [{ name: "system", content: "Be brief." }, { name: "ask", content: "Say hello." }]
          }) { __typename ... on Error { message } }
        }
      `,
    );
    expect(created.createProtocol.__typename).toBe('Protocol');
    const run = (await app.data(`mutation { executeWorker(input: { protocol: "sse-check" }) { ... on Run { id } } }`)).executeWorker;

    const response = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: 'subscription ($id: ID!) { runEvents(runId: $id) { seq type ... on WorkerStartEvent { models { offline } } } }',
        variables: { id: run.id },
      }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    const events = text
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.includes('runEvents'))
      .map((line) => JSON.parse(line.slice(6)).data.runEvents);
    expect(events[0]).toMatchObject({ seq: 1, type: 'start' });
    expect(events[1]).toMatchObject({ type: 'worker-start', models: [{ offline: true }] });
    expect(events.at(-1).type).toBe('usage');
  });
});
