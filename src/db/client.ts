/**
 * Opens the database: postgres.js when a DATABASE_URL is given (the production path),
 * otherwise the embedded PGlite (in-process Postgres; `memory://` for tests). Both get the
 * same drizzle schema and the same committed migrations, applied here at start-up.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgAsyncDatabase, PgAsyncTransaction } from 'drizzle-orm/pg-core';
import type { PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

import { relations, type Relations } from './relations.js';
import { DEFAULT_ORGANIZATION_ID, organizations } from './schema.js';

/** A drizzle database over either driver. */
export type Database = PgAsyncDatabase<PgQueryResultHKT, Relations>;
/** A transaction handed to `db.transaction(async (tx) => …)`. */
export type Transaction = PgAsyncTransaction<PgQueryResultHKT, Relations>;
/** Anything a query can run on: the database or an open transaction. */
export type Executor = Database | Transaction;

/** A drizzle query that can be prepared (select, insert, update, delete builders). */
interface Preparable<T> {
  prepare(name: string): { execute(): Promise<T> };
}

/**
 * Runs `query` as a prepared statement. drizzle sends a query it is not asked to prepare
 * unnamed, and postgres.js sends an unnamed statement with parameters in two round trips
 * (Parse and Describe, then Bind and Execute once the parameter types are known), which
 * PostgreSQL parses and plans every time. Prepared, postgres.js describes it once per
 * connection and then sends Bind and Execute only: one round trip. For statements of a
 * fixed text sent often (a run's writes, a one-event append); not for SQL whose text
 * varies with the data, since every text stays prepared on each connection that ran it.
 * PGlite ignores the preparation. `name` is for readers (postgres.js names statements itself).
 */
export function executePrepared<T>(query: Preparable<T>, name: string): Promise<T> {
  return query.prepare(name).execute();
}

/** An open database with a human-readable description and a close function. */
export interface DatabaseHandle {
  db: Database;
  /** `postgres (host:port/db)` or `pglite (dir)`, for the start-up log; never contains a password. */
  description: string;
  /** Answers whether the database responds (`SELECT 1`), for /readyz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../schema/migrations', import.meta.url));

/**
 * Called with each SQL statement sent, for counting (statement budgets in tests and
 * benchmarks). postgres.js reports every statement, BEGIN and COMMIT included; on PGlite
 * the statements drizzle sends are reported, and BEGIN / COMMIT for each transaction.
 */
export type StatementListener = (statement: string) => void;

/**
 * Opens, migrates and seeds the database.
 * @param options.databaseUrl postgres:// URL, or undefined for PGlite
 * @param options.dataDir PGlite directory (created if missing) or `memory://`
 * @param options.onStatement told of every statement sent (off by default)
 * @throws when the server is unreachable or a migration fails
 */
export async function openDatabase(options: {
  databaseUrl?: string | undefined;
  dataDir: string;
  onStatement?: StatementListener | undefined;
}): Promise<DatabaseHandle> {
  const handle = options.databaseUrl
    ? await openPostgres(options.databaseUrl, options.onStatement)
    : await openPglite(options.dataDir, options.onStatement);
  try {
    await ensureDefaultOrganization(handle.db);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/**
 * The session advisory lock under which a process applies migrations, so that replicas
 * starting together on a fresh database take turns (the second finds nothing to apply)
 * instead of racing to create the same tables.
 */
const MIGRATION_LOCK_KEY = 7_423_002;

/**
 * Applies the committed migrations on a connection of its own, holding
 * {@link MIGRATION_LOCK_KEY} for the duration; the lock goes with the connection.
 * @throws when a migration fails (nothing of that migration is applied: each runs in a transaction)
 */
async function migrateUnderLock(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migratePostgres(drizzlePostgres({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.end({ timeout: 5 });
  }
}

async function openPostgres(url: string, onStatement: StatementListener | undefined): Promise<DatabaseHandle> {
  await migrateUnderLock(url);
  const client = postgres(url, { max: 10, onnotice: () => {}, ...(onStatement ? { debug: (_connection, query) => onStatement(query) } : {}) });
  const db = drizzlePostgres({ client, relations });
  const target = new URL(url);
  return {
    db: db as unknown as Database,
    description: `postgres (${target.hostname}:${target.port || 5432}${target.pathname})`,
    ping: () => ping(db as unknown as Database),
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(dataDir: string, onStatement: StatementListener | undefined): Promise<DatabaseHandle> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) await mkdir(dataDir, { recursive: true });
  const client = new PGlite(inMemory ? undefined : dataDir);
  if (onStatement) {
    const transaction = client.transaction.bind(client);
    client.transaction = async (callback) => {
      onStatement('begin');
      try {
        return await transaction(callback);
      } finally {
        onStatement('commit');
      }
    };
  }
  const db = drizzlePglite({ client, relations, ...(onStatement ? { logger: { logQuery: (query: string) => onStatement(query) } } : {}) });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return {
    db: db as unknown as Database,
    description: inMemory ? 'pglite (in memory)' : `pglite (${dataDir})`,
    ping: () => ping(db as unknown as Database),
    close: () => client.close(),
  };
}

async function ping(db: Database): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}

async function ensureDefaultOrganization(db: Database): Promise<void> {
  await db
    .insert(organizations)
    .values({ id: DEFAULT_ORGANIZATION_ID, name: 'Default organization' })
    .onConflictDoNothing();
}
