import { generateText, Output, streamText } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { minimalJsonValue } from '../../src/models/minimal-json.js';
import { OfflineLanguageModel } from '../../src/models/offline-model.js';

const model = new OfflineLanguageModel();

const HandoffReport = z.object({
  summary: z.string(),
  openTasks: z.number().int().nonnegative(),
  urgent: z.boolean(),
  shift: z.enum(['MORNING', 'NIGHT']),
  workers: z.array(z.object({ id: z.uuid(), name: z.string().min(2) })).min(1),
  lead: z.object({ email: z.email(), since: z.iso.datetime() }),
  note: z.string().nullable(),
  tags: z.array(z.string()),
  comment: z.string().optional(),
});

describe('the offline model in JSON mode', () => {
  it('generates an object that satisfies the zod schema (generateText + Output.object)', async () => {
    const { output, finishReason } = await generateText({ model, prompt: 'Report the handoff', output: Output.object({ schema: HandoffReport }) });
    expect(finishReason).toBe('stop');
    expect(HandoffReport.parse(output)).toEqual({
      summary: '',
      openTasks: 0,
      urgent: false,
      shift: 'MORNING',
      workers: [{ id: '00000000-0000-4000-8000-000000000000', name: 'xx' }],
      lead: { email: 'offline@example.com', since: '1970-01-01T00:00:00.000Z' },
      note: '',
      tags: [],
    });
  });

  it('streams the JSON text in several deltas (streamText + Output.object)', async () => {
    const result = streamText({ model, prompt: 'Report the handoff', output: Output.object({ schema: HandoffReport }) });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(HandoffReport.safeParse(JSON.parse(deltas.join(''))).success).toBe(true);
    expect(await result.output).toEqual(JSON.parse(deltas.join('')));
  });

  it('answers Output.choice and Output.array', async () => {
    const choice = await generateText({ model, prompt: 'Pick', output: Output.choice({ options: ['approve', 'reject'] }) });
    expect(choice.output).toBe('approve');
    const list = await generateText({ model, prompt: 'List', output: Output.array({ element: z.object({ id: z.string() }) }) });
    expect(list.output).toEqual([]);
  });

  it('answers {} when JSON is asked for without a schema', async () => {
    const { content } = await model.doGenerate({ prompt: [], responseFormat: { type: 'json' } });
    expect(content).toEqual([{ type: 'text', text: '{}' }]);
  });

  it('is deterministic', async () => {
    const call = () => generateText({ model, prompt: 'x', output: Output.object({ schema: HandoffReport }) });
    expect((await call()).text).toBe((await call()).text);
  });
});

describe('minimalJsonValue', () => {
  it.each([
    ['string', { type: 'string' }, ''],
    ['string with minLength', { type: 'string', minLength: 3 }, 'xxx'],
    ['date', { type: 'string', format: 'date' }, '1970-01-01'],
    ['number', { type: 'number' }, 0],
    ['number above an exclusive minimum', { type: 'number', exclusiveMinimum: 0 }, 1],
    ['number in a narrow exclusive range', { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 0.5 }, 0.25],
    ['integer with a minimum', { type: 'integer', minimum: 2.5 }, 3],
    ['negative maximum', { type: 'integer', maximum: -4 }, -4],
    ['multipleOf', { type: 'number', minimum: 7, multipleOf: 5 }, 10],
    ['boolean', { type: 'boolean' }, false],
    ['null', { type: 'null' }, null],
    ['enum', { enum: ['b', 'a'] }, 'b'],
    ['const', { const: { fixed: true } }, { fixed: true }],
    ['nullable type list', { type: ['null', 'string'] }, ''],
    ['anyOf skips null', { anyOf: [{ type: 'null' }, { type: 'integer' }] }, 0],
    ['allOf merges objects', { allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { type: 'object', properties: { b: { type: 'boolean' } }, required: ['b'] }] }, { a: '', b: false }],
    ['tuple', { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] }, ['', 0]],
    ['array minItems', { type: 'array', items: { type: 'boolean' }, minItems: 2 }, [false, false]],
    ['object with required only', { type: 'object', properties: { a: { type: 'number' }, b: { type: 'string' } }, required: ['a'] }, { a: 0 }],
    ['required key from additionalProperties', { type: 'object', required: ['k'], additionalProperties: { type: 'integer' } }, { k: 0 }],
    ['type inferred from properties', { properties: { a: { type: 'string' } }, required: ['a'] }, { a: '' }],
    ['unconstrained', {}, null],
    ['boolean schema', true, null],
  ])('%s', (_name, schema, expected) => {
    expect(minimalJsonValue(schema)).toEqual(expected);
  });

  it('follows $ref into $defs and definitions, and stops on required recursion', () => {
    expect(
      minimalJsonValue({
        type: 'object',
        properties: { worker: { $ref: '#/$defs/Worker' }, shift: { $ref: '#/definitions/Shift' } },
        required: ['worker', 'shift'],
        $defs: { Worker: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } },
        definitions: { Shift: { enum: ['NIGHT'] } },
      }),
    ).toEqual({ worker: { id: '00000000-0000-4000-8000-000000000000' }, shift: 'NIGHT' });

    const tree = { type: 'object', properties: { child: { $ref: '#' } }, required: ['child'] };
    expect(JSON.stringify(minimalJsonValue(tree))).toMatch(/null\}+$/);
  });

  it('satisfies the JSON Schema that zod itself generates', () => {
    const Schema = z.object({ kpi: z.number().min(10).max(20), labels: z.array(z.string().min(1)).min(2), mode: z.literal('auto') });
    expect(Schema.parse(minimalJsonValue(z.toJSONSchema(Schema)))).toEqual({ kpi: 10, labels: ['x', 'x'], mode: 'auto' });
  });
});
