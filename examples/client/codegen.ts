/**
 * GraphQL Codegen configuration of the example client: the client preset turns the
 * operations in src/operations.ts into typed documents in src/gql/, and writes
 * src/gql/persisted-documents.json (sha256 → query), the file the server takes as
 * PERSISTED_OPERATIONS_FILE. Regenerate with `npm run examples:codegen` after changing an
 * operation or the schema; test/e2e/codegen-client.test.ts fails while src/gql/ is stale.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['examples/client/src/operations.ts'],
  ignoreNoDocuments: false,
  // ESM with NodeNext resolution: relative imports end in `.js`.
  emitLegacyCommonJSImports: false,
  generates: {
    'examples/client/src/gql/': {
      preset: 'client',
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', DueDate: 'string', JSON: 'unknown', JSONObject: 'Record<string, unknown>' },
      },
      presetConfig: {
        fragmentMasking: false,
        // The documents carry their hash instead of their text; the server looks it up.
        persistedDocuments: { mode: 'replaceDocumentWithHash', hashAlgorithm: 'sha256' },
      },
    },
  },
};

export default config;
