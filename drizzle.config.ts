import { defineConfig } from 'drizzle-kit';

/** drizzle-kit reads the tables from src/db/schema.ts and writes SQL to schema/migrations. */
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './schema/migrations',
});
