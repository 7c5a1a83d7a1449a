/**
 * The remaining blocks and fields (docs/protocol.md sections 5 and 7): structured output,
 * generate-image with the offline image model, set-resource, usage per thread.
 */
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { executeWorker } from '../../src/engine/execute.js';
import { load, RecordingHost, scriptedModel, textReply } from './fixtures.js';

const run = (protocol: ReturnType<typeof load>, host: RecordingHost, input: Record<string, unknown> = {}) =>
  executeWorker(protocol, { input, host, executionId: 'e', workerId: 'w' });

describe('next-message responseType (section 5)', () => {
  const source = `
types:
  Verdict:
    label: { type: string, enum: [good, bad] }
    reasons: { type: array, items: { type: string } }
variables:
  RESULT: { type: Verdict }
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys }
  Ask: { block: add-message, role: user, prompt: sys }
  Judge: { block: next-message, output: RESULT, responseType: Verdict }
output: RESULT
`;

  it('stores the parsed, validated object; the text stream carries the JSON', async () => {
    const host = new RecordingHost({ 'test/model': scriptedModel([textReply(['{"label":"good",', '"reasons":["clear"]}'])]) });
    const outcome = await run(load(source, { sys: 'Judge.' }), host);
    expect(outcome).toMatchObject({ status: 'completed', output: { label: 'good', reasons: ['clear'] } });
    expect(host.ofType('text-start')).toEqual([{ type: 'text-start', id: 'e:2:text-1', responseType: 'Verdict', thread: 'main' }]);
    expect(host.ofType('text-delta').map((event) => event.delta).join('')).toBe('{"label":"good","reasons":["clear"]}');
  });

  it('fails the step with a clear error when the reply does not match the type', async () => {
    const host = new RecordingHost({ 'test/model': scriptedModel([textReply(['{"label":"meh"}'])]) });
    const outcome = await run(load(source, { sys: 'Judge.' }), host);
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'execution_error' } });
    if (outcome.status !== 'failed') throw new Error('expected a failure');
    expect(outcome.error.message).toMatch(/^Step "Judge": the model's reply does not match type `Verdict`:\n/);
    expect(outcome.error.message).toContain('→ at label');
    expect(outcome.error.message).toContain('→ at reasons');

    const notJson = await run(load(source, { sys: 'Judge.' }), new RecordingHost({ 'test/model': scriptedModel([textReply(['Good, I think.'])]) }));
    expect(notJson).toMatchObject({ status: 'failed', error: { message: "Step \"Judge\": the model's reply is not JSON, so it cannot be a `Verdict`." } });
  });
});

describe('generate-image', () => {
  const source = `
input:
  PROMPT: { type: string }
  MODEL: { type: string, default: offline/image }
variables:
  IMAGE: { type: string }
steps:
  Draw:
    block: generate-image
    prompt: PROMPT
    imageModel: MODEL
    size: 1792x1024
    output: IMAGE
    description: Drawing
output: IMAGE
`;

  it('draws a real PNG with the offline image model and emits file-available with a data: URL', async () => {
    const host = new RecordingHost({});
    const outcome = await run(load(source), host, { PROMPT: 'A lighthouse at dusk' });
    expect(outcome.status).toBe('completed');
    const [file] = host.ofType('file-available');
    expect(file).toMatchObject({ type: 'file-available', id: 'e:0:file-1', mediaType: 'image/png', filename: 'e-0-file-1.png' });
    expect(outcome).toMatchObject({ output: file!.url });
    expect(host.types.slice(2, 5)).toEqual(['block-start', 'file-available', 'block-end']);
    expect(host.events[2]).toMatchObject({ blockType: 'generate-image', display: 'description', description: 'Drawing' });

    const png = Buffer.from(file!.url.replace(/^data:image\/png;base64,/, ''), 'base64');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(file!.size).toBe(png.length);
    // The deprecated size 1792x1024 is the 16:9 ratio: 128 × 72 pixels offline.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([128, 72]);
    const idat = png.indexOf('IDAT');
    const pixels = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)));
    expect(pixels.length).toBe(72 * (1 + 128 * 3));

    // Deterministic: the same prompt gives the same picture, another prompt another.
    const again = new RecordingHost({});
    await run(load(source), again, { PROMPT: 'A lighthouse at dusk' });
    expect(again.ofType('file-available')[0]!.url).toBe(file!.url);
    const other = new RecordingHost({});
    await run(load(source), other, { PROMPT: 'A forest at noon' });
    expect(other.ofType('file-available')[0]!.url).not.toBe(file!.url);
  });

  it('fails with not_found_error for an image model the host cannot resolve', async () => {
    const outcome = await run(load(source), new RecordingHost({}), { PROMPT: 'x', MODEL: 'acme/painter' });
    expect(outcome).toMatchObject({ status: 'failed', error: { errorType: 'not_found_error', message: 'Cannot resolve image model "acme/painter"' } });
  });
});

describe('set-resource (deprecated)', () => {
  it('writes the resource, emits resource-update, and later blocks read the new value', async () => {
    const protocol = load(
      `
resources:
  STATUS: { type: string, default: idle }
variables:
  NEXT: { type: string, default: busy }
  SEEN: { type: string }
steps:
  Start: { block: start-thread, thread: main, model: test/model, system: sys, input: [STATUS] }
  Update: { block: set-resource, resource: STATUS, value: NEXT }
  Again: { block: start-thread, thread: second, model: test/model, system: sys, input: [STATUS] }
`,
      { sys: 'Status: {{STATUS}}' },
    );
    const host = new RecordingHost({ 'test/model': scriptedModel([textReply(['x'])]) });
    await run(protocol, host);
    expect(host.ofType('resource-update')).toEqual([{ type: 'resource-update', name: 'STATUS', value: 'busy' }]);
    expect(host.ofType('block-start')[1]).toMatchObject({ blockType: 'set-resource', display: 'name' });
    const state = host.checkpoints.at(-1)!;
    expect(state.resources).toEqual({ STATUS: 'busy' });
    expect(state.threads.main!.system).toBe('Status: idle');
    expect(state.threads.second!.system).toBe('Status: busy');
  });
});

describe('usage', () => {
  it('counts tokens per thread and per run, and reports them on worker-result and the outcome', async () => {
    const protocol = load(
      `
variables:
  A: { type: string }
  B: { type: string }
steps:
  One: { block: start-thread, thread: one, model: test/model, system: sys }
  Two: { block: start-thread, thread: two, model: test/model, system: sys }
  Ask one: { block: add-message, thread: one, role: user, prompt: sys }
  Ask two: { block: add-message, thread: two, role: user, prompt: sys }
  Answer one: { block: next-message, thread: one, output: A }
  Answer two: { block: next-message, thread: two, output: B }
  Answer one again: { block: next-message, thread: one, output: A }
`,
      { sys: 'Hi' },
    );
    const host = new RecordingHost({ 'test/model': scriptedModel([textReply(['a'])]) });
    const outcome = await run(protocol, host);
    const once = { inputTokens: 10, outputTokens: 4, totalTokens: 14 };
    const twice = { inputTokens: 20, outputTokens: 8, totalTokens: 28 };
    const thrice = { inputTokens: 30, outputTokens: 12, totalTokens: 42 };
    expect(outcome).toMatchObject({ status: 'completed', usage: thrice, threadUsage: { one: twice, two: once } });
    expect(host.ofType('worker-result')[0]!.usage).toEqual(thrice);
    expect(host.checkpoints.at(-1)!.threads.one!.usage).toEqual(twice);
  });
});
