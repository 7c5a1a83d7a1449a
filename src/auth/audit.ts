/**
 * The audit log: every mutation records its actor, organisation, operation, root fields
 * and outcome (issue "Access control", item 6). `outcome` is `success`, the type of the
 * first typed error a mutation field returned (`ForbiddenError`, …), or `error` for a
 * failure outside any result union. The row is stored before the mutation answers; rows
 * of concurrent mutations share one INSERT (AuditWriter).
 *
 * The errors plugin reports each typed error it puts in a result (`onResolvedError`), which
 * marks it; a wrapper around each Mutation field's resolver notes the marked errors its
 * field returns for that execution, keyed by the execution's context object. (Before, the
 * report went to an AsyncLocalStorage scope around the mutation: on Node 20 one
 * AsyncLocalStorage turns on promise hooks for every promise of the process, which cost
 * several per cent of a protocol run's CPU, bench row 6.)
 */
import { getOperationAST, Kind, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';

import type { Database } from '../db/client.js';
import { auditLog } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { Actor } from './actor.js';

/** Marks an error the errors plugin put in a result: its type name. */
const TYPED_ERROR = Symbol('typed error');

/** For the errors plugin's `onResolvedError`: marks `error` as a typed error returned by a field. */
export function recordHandledError(error: Error): void {
  (error as Error & { [TYPED_ERROR]?: string })[TYPED_ERROR] = error.name || error.constructor.name;
}

/** The typed errors each mutation being executed returned, by its context object. */
const handledErrors = new WeakMap<object, string[]>();

/** Schemas whose Mutation fields already note their typed errors. */
const wrapped = new WeakSet<GraphQLSchema>();

/**
 * Wraps every Mutation field's resolver of `schema` (in place, once) so that a typed error
 * it returns (marked by {@link recordHandledError}; the errors plugin hands back a proxy
 * of the error, which reads through to the mark) is noted for its execution.
 */
function noteTypedErrors(schema: GraphQLSchema): void {
  if (wrapped.has(schema)) return;
  wrapped.add(schema);
  const note = (value: unknown, context: unknown): unknown => {
    const type = typeof value === 'object' && value !== null ? (value as { [TYPED_ERROR]?: string })[TYPED_ERROR] : undefined;
    if (type !== undefined) handledErrors.get(context as object)?.push(type);
    return value;
  };
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const resolve = field.resolve;
    if (!resolve) continue;
    field.resolve = (source, args, context, info) => {
      const value = resolve(source, args, context, info);
      return value instanceof Promise ? value.then((settled) => note(settled, context)) : note(value, context);
    };
  }
}

/** The envelop plugin writing one audit row per executed mutation. */
export function useAuditLog(db: Database, logger: Logger): Plugin<{ actor?: Actor }> {
  const writer = new AuditWriter(db, logger);
  return {
    onSchemaChange({ schema }) {
      noteTypedErrors(schema);
    },
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const errors: string[] = [];
      handledErrors.set(args.contextValue as object, errors);
      return {
        async onExecuteDone({ result }) {
          handledErrors.delete(args.contextValue as object);
          const actor = (args.contextValue as { actor?: Actor }).actor;
          if (!actor) return;
          const fields = operation.selectionSet.selections.flatMap((selection) =>
            selection.kind === Kind.FIELD ? [selection.name.value] : [],
          );
          const failed = 'errors' in result && (result as ExecutionResult).errors?.length;
          await writer.write({
            organizationId: actor.organizationId,
            apiKeyId: actor.apiKeyId,
            actor: actor.label,
            operation: operation.name?.value ?? 'anonymous',
            fields,
            outcome: errors[0] ?? (failed ? 'error' : 'success'),
          });
        },
      };
    },
  };
}

/** Most audit rows one INSERT carries. */
const AUDIT_BATCH = 100;

type AuditRow = typeof auditLog.$inferInsert;

/**
 * Writes audit rows by group commit: a row is inserted at once when no INSERT of the log is
 * in flight, else with every row that queued meanwhile, in one INSERT as soon as the one in
 * flight has ended. `write` resolves once its row is stored (or its failure logged), so a
 * mutation's answer still follows its audit row, and nothing waits on a timer. When a batch
 * fails, its rows are tried one by one, so one bad row loses only itself.
 */
class AuditWriter {
  private queue: Array<{ row: AuditRow; done: () => void }> = [];
  private writing = false;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
  ) {}

  /** Stores `row`; resolves when it is stored or its failure was logged. Never rejects. */
  write(row: AuditRow): Promise<void> {
    const stored = new Promise<void>((done) => this.queue.push({ row, done }));
    if (!this.writing) void this.drain();
    return stored;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, AUDIT_BATCH);
      const rows = batch.map((entry) => entry.row);
      await this.db
        .insert(auditLog)
        .values(rows)
        .catch(() => Promise.all(rows.map((row) => this.db.insert(auditLog).values(row).catch((error: unknown) => this.logger.error({ err: error }, 'could not write the audit log')))));
      for (const entry of batch) entry.done();
    }
    this.writing = false;
  }
}
