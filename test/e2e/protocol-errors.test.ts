/**
 * Bad protocols over GraphQL: each kind answers `ProtocolError` with diagnostics that
 * point at the offending line and column, and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/test-app.js';

const PROMPTS = [
  { name: 'system', content: 'You are helpful.' },
  { name: 'ask', content: 'Answer {{QUESTION}}' },
];

/** A valid worker protocol; each case below breaks one thing. */
const VALID = `input:
  QUESTION:
    type: string
variables:
  ANSWER:
    type: string
tools:
  lookup:
    description: Look something up
steps:
  Start:
    block: start-thread
    thread: main
    model: openai/gpt-4o
    system: system
    tools: [lookup]
  Ask:
    block: add-message
    thread: main
    role: user
    prompt: ask
    input: [QUESTION]
  Answer:
    block: next-message
    thread: main
    output: ANSWER
output: ANSWER
`;

interface Case {
  name: string;
  source: string;
  /** The expected first error: its line, column, and a fragment of its message. */
  line: number;
  column: number;
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: 'YAML syntax error',
    source: VALID.replace('    tools: [lookup]', '    tools: [lookup'),
    line: 17,
    column: 3,
    message: /flow sequence|YAML|expected/i,
  },
  { name: 'unknown block kind', source: VALID.replace('block: add-message', 'block: make-coffee'), line: 18, column: 12, message: /make-coffee/ },
  { name: 'missing required field', source: VALID.replace('    prompt: ask\n', ''), line: 17, column: 3, message: /prompt/ },
  {
    name: 'next-message on a thread never started',
    source: VALID.replace('    thread: main\n    output: ANSWER', '    thread: side\n    output: ANSWER'),
    line: 25,
    column: 13,
    message: /side/,
  },
  { name: 'undeclared variable as block output', source: VALID.replace('    output: ANSWER\noutput', '    output: ANSWR\noutput'), line: 26, column: 13, message: /ANSWR/ },
  { name: 'undeclared input in a mapping', source: VALID.replace('input: [QUESTION]', 'input: [QUESTIONS]'), line: 22, column: 13, message: /QUESTIONS/ },
  { name: 'unknown prompt', source: VALID.replace('system: system', 'system: sytem'), line: 15, column: 13, message: /sytem/ },
  { name: 'unknown tool', source: VALID.replace('tools: [lookup]', 'tools: [lookup, search]'), line: 16, column: 21, message: /search/ },
  { name: 'top-level output naming no variable', source: VALID.replace(/output: ANSWER\n$/, 'output: RESULT\n'), line: 27, column: 9, message: /RESULT/ },
  { name: 'duplicate step names', source: VALID.replace('  Answer:', '  Ask:'), line: 23, column: 3, message: /Ask|duplicate|unique/i },
  { name: 'interactive-only section in a worker', source: `${VALID}triggers:\n  user-message: {}\n`, line: 28, column: 1, message: /triggers/ },
  { name: 'start-thread without a system prompt', source: VALID.replace('    system: system\n', ''), line: 11, column: 3, message: /system/ },
];

const CREATE = /* GraphQL */ `
  mutation Create($input: CreateProtocolInput!) {
    createProtocol(input: $input) {
      __typename
      ... on ProtocolError { message diagnostics { severity message line column path } }
      ... on Error { message }
    }
  }
`;

describe('bad protocols', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('accepts the valid base protocol without diagnostics', async () => {
    const result = await app.data(
      'query ($source: String!, $prompts: [ProtocolPromptInput!]) { validateProtocol(source: $source, prompts: $prompts) { valid diagnostics { message } } }',
      { source: VALID, prompts: PROMPTS },
    );
    expect(result.validateProtocol).toEqual({ valid: true, diagnostics: [] });
  });

  it.each(CASES)('$name: ProtocolError at line $line, column $column', async ({ source, line, column, message }) => {
    const result = (await app.data(CREATE, { input: { slug: 'broken', source, prompts: PROMPTS } })).createProtocol;
    expect(result.__typename).toBe('ProtocolError');
    const first = result.diagnostics.find((d: { severity: string }) => d.severity === 'ERROR');
    expect(first).toMatchObject({ line, column });
    expect(first.message).toMatch(message);
    expect(result.message).toContain(`line ${line}`);

    const validation = (
      await app.data('query ($source: String!, $prompts: [ProtocolPromptInput!]) { validateProtocol(source: $source, prompts: $prompts) { valid diagnostics { line column } } }', {
        source,
        prompts: PROMPTS,
      })
    ).validateProtocol;
    expect(validation.valid).toBe(false);
    expect(validation.diagnostics).toContainEqual({ line, column });
  });

  it('stores nothing for a rejected protocol', async () => {
    const state = await app.data('{ protocols { totalCount } protocol(slug: "broken") { id } }');
    expect(state).toEqual({ protocols: { totalCount: 0 }, protocol: null });
    const events = app.app.services.db.query.events.findMany({ where: { type: 'Protocol.created' } });
    expect(await events).toEqual([]);
  });
});
