/**
 * One OpenTelemetry span per SQL statement drizzle sends, on either driver (postgres.js or
 * PGlite), in transactions too. Every statement drizzle executes — query builders,
 * relational queries, `db.execute` — goes through `PgAsyncPreparedQuery.execute`, so that
 * one method is wrapped, the way OpenTelemetry's instrumentations wrap a driver's query
 * method (drizzle's own tracing hooks are compiled out of its published build, and there
 * is no maintained instrumentation of postgres.js or PGlite). Transaction boundaries
 * (BEGIN, COMMIT) are sent by the drivers themselves and get no span.
 *
 * Spans follow OpenTelemetry's database semantic conventions: kind CLIENT, named after
 * the statement's operation (`SELECT`, `INSERT` …), with `db.system.name` `postgresql`,
 * `db.operation.name` and `db.query.text` (the parameterised SQL: parameter values are
 * never recorded). A failing statement's span has status ERROR and the exception.
 */
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { PgAsyncPreparedQuery } from 'drizzle-orm/pg-core';

/** Longest `db.query.text` recorded, in characters (OpenTelemetry's default attribute limit is unbounded; collectors are not). */
const MAX_QUERY_TEXT = 2_000;

const traced = new WeakSet<object>();

/**
 * Makes every SQL statement of this process a span of `tracer`, a child of the span
 * active when the statement runs. Idempotent; call it once tracing is started.
 */
export function traceSqlStatements(tracer: Tracer): void {
  const prototype = PgAsyncPreparedQuery.prototype as unknown as {
    execute(this: { query: { sql: string } }, placeholders?: Record<string, unknown>): Promise<unknown>;
  };
  if (traced.has(prototype)) return;
  traced.add(prototype);
  const execute = prototype.execute;
  prototype.execute = function (placeholders) {
    const text = this.query.sql;
    const operation = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? 'SQL';
    return tracer.startActiveSpan(
      operation,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system.name': 'postgresql', 'db.operation.name': operation, 'db.query.text': text.slice(0, MAX_QUERY_TEXT) },
      },
      async (span) => {
        try {
          return await execute.call(this, placeholders);
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
}
