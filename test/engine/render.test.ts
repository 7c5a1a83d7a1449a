/** Prompt rendering (docs/protocol.md section 2, and the section 16 choice). */
import { describe, expect, it } from 'vitest';
import { PromptRenderError, renderPrompt, type ScopeEntry } from '../../src/engine/render.js';
import type { InputMappingEntry } from '../../src/engine/types.js';

const set = (value: unknown): ScopeEntry => ({ state: 'set', value });

/** Renders `template` as prompt `main` with `values` mapped under their own names. */
function render(
  template: string,
  values: Record<string, ScopeEntry> = {},
  options: { prompts?: Record<string, string>; input?: InputMappingEntry[] } = {},
): string {
  const prompts = Object.entries({ main: template, ...options.prompts }).map(([name, content]) => ({ name, content }));
  const input = options.input ?? Object.keys(values).map((name) => ({ label: name, source: name }));
  return renderPrompt('main', { prompts, input, lookup: (source) => values[source] ?? { state: 'unset' } });
}

describe('includes', () => {
  it('replaces {{@path.md}} by the raw prompt, recursively, from subfolders', () => {
    const prompts = { 'shared/rules': 'Rules: {{@shared/tone.md}}', 'shared/tone': 'be {{TONE}}' };
    expect(render('Start. {{@shared/rules.md}} End.', { TONE: set('kind') }, { prompts })).toBe('Start. Rules: be kind End.');
  });

  it('renders an include inside a conditional branch only when the branch is taken', () => {
    const prompts = { extra: 'EXTRA' };
    expect(render('{{#if ON}}{{@extra.md}}{{/if}}', { ON: set(true) }, { prompts })).toBe('EXTRA');
    expect(render('{{#if ON}}{{@extra.md}}{{/if}}', { ON: set(false) }, { prompts })).toBe('');
  });

  it('throws on an include cycle and on an unknown include', () => {
    expect(() => render('{{@a.md}}', {}, { prompts: { a: '{{@b.md}}', b: '{{@a.md}}' } })).toThrow(new PromptRenderError('Include cycle: main → a → b → a.'));
    expect(() => render('{{@nope.md}}')).toThrow('Prompt "main" includes unknown prompt "nope".');
  });

  it('throws past the size limit (exponential includes)', () => {
    const prompts: Record<string, string> = { p0: 'x'.repeat(1000) };
    for (let i = 1; i <= 12; i++) prompts[`p${i}`] = `{{@p${i - 1}.md}}{{@p${i - 1}.md}}`;
    expect(() => render('{{@p12.md}}', {}, { prompts })).toThrow(/more than 1000000 characters/);
  });
});

describe('conditionals', () => {
  const chain = '{{#if MODE == "a"}}A{{else if MODE == "b"}}B{{else if !MODE}}none{{else}}other{{/if}}';

  it('renders the first true branch of if / else if / else', () => {
    expect(render(chain, { MODE: set('a') })).toBe('A');
    expect(render(chain, { MODE: set('b') })).toBe('B');
    expect(render(chain, { MODE: set('c') })).toBe('other');
    expect(render(chain, { MODE: { state: 'unset' } })).toBe('none');
  });

  it('renders nothing when no branch is true and there is no else', () => {
    expect(render('[{{#if A}}a{{else if B}}b{{/if}}]', { A: set(false), B: set('') })).toBe('[]');
  });

  it('nests, with placeholders inside branches', () => {
    const template = '{{#if A}}a{{#if B}}-b {{NAME}}{{else}}-not-b{{/if}}{{/if}}';
    expect(render(template, { A: set(1), B: set('yes'), NAME: set('Ada') })).toBe('a-b Ada');
    expect(render(template, { A: set(1), B: set('0'), NAME: set('Ada') })).toBe('a-not-b');
  });

  it.each([
    ['missing', { state: 'unset' } as ScopeEntry],
    ['null', set(null)],
    ['false', set(false)],
    ['""', set('')],
    ['"false"', set('false')],
    ['"0"', set('0')],
    ['0', set(0)],
  ])('treats %s as falsy', (_label, entry) => {
    expect(render('{{#if X}}T{{else}}F{{/if}}', { X: entry })).toBe('F');
    expect(render('{{#if !X}}T{{else}}F{{/if}}', { X: entry })).toBe('T');
  });

  it.each([
    ['"no"', set('no')],
    ['"NONE"', set('NONE')],
    ['1', set(1)],
    ['true', set(true)],
    ['[]', set([])],
    ['{}', set({})],
  ])('treats %s as truthy', (_label, entry) => {
    expect(render('{{#if X}}T{{else}}F{{/if}}', { X: entry })).toBe('T');
  });

  it('compares the string form, case-sensitively, with == and !=', () => {
    expect(render('{{#if N == "3"}}three{{/if}}', { N: set(3) })).toBe('three');
    expect(render('{{#if B == "true"}}yes{{/if}}', { B: set(true) })).toBe('yes');
    expect(render('{{#if T == "Formal"}}F{{else}}f{{/if}}', { T: set('formal') })).toBe('f');
    expect(render('{{#if T != "formal"}}casual{{else}}formal{{/if}}', { T: set('casual') })).toBe('casual');
  });

  it('drops == and != spans on an absent value without failing (OPEN: both false)', () => {
    expect(render('[{{#if T == "x"}}eq{{/if}}{{#if T != "x"}}ne{{/if}}]', { T: { state: 'unset' } })).toBe('[]');
    expect(render('[{{#if GHOST}}x{{/if}}]', {}, { input: [] })).toBe('[]');
  });

  it('looks the condition name up through the input mapping (renamed labels)', () => {
    const input = [{ label: 'TRANSCRIPT', source: 'CHAT_LOG' }];
    expect(render('{{#if TRANSCRIPT}}has log{{/if}}', { CHAT_LOG: set('...') }, { input })).toBe('has log');
    expect(render('{{#if CHAT_LOG}}has log{{/if}}', { CHAT_LOG: set('...') }, { input })).toBe('');
  });
});

describe('placeholders', () => {
  it('replaces only labels of the input mapping; others stay unchanged', () => {
    const input = [{ label: 'A', source: 'A' }];
    expect(render('{{A}} {{B}} {{lower}}', { A: set('x'), B: set('y') }, { input })).toBe('x {{B}} {{lower}}');
  });

  it('supports the renaming forms of section 8', () => {
    expect(render('{{TRANSCRIPT}}', { CHAT_LOG: set('log text') }, { input: [{ label: 'TRANSCRIPT', source: 'CHAT_LOG' }] })).toBe('log text');
  });

  it('reads keys and indexes with dot paths; a path leading nowhere and spaced tags stay as written', () => {
    const values = { USER: set({ name: 'Ada', tags: ['x', 'y'] }) };
    expect(render('{{USER.name}} {{USER.tags.1}} {{USER.age}} {{USER.name.first}} {{ USER }}', values)).toBe(
      'Ada y {{USER.age}} {{USER.name.first}} {{ USER }}',
    );
    expect(render('{{#if USER.name == "Ada"}}hi{{/if}}{{#if USER.age}}old{{/if}}', values)).toBe('hi');
  });

  it('section 4: context inputs render under their own name without a mapping entry', () => {
    const prompts = [{ name: 'main', content: '{{WORKER.persona.background}} / {{TASK}} / {{OTHER}}' }];
    const values: Record<string, ScopeEntry> = { WORKER: set({ persona: { background: 'Recruiter' } }), TASK: set('t'), OTHER: set('o') };
    const lookup = (source: string) => values[source] ?? ({ state: 'unset' } as const);
    expect(renderPrompt('main', { prompts, input: [], lookup, context: ['WORKER', 'TASK'] })).toBe('Recruiter / t / {{OTHER}}');
  });

  it('inserts strings as they are, numbers and booleans by their string form, objects and arrays as 2-space JSON', () => {
    const values = { S: set('a "quoted" {{text}}'), N: set(2.5), B: set(false), O: set({ a: 1, b: [true] }), L: set(['x', 'y']) };
    expect(render('{{S}}|{{N}}|{{B}}|{{O}}|{{L}}', values)).toBe(`a "quoted" {{text}}|2.5|false|{\n  "a": 1,\n  "b": [\n    true\n  ]\n}|[\n  "x",\n  "y"\n]`);
  });

  it('section 16: an omitted optional input renders NONE but tests as absent', () => {
    expect(render('id={{USER_ID}} {{#if USER_ID}}signed in{{else}}anonymous{{/if}}', { USER_ID: { state: 'omitted' } })).toBe('id=NONE anonymous');
  });

  it('OPEN: a mapped variable with no value keeps its placeholder', () => {
    expect(render('Summary: {{SUMMARY}}', { SUMMARY: { state: 'unset' } })).toBe('Summary: {{SUMMARY}}');
    expect(render('Summary: {{SUMMARY}}', { SUMMARY: set(null) })).toBe('Summary: {{SUMMARY}}');
  });

  it('throws for an unknown prompt', () => {
    expect(() => renderPrompt('missing', { prompts: [], input: [], lookup: () => ({ state: 'unset' }) })).toThrow('Unknown prompt "missing".');
  });
});
