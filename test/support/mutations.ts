/** Mutation helpers of end-to-end tests: a mutation whose error result fails the test, and an ACTIVE worker. */
import { expect } from 'vitest';

import type { TestApp } from './test-app.js';

/** Runs mutation `field(input:)` on `app` and returns its result; an error result (`... on Error`) fails the test. */
export async function mutate(app: TestApp, field: string, type: string, input: Record<string, unknown>, selection = '... on Node { id }'): Promise<Record<string, any>> {
  const result = await app.data(`mutation ($input: ${type}!) { ${field}(input: $input) { __typename ... on Error { message } ${selection} } }`, { input });
  const value = result[field] as Record<string, any>;
  expect(value.message, `${field} answered ${value.__typename}`).toBeUndefined();
  return value;
}

/** Hires, onboards and activates a worker from `hireWorker`'s `input`; returns its global ID. */
export async function activeWorker(app: TestApp, input: Record<string, unknown>): Promise<string> {
  const { id } = await mutate(app, 'hireWorker', 'HireWorkerInput', input);
  await mutate(app, 'onboardWorker', 'OnboardWorkerInput', { workerId: id });
  await mutate(app, 'activateWorker', 'ActivateWorkerInput', { workerId: id });
  return id as string;
}
