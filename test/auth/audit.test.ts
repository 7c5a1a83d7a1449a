/**
 * The audit log under concurrent mutations: rows of mutations in flight at once go in
 * shared INSERTs (group commit), and still every mutation's row is stored by the time its
 * answer arrives, with its own operation and outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/test-app.js';

describe('audit log', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('has the row of every one of 20 concurrent mutations once they have answered', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        app.gql(`mutation Hire${i} { hireWorker(input: { name: "W${i}", role: "${i % 2 ? 'Analyst' : ''}" }) { __typename } }`),
      ),
    );
    const outcomes = answers.map((answer) => (answer.data!.hireWorker as { __typename: string }).__typename);

    const { auditLog } = await app.data<{ auditLog: { edges: Array<{ node: { operation: string; outcome: string; fields: string[] } }> } }>(
      '{ auditLog(first: 50) { edges { node { operation outcome fields } } } }',
    );
    const byOperation = new Map(auditLog.edges.map(({ node }) => [node.operation, node]));
    expect(auditLog.edges).toHaveLength(20);
    for (let i = 0; i < 20; i++) {
      expect(byOperation.get(`Hire${i}`)).toEqual({
        operation: `Hire${i}`,
        fields: ['hireWorker'],
        outcome: outcomes[i] === 'Worker' ? 'success' : outcomes[i],
      });
    }
  });
});
