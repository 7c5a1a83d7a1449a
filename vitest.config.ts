import { createRequire } from 'node:module';

import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql@16 ships CJS (main) and ESM (module) builds; Node loads the CJS one for the
    // dependencies (Pothos, yoga), so our sources must get the same copy, or graphql's
    // instanceof checks fail ("Cannot use GraphQLSchema from another module or realm").
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // Set-up starts servers and databases: on a machine loaded far beyond its cores that took
    // over 60 s. A bound for a broken hook only; a healthy one never waits on it.
    hookTimeout: 120_000,
  },
});
