/** Fleet test helpers: operations over HTTP as a client sends them. */
import { expect } from 'vitest';

import type { TestApp } from '../support/test-app.js';

/**
 * Runs mutation `field` with `input` and returns its result (with `issues` of a
 * ValidationError unless `validated` is false: not every result union has one); fails
 * on GraphQL errors.
 */
export async function mutate(app: TestApp, field: string, type: string, input: Record<string, unknown>, selection: string, validated = true) {
  const issues = validated ? '... on ValidationError { issues { path message } }' : '';
  const result = await app.data(`mutation ($input: ${type}!) { ${field}(input: $input) { __typename ... on Error { message } ${issues} ${selection} } }`, {
    input,
  });
  return result[field] as Record<string, any>;
}

/** Creates a fleet and returns its global ID. */
export async function createFleet(app: TestApp, input: Record<string, unknown>): Promise<string> {
  const fleet = await mutate(app, 'createFleet', 'CreateFleetInput', input, '... on Fleet { id }');
  expect(fleet.__typename, JSON.stringify(fleet)).toBe('Fleet');
  return fleet.id as string;
}

/** Hires an ACTIVE worker into fleet `fleetId` by hand, with its own skills. */
export async function hireInto(app: TestApp, fleetId: string, worker: Record<string, unknown>): Promise<string> {
  const hired = await mutate(app, 'hireWorker', 'HireWorkerInput', { role: 'Agent', ...worker, fleetId }, '... on Worker { id }');
  expect(hired.__typename, JSON.stringify(hired)).toBe('Worker');
  for (const move of ['onboardWorker', 'activateWorker']) {
    const moved = await app.data(`mutation ($id: ID!) { ${move}(input: { workerId: $id }) { __typename } }`, { id: hired.id });
    expect(moved[move].__typename).toBe('Worker');
  }
  return hired.id as string;
}

export const ASSIGNMENT = /* GraphQL */ `
  ... on WorkAssignment {
    strategy assigned queued
    tasks { id action status priority assignee { id name } }
    handedOut { id action assignee { id } }
    fallbacks { task { id } reason }
  }
`;

/** Sends `tasks` to the fleet with `options` (strategy, skillMatching, priorityRules). */
export async function assignWork(app: TestApp, fleetId: string, tasks: Array<Record<string, unknown>>, options: Record<string, unknown> = {}) {
  return mutate(app, 'assignWork', 'AssignWorkInput', { fleetId, tasks, ...options }, ASSIGNMENT);
}

/** Starts (unless already RUNNING) then completes task `taskId`: a worker without a protocol works by hand. */
export async function finishTask(app: TestApp, taskId: string, options: { start: boolean } = { start: true }): Promise<void> {
  if (options.start) {
    const started = await app.data(`mutation ($id: ID!) { startTask(input: { taskId: $id }) { __typename ... on Error { message } } }`, { id: taskId });
    expect(started.startTask.__typename, JSON.stringify(started)).toBe('Task');
  }
  const done = await app.data(`mutation ($id: ID!) { completeTask(input: { taskId: $id, result: "ok" }) { __typename ... on Error { message } } }`, {
    id: taskId,
  });
  expect(done.completeTask.__typename, JSON.stringify(done)).toBe('Task');
}

/** The fleet's members and status as a client reads them. */
export async function readFleet(app: TestApp, fleetId: string) {
  const { fleet } = await app.data(
    `query ($id: ID!) {
      fleet(id: $id) {
        size
        workers(first: 100) { edges { node { id name lifecycle availability } } }
        queue(first: 100) { totalCount edges { node { id action priority } } }
        status { size retiring queueDepth assigned processing completed failed slots busySlots utilization healthScore slaBreaches slaCompliance }
      }
    }`,
    { id: fleetId },
  );
  return fleet as Record<string, any>;
}

export interface StoredEvent {
  seq: number;
  type: string;
  subjectId: string | null;
  payload: Record<string, any>;
}

/**
 * The first `count` stored events of `types` that `keep` accepts, replayed over
 * graphql-ws by the `events` subscription (after: 0).
 */
export async function storedEvents(app: TestApp, types: string[], keep: (event: StoredEvent) => boolean, count: number): Promise<StoredEvent[]> {
  const found: StoredEvent[] = [];
  const subscription = app.wsClient().iterate<{ events: StoredEvent }>({
    query: 'subscription ($types: [String!]) { events(types: $types, after: 0) { seq type subjectId payload } }',
    variables: { types },
  });
  for await (const result of subscription) {
    const event = result.data!.events;
    if (keep(event)) found.push(event);
    if (found.length === count) break;
  }
  return found;
}
