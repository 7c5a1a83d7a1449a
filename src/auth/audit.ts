/**
 * The audit log: every mutation records its actor, organisation, operation, root fields
 * and outcome (issue "Access control", item 6). An envelop plugin runs each mutation
 * inside an AsyncLocalStorage scope where the errors plugin reports the typed errors it
 * returns, so that `outcome` is `success`, the error type (`ForbiddenError`, …), or
 * `error` for a failure outside any result union. The row is stored before the mutation
 * answers; rows of concurrent mutations share one INSERT (AuditWriter).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import { getOperationAST, Kind, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

import type { Database } from '../db/client.js';
import { auditLog } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { Actor } from './actor.js';

const handledErrors = new AsyncLocalStorage<string[]>();

/** For the errors plugin's `onResolvedError`: remembers a typed error returned by a mutation. */
export function recordHandledError(error: Error): void {
  handledErrors.getStore()?.push(error.name || error.constructor.name);
}

/** The envelop plugin writing one audit row per executed mutation. */
export function useAuditLog(db: Database, logger: Logger): Plugin<{ actor?: Actor }> {
  const writer = new AuditWriter(db, logger);
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const errors: string[] = [];
      setExecuteFn((executeArgs) => handledErrors.run(errors, () => executeFn(executeArgs)));
      return {
        async onExecuteDone({ result }) {
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
