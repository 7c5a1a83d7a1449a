/** schema/protocol.schema.json: in sync with its source, and true to the examples. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { protocolJsonSchema } from '../../src/engine/json-schema.js';
import { EXAMPLES, examplePath } from './fixtures.js';

const committed = new URL('../../schema/protocol.schema.json', import.meta.url);

describe('schema/protocol.schema.json', () => {
  it('is the printed form of protocolJsonSchema() (run `npx tsx scripts/print-protocol-schema.ts`)', async () => {
    expect(await readFile(committed, 'utf8')).toBe(`${JSON.stringify(protocolJsonSchema(), null, 2)}\n`);
  });

  const validator = z.fromJSONSchema(protocolJsonSchema());

  it.each(EXAMPLES)('accepts examples/%s/protocol.yaml', async (name) => {
    const document: unknown = parse(await readFile(join(examplePath(name), 'protocol.yaml'), 'utf8'));
    const result = validator.safeParse(document);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it.each([
    ['a misspelled field', 'steps:\n  A:\n    block: next-message\n    ouptut: X\n'],
    ['an unknown block kind', 'steps:\n  A:\n    block: think\n'],
    ['a missing required field', 'steps:\n  A:\n    block: start-thread\n    model: openai/gpt-4o\n'],
    ['a lowercase input name', 'input:\n  topic: { type: string }\nsteps:\n  A: { block: next-message }\n'],
    ['an interactive-only section', 'agent: {}\nsteps:\n  A: { block: next-message }\n'],
    ['a one-variant union', 'types:\n  Pet: { anyOf: [Cat], discriminator: kind }\nsteps:\n  A: { block: next-message }\n'],
    ['a temperature above 2', 'steps:\n  A: { block: start-thread, model: openai/gpt-4o, system: s, temperature: 3 }\n'],
  ])('rejects %s', (_label, source) => {
    expect(validator.safeParse(parse(source)).success).toBe(false);
  });
});
