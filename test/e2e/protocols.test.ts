/** Protocol versions over GraphQL: create, update (runs keep their version), delete. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/test-app.js';

const source = (model: string) => `variables:
  OUT:
    type: string
tools:
  lookup:
    description: Look something up
    parameters:
      query: { type: string }
steps:
  Start:
    block: start-thread
    thread: main
    model: ${model}
    system: system
    tools: [lookup]
  Ask:
    block: add-message
    thread: main
    role: user
    prompt: ask
  Answer:
    block: next-message
    thread: main
    output: OUT
output: OUT
`;
const prompts = [
  { name: 'system', content: 'Be brief.' },
  { name: 'ask', content: 'Say hello.' },
];

const UPDATE = /* GraphQL */ `
  mutation Update($input: UpdateProtocolInput!) {
    updateProtocol(input: $input) {
      __typename
      ... on Protocol { version source }
      ... on ValidationError { issues { path message } }
      ... on Error { message }
    }
  }
`;

describe('protocol versions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('stores updates as new versions while runs keep the version they started with', async () => {
    await app.data(`mutation ($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename } }`, {
      input: { slug: 'greeter', source: source('openai/gpt-4o'), prompts },
    });
    const run = (await app.data(`mutation { executeWorker(input: { protocol: "greeter" }) { ... on Run { id version } } }`)).executeWorker;
    expect(run.version).toBe(1);

    const updated = (await app.data(UPDATE, { input: { slug: 'greeter', source: source('openai/gpt-4o-mini'), prompts } })).updateProtocol;
    expect(updated).toMatchObject({ __typename: 'Protocol', version: 2 });
    expect(updated.source).toContain('gpt-4o-mini');

    const again = (await app.data(`query ($id: ID!) { run(id: $id) { version } }`, { id: run.id })).run;
    expect(again.version).toBe(1);
    const next = (await app.data(`mutation { executeWorker(input: { protocol: "greeter" }) { ... on Run { version } } }`)).executeWorker;
    expect(next.version).toBe(2);
  });

  it('rejects an HTTP binding for a tool the protocol does not declare, and keeps the old version', async () => {
    const result = (
      await app.data(UPDATE, {
        input: {
          slug: 'greeter',
          source: source('openai/gpt-4o'),
          prompts,
          settings: { httpTools: { lookup: { url: 'http://127.0.0.1:1/lookup' }, search: { url: 'http://127.0.0.1:1/search' } } },
        },
      })
    ).updateProtocol;
    expect(result).toMatchObject({
      __typename: 'ValidationError',
      issues: [{ path: ['settings', 'httpTools', 'search'], message: 'the protocol declares no tool "search"' }],
    });
    expect((await app.data('{ protocol(slug: "greeter") { version } }')).protocol.version).toBe(2);
  });

  it('refuses to delete a protocol that runs executed, and deletes one that none did', async () => {
    const refused = (
      await app.data(`mutation { deleteProtocol(input: { slug: "greeter" }) { __typename ... on Error { message } } }`)
    ).deleteProtocol;
    expect(refused.__typename).toBe('InvalidTransitionError');

    await app.data(`mutation ($input: CreateProtocolInput!) { createProtocol(input: $input) { __typename } }`, {
      input: { slug: 'unused', source: source('openai/gpt-4o'), prompts },
    });
    const deleted = (
      await app.data(`mutation { deleteProtocol(input: { slug: "unused" }) { __typename ... on DeletedProtocol { slug deletedProtocolId } } }`)
    ).deleteProtocol;
    expect(deleted).toMatchObject({ __typename: 'DeletedProtocol', slug: 'unused' });
    expect((await app.data('{ protocol(slug: "unused") { id } }')).protocol).toBeNull();
    expect((await app.data('query ($id: ID!) { node(id: $id) { id } }', { id: deleted.deletedProtocolId })).node).toBeNull();
  });
});
