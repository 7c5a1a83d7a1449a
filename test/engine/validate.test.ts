/**
 * Validation (docs/protocol.md section 15): each bad protocol yields the right diagnostic at
 * the right line and column; the seed examples yield none.
 */
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/engine/diagnostics.js';
import { readProtocolPackage } from '../../src/engine/package-files.js';
import { loadProtocolPackage } from '../../src/engine/parse.js';
import { diagnose, EXAMPLES, examplePath, type Prompts } from './fixtures.js';

/** The single diagnostic of a package (fails when there are more or none). */
function only(source: string, prompts: Prompts = { sys: 'You help.' }): Omit<Diagnostic, 'message'> & { message: string } {
  const diagnostics = diagnose(source, prompts);
  expect(diagnostics, JSON.stringify(diagnostics, null, 2)).toHaveLength(1);
  return diagnostics[0]!;
}

const START = `  Start:
    block: start-thread
    thread: main
    model: openai/gpt-4o
    system: sys
`;

describe('the seed examples', () => {
  it.each(EXAMPLES)('%s validates with no error and no warning', async (name) => {
    const { protocol, diagnostics } = loadProtocolPackage(await readProtocolPackage(examplePath(name)));
    expect(diagnostics).toEqual([]);
    expect(protocol?.settings.format).toBe('worker');
  });
});

describe('diagnostics with line and column', () => {
  it('YAML syntax error', () => {
    expect(only('steps:\n  A:\n    block: start-thread\n   model: x\n')).toMatchObject({
      severity: 'error',
      message: 'YAML: All mapping items must start at the same column',
      line: 4,
      column: 1,
    });
  });

  it('duplicate step name (YAML duplicate key)', () => {
    const source = `steps:\n${START}  Ask:\n    block: add-message\n    role: user\n    prompt: sys\n  Ask:\n    block: next-message\n`;
    expect(only(source)).toMatchObject({ message: expect.stringContaining('Duplicate key `Ask`'), line: 11, column: 3 });
  });

  it('unknown block kind, at the `block` value', () => {
    const d = only(`steps:\n${START}  Think:\n    block: think-hard\n`);
    expect(d).toMatchObject({ severity: 'error', line: 8, column: 12, path: ['steps', 'Think', 'block'] });
    expect(d.message).toMatch(/^Unknown block kind `think-hard`; expected one of `start-thread`/);
  });

  it('missing required block field, at the step name', () => {
    expect(only(`steps:\n${START}  Ask:\n    block: add-message\n    role: user\n`)).toMatchObject({
      message: 'Step `Ask` (add-message) is missing required field `prompt`.',
      line: 7,
      column: 3,
      path: ['steps', 'Ask', 'prompt'],
    });
  });

  it('start-thread without system', () => {
    expect(only('steps:\n  Start:\n    block: start-thread\n    model: openai/gpt-4o\n')).toMatchObject({
      message: 'Step `Start` (start-thread) is missing required field `system`.',
      line: 2,
      column: 3,
    });
  });

  it('next-message on a thread no earlier step started', () => {
    expect(only(`steps:\n  Reply:\n    block: next-message\n    thread: chat\n${START.replace('thread: main', 'thread: chat')}`)).toMatchObject({
      message: 'Thread `chat` is used before any earlier step starts it with `start-thread`.',
      line: 4,
      column: 13,
      path: ['steps', 'Reply', 'thread'],
    });
  });

  it('add-message on the implicit `main` thread of a worker, at the step name', () => {
    expect(only('steps:\n  Ask:\n    block: add-message\n    role: user\n    prompt: sys\n')).toMatchObject({
      message: 'Thread `main` (the default when `thread` is omitted) is used before any earlier step starts it with `start-thread`.',
      line: 2,
      column: 3,
    });
  });

  it('serialize-thread on an unknown thread, and a second start-thread on one name (OPEN: error)', () => {
    const diagnostics = diagnose(`steps:\n${START}${START.replace('Start:', 'Again:')}  Save:\n    block: serialize-thread\n    thread: other\n`, { sys: 'x' });
    expect(diagnostics.map((d) => [d.message, d.line, d.column])).toEqual([
      ['Thread `main` is already started by step `Start`.', 9, 13],
      ['Thread `other` is used before any earlier step starts it with `start-thread`.', 14, 13],
    ]);
  });

  it('undeclared variable in an input mapping, in each of the three forms', () => {
    const source = `input:\n  TOPIC: { type: string }\nsteps:\n${START}  A:\n    block: add-message\n    role: user\n    prompt: sys\n    input: [TOPIC, MISSING]\n  B:\n    block: add-message\n    role: user\n    prompt: sys\n    input: [LABEL: NOPE]\n  C:\n    block: add-message\n    role: user\n    prompt: sys\n    input: { LABEL: GONE }\n`;
    expect(diagnose(source, { sys: 'x' }).map((d) => [d.message, d.line, d.column, d.path.join('/')])).toEqual([
      ['`MISSING` is not a declared input, variable or resource.', 13, 20, 'steps/A/input/MISSING'],
      ['`NOPE` is not a declared input, variable or resource.', 18, 20, 'steps/B/input/LABEL'],
      ['`GONE` is not a declared input, variable or resource.', 23, 21, 'steps/C/input/LABEL'],
    ]);
  });

  it('block output naming an undeclared variable, and an input', () => {
    const source = `input:\n  TOPIC: { type: string }\nsteps:\n${START}  Reply:\n    block: next-message\n    output: RESULT\n  Again:\n    block: next-message\n    output: TOPIC\n`;
    expect(diagnose(source, { sys: 'x' }).map((d) => [d.message, d.line, d.column])).toEqual([
      ['`RESULT` is not declared in `variables`.', 11, 13],
      ['`TOPIC` is an input; inputs cannot be written. Declare a variable.', 14, 13],
    ]);
  });

  it('undeclared dynamic reference (section 9)', () => {
    expect(only(`steps:\n${START}    temperature: TEMPERATURE\n`)).toMatchObject({
      message: '`temperature` refers to `TEMPERATURE`, which is not a declared input, variable or resource.',
      line: 7,
      column: 18,
    });
  });

  it('malformed literal in a dynamic field', () => {
    expect(only(`steps:\n${START}    thinking: extreme\n`)).toMatchObject({
      message: '`thinking` must be one of `low`, `medium`, `high`, `max`, `"off"`, or the name of a declared input or variable.',
      line: 7,
      column: 15,
    });
  });

  it('unknown prompt, at the `system` value', () => {
    expect(only(`steps:\n${START}`, {})).toMatchObject({
      message: 'Unknown prompt "sys" (expected prompts/sys.md).',
      line: 6,
      column: 13,
      path: ['steps', 'Start', 'system'],
    });
  });

  it('unknown tool, at its list entry', () => {
    expect(only(`tools:\n  search: { description: Search }\nsteps:\n${START}    tools: [search, fetch]\n`)).toMatchObject({
      message: 'Unknown tool `fetch`; declare it under `tools:`.',
      line: 9,
      column: 21,
      path: ['steps', 'Start', 'tools', '1'],
    });
  });

  it('top-level output not naming a declared variable', () => {
    expect(only(`input:\n  TOPIC: { type: string }\nsteps:\n${START}output: TOPIC\n`)).toMatchObject({
      message: '`output` must name a variable; `TOPIC` is declared in `input`.',
      line: 9,
      column: 9,
    });
  });

  it('interactive-only and unknown top-level sections in a worker', () => {
    const diagnostics = diagnose(`triggers:\n  go: {}\nsteps:\n${START}extras: 1\n`, { sys: 'x' });
    expect(diagnostics.map((d) => [d.message.split(';')[0], d.line, d.column])).toEqual([
      ['`triggers` is only allowed in interactive agents', 1, 1],
      ['Unknown top-level section `extras`', 9, 1],
    ]);
  });

  it('a worker without steps', () => {
    expect(only('input:\n  A: { type: string }\n')).toMatchObject({ message: 'A worker must have `steps`.', line: null, column: null });
  });

  it('naming conventions and the octavus_ prefix', () => {
    const source = `input:\n  topic: { type: string }\ntypes:\n  order:\n    Id: { type: string }\ntools:\n  octavus_search: { description: x }\n  Fetch_Page: { description: y }\nsteps:\n${START}`;
    expect(diagnose(source, { sys: 'x' }).map((d) => [d.message, d.line, d.column])).toEqual([
      ['`topic` must be UPPER_SNAKE_CASE.', 2, 3],
      ['Type name `order` must be PascalCase.', 4, 3],
      ['Property name `Id` must be camelCase.', 5, 5],
      ['Tool name `octavus_search` must not start with `octavus_` (reserved for built-in tools).', 7, 3],
      ['Tool name `Fetch_Page` must be lowercase-with-dashes.', 8, 3],
    ]);
  });

  it('type rules: unknown types, bare array, enum on a non-string, unions, recursion', () => {
    const source = `types:
  Node:
    child: { type: Node }
  Cat:
    kind: { type: string, const: animal }
  Dog:
    kind: { type: string, const: animal }
  Pet:
    anyOf: [Cat, Dog]
    discriminator: kind
  Solo:
    anyOf: [Cat]
    discriminator: kind
input:
  A: { type: Widget }
  B: { type: array }
  C: { type: number, enum: [one] }
steps:
${START}`;
    expect(diagnose(source, { sys: 'x' }).map((d) => [d.message, d.line, d.column])).toEqual([
      ['`enum` is only allowed on `type: string`.', 17, 28],
      ['Unknown type `Widget`; declare it under `types:` or use a built-in type (string, number, integer, boolean, unknown, file).', 15, 14],
      ['There is no bare `array` type; use `X[]`, a custom type or `unknown`.', 16, 14],
      ['Variants `Cat` and `Dog` share the discriminator value "animal".', 9, 18],
      ['Union `Solo` needs at least two variants.', 12, 5],
      ['Recursive types are not supported: Node → Node.', 2, 3],
    ]);
  });

  it('responseType that is not an object type', () => {
    const source = `types:\n  Tags: { type: array, items: { type: string } }\nsteps:\n${START}  Reply:\n    block: next-message\n    responseType: Tags\n`;
    expect(only(source)).toMatchObject({ message: expect.stringContaining('`responseType` must be an object type; `Tags` is an array type'), line: 11, column: 19 });
  });

  it('responseSchema beside responseType, or naming an undeclared value', () => {
    const both = `types:\n  Verdict: { label: { type: string } }\ninput:\n  SCHEMA: { type: unknown }\nsteps:\n${START}  Reply:\n    block: next-message\n    responseType: Verdict\n    responseSchema: SCHEMA\n`;
    expect(only(both)).toMatchObject({ message: '`responseSchema` and `responseType` cannot both be given; keep one.', line: 14, column: 21 });
    const undeclared = `steps:\n${START}  Reply:\n    block: next-message\n    responseSchema: SCHEMA.shape\n`;
    expect(only(undeclared)).toMatchObject({ message: '`SCHEMA` is not a declared input, variable or resource.', line: 9, column: 21 });
    // A context input needs no declaration.
    expect(diagnose(`steps:\n${START}  Reply:\n    block: next-message\n    responseSchema: TASK.responseSchema\n`, { sys: 'x' })).toEqual([]);
  });

  it('anthropic options on a non-Anthropic model, sandboxTimeout above one hour', () => {
    const source = `steps:\n${START}    anthropic: { effort: high }\n    sandboxTimeout: 7200000\n`;
    expect(diagnose(source, { sys: 'x' }).map((d) => [d.message, d.line, d.column])).toEqual([
      ['`sandboxTimeout` must be an integer from 1 to 3600000; got 7200000.', 8, 21],
      ['`anthropic` options need an Anthropic model; `openai/gpt-4o` is not one.', 7, 5],
    ]);
  });

  it('tool-call with an unknown parameter and a missing one', () => {
    const source = `tools:\n  lookup:\n    description: Look up\n    parameters:\n      orderId: { type: string }\nsteps:\n  Call:\n    block: tool-call\n    tool: lookup\n    input: { order: ORDER }\n`;
    expect(diagnose(source).map((d) => [d.severity, d.message, d.line, d.column])).toEqual([
      ['warning', '`ORDER` is not a declared name, so it is passed as the literal string "ORDER".', 10, 21],
      ['error', 'Tool `lookup` has no parameter `order`.', 10, 21],
      ['error', 'Tool `lookup` needs parameter `orderId`.', 10, 5],
    ]);
  });

  it('resources and set-resource are deprecated (warnings), set-resource on a readonly resource is an error', () => {
    const source = `resources:\n  STATUS: { type: string, readonly: true }\nvariables:\n  V: { type: string }\nsteps:\n  Save:\n    block: set-resource\n    resource: STATUS\n    value: V\n`;
    const diagnostics = diagnose(source);
    expect(diagnostics.map((d) => [d.severity, d.message, d.line, d.column])).toEqual([
      ['warning', 'Resources are deprecated; prefer variables and the worker output.', 1, 1],
      ['warning', '`set-resource` is deprecated; write a variable and return it as the worker output.', 7, 12],
      ['error', 'Resource `STATUS` is readonly.', 8, 15],
    ]);
  });

  it('unknown fields are warnings, so typos do not pass silently', () => {
    expect(only(`variables:\n  OUT: { type: string }\nsteps:\n${START}  Reply:\n    block: next-message\n    ouptut: OUT\n`)).toMatchObject({
      severity: 'warning',
      message: expect.stringContaining('Unknown field `ouptut` in a `next-message` block'),
      line: 11,
      column: 5,
    });
  });

  it('settings.json: missing fields and a bad slug, without a line', () => {
    const diagnostics = diagnose(`steps:\n${START}`, { sys: 'x' }, { slug: 'Bad Slug', format: 'worker' });
    expect(diagnostics.map((d) => [d.message, d.line, d.path.join('/')])).toEqual([
      ['Slug "Bad Slug" must be lowercase letters, digits and dashes (e.g. `title-generator`).', null, 'settings/slug'],
      ['settings.json is missing required field `name`.', null, 'settings/name'],
    ]);
  });
});

describe('prompt diagnostics, positioned in the prompt file', () => {
  it('include cycle', () => {
    const diagnostics = diagnose(`steps:\n${START}`, { sys: 'Intro\n{{@shared/a.md}}', 'shared/a': 'A {{@shared/b.md}}', 'shared/b': 'line\nB {{@shared/a.md}}' });
    expect(diagnostics).toEqual([
      {
        severity: 'error',
        message: 'prompts/shared/b.md: Include cycle: shared/a → shared/b → shared/a.',
        line: 2,
        column: 3,
        path: ['prompts', 'shared/b'],
      },
    ]);
  });

  it('a prompt given twice, and a prompt name breaking the convention', () => {
    const diagnostics = loadProtocolPackage({
      source: `steps:\n${START}`,
      settings: { slug: 's', name: 'S', format: 'worker' },
      prompts: [
        { name: 'sys', content: 'a' },
        { name: 'sys', content: 'b' },
        { name: 'Shared/Rules', content: 'c' },
      ],
    }).diagnostics;
    expect(diagnostics.map((d) => [d.message, d.path.join('/')])).toEqual([
      ['Prompt "sys" is given twice.', 'prompts/sys'],
      ['Prompt name "Shared/Rules" must be lowercase-with-dashes (folders separated by `/`).', 'prompts/Shared/Rules'],
    ]);
  });

  it('unknown include', () => {
    expect(only(`steps:\n${START}`, { sys: 'See {{@rules.md}}' })).toMatchObject({ message: 'prompts/sys.md: Includes unknown prompt "rules" (prompts/rules.md).', line: 1, column: 5 });
  });

  it.each([
    ['{{#if A}}open', '`{{#if}}` is never closed with `{{/if}}`.', 1, 1],
    ['x\n  {{/if}}', '`{{/if}}` without a matching `{{#if}}`.', 2, 3],
    ['{{else}}', '`{{else}}` outside of an `{{#if}}`.', 1, 1],
    ['{{#if A}}a{{else}}b{{else if B}}c{{/if}}', '`{{else if B}}` after `{{else}}`.', 1, 20],
    ['{{#if A and B}}x{{/if}}', 'Malformed condition in `{{#if A and B}}`; write `VAR`, `!VAR`, `VAR == "text"` or `VAR != "text"`.', 1, 1],
    ["{{#if A == 'x'}}x{{/if}}", 'Malformed condition in `{{#if A == \'x\'}}`; write `VAR`, `!VAR`, `VAR == "text"` or `VAR != "text"`.', 1, 1],
    ['{{#each A}}x{{/each}}', 'Unsupported block `{{#each A}}`; only `{{#if …}}` exists.', 1, 1],
  ])('malformed conditional %j', (template, message, line, column) => {
    const diagnostics = diagnose(`steps:\n${START}`, { sys: template }).filter((d) => d.severity === 'error');
    expect(diagnostics[0]).toMatchObject({ message: `prompts/sys.md: ${message}`, line, column });
  });

  it('condition on an undeclared name (error) or an unmapped declared one (warning); literal outside the enum', () => {
    const source = `input:\n  TONE: { type: string, enum: [formal, casual] }\n  NAME: { type: string }\nsteps:\n${START}    input: [TONE]\n`;
    const diagnostics = diagnose(source, { sys: '{{#if GHOST}}a{{/if}}{{#if NAME}}b{{/if}}{{#if TONE == "rude"}}c{{/if}}' });
    expect(diagnostics.map((d) => [d.severity, d.message, d.line, d.column])).toEqual([
      ['error', 'Prompt "sys" has a condition on `GHOST`, which is neither mapped by this block nor declared.', 9, 13],
      ['warning', 'Prompt "sys" tests `NAME`, which this block\'s `input` does not map; the condition always sees it absent.', 9, 13],
      ['error', 'Prompt "sys" compares `TONE` with "rude", which is not one of its enum values (formal, casual).', 9, 13],
    ]);
  });

  it('placeholder the block does not map (warning: it stays as written)', () => {
    expect(only(`steps:\n${START}`, { sys: 'Hello {{USER_NAME}}' })).toMatchObject({
      severity: 'warning',
      message: 'Prompt "sys" uses {{USER_NAME}}, which this block\'s `input` does not map; it stays in the text as written.',
    });
  });
});

describe('parsing', () => {
  it('keeps the written order of integer-like step names', () => {
    const { protocol } = loadProtocolPackage({
      source: `steps:\n  2:\n    block: start-thread\n    thread: main\n    model: openai/gpt-4o\n    system: sys\n  1:\n    block: add-message\n    role: user\n    prompt: sys\n  10: { block: next-message }\n`,
      settings: { slug: 'order', name: 'Order', format: 'worker' },
      prompts: [{ name: 'sys', content: 'x' }],
    });
    expect(protocol?.steps.map((step) => [step.name, step.index, step.kind])).toEqual([
      ['2', 0, 'start-thread'],
      ['1', 1, 'add-message'],
      ['10', 2, 'next-message'],
    ]);
  });

  it('reads the three input mapping forms and defaults', async () => {
    const { protocol } = loadProtocolPackage(await readProtocolPackage(examplePath('research-assistant')));
    expect(protocol?.input).toEqual([
      { name: 'TOPIC', type: 'string', description: 'Topic to research', optional: false },
      { name: 'DEPTH', type: 'string', optional: true, default: 'medium' },
    ]);
    expect(protocol?.steps[0]).toMatchObject({
      kind: 'start-thread',
      thread: 'research',
      model: { kind: 'literal', value: 'anthropic/claude-sonnet-4-5' },
      input: [
        { label: 'TOPIC', source: 'TOPIC' },
        { label: 'DEPTH', source: 'DEPTH' },
      ],
      tools: ['web-search'],
      maxSteps: { kind: 'literal', value: 5 },
    });
    expect(protocol?.tools).toEqual([{ name: 'web-search', description: 'Search the web', parameters: [{ name: 'query', type: 'string', optional: false }] }]);
  });

  it('rejects an oversized source and an alias bomb', () => {
    expect(diagnose('#'.repeat(300_000))).toMatchObject([{ message: 'protocol.yaml is larger than 262144 characters.' }]);
    const anchors = ['a0: &a0 [x, x]', ...Array.from({ length: 12 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}]`)];
    const bomb = `input:\n  LOL:\n    type: unknown\n    default: [${anchors.map((a) => `{ ${a} }`).join(', ')}]\nsteps:\n${START}`;
    expect(diagnose(bomb, { sys: 'x' }).map((d) => [d.message, d.line])).toEqual([[expect.stringMatching(/alias/i), 4]]);
  });
});

describe('what this server runs: warnings, never a silent no-op', () => {
  it('warns about thread features it does not provide (skills, SDK-side and on-demand MCP, web search, unenforced limits)', () => {
    const source = `skills:
  pdf: {}
mcpServers:
  docs: { source: device }
steps:
${START}    skills: [pdf]
    sandboxTimeout: 60000
    mcpServers: [docs]
    onDemandMcpServers: [remote]
    webSearch: true
    loopGuard: true
    cache: extended
    maxImageDimension: 1024
`;
    expect(diagnose(source, { sys: 'x' }).map((d) => [d.severity, d.path.at(-1), d.line])).toEqual([
      ['warning', 'skills', 11],
      ['warning', 'sandboxTimeout', 12],
      ['warning', '0', 13],
      ['warning', 'onDemandMcpServers', 14],
      ['warning', 'webSearch', 15],
      ['warning', 'loopGuard', 16],
      ['warning', 'cache', 17],
      ['warning', 'maxImageDimension', 18],
    ]);
    const messages = diagnose(source, { sys: 'x' }).map((d) => d.message);
    expect(messages[0]).toBe('Skills run in hosted sandboxes, which this server does not provide: a run reaching this step fails (unsupported_error).');
    expect(messages[4]).toBe('Web search runs only when the server registers a `octavus_web_search` handler; without one, a run reaching this step fails (unsupported_error).');
  });

  it('warns about speech blocks and a resolution only Gemini reads', () => {
    const source = `variables:
  TEXT: { type: string }
steps:
  Speak:
    block: generate-speech
    text: TEXT
    speechModel: openai/tts-1
  Draw:
    block: generate-image
    prompt: TEXT
    imageModel: openai/gpt-image-1
    resolution: 2K
`;
    expect(diagnose(source).map((d) => [d.severity, d.message, d.line])).toEqual([
      ['warning', '`generate-speech` is not supported by this server: a run with this step fails before its first step (unsupported_error).', 5],
      ['warning', '`resolution` applies to Gemini 3 image models only; `openai/gpt-image-1` ignores it.', 12],
    ]);
  });

  it('rejects a thread that would offer two tools with one name', () => {
    const source = `tools:
  summarize: { description: Summarize locally }
workers:
  summarize: { description: Summarizing }
steps:
${START}    tools: [summarize]
    workers: [summarize]
`;
    expect(only(source)).toMatchObject({
      severity: 'error',
      message: 'The model of thread `main` would see two tools named `summarize`: tool `summarize` and worker `summarize`.',
      path: ['steps', 'Start', 'workers'],
    });
  });
});
