import { readFile } from 'node:fs/promises';

import { describe, expect, it } from 'vitest';

import { printSchemaFile } from '../src/graphql/print.js';

describe('schema/schema.graphql', () => {
  it('matches the schema the builder prints (run `npm run schema:print` after changing types)', async () => {
    const committed = await readFile(new URL('../schema/schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(printSchemaFile());
  });
});
