/** The committed SDL (schema/schema.graphql): the builder's schema, printed with a header. */
import { lexicographicSortSchema, printSchema } from 'graphql';

import { buildSchema } from './schema.js';

/** SDL text of the schema, types sorted by name so that diffs stay readable. */
export function printSchemaFile(): string {
  return `# Generated from the Pothos builder by \`npm run schema:print\`; do not edit.\n\n${printSchema(
    lexicographicSortSchema(buildSchema()),
  )}\n`;
}
