/**
 * Prints the GraphQL schema built by Pothos to schema/schema.graphql (`npm run schema:print`).
 * test/schema.test.ts fails when the committed file differs from the builder's output.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { printSchemaFile } from '../src/graphql/print.js';

const target = fileURLToPath(new URL('../schema/schema.graphql', import.meta.url));
await writeFile(target, printSchemaFile());
console.log(`wrote ${target}`);
