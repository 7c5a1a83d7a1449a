/**
 * The audit log: every mutation records its actor, organisation, operation, root fields
 * and outcome (issue "Access control", item 6). An envelop plugin runs each mutation
 * inside an AsyncLocalStorage scope where the errors plugin reports the typed errors it
 * returns, so that `outcome` is `success`, the error type (`ForbiddenError`, …), or
 * `error` for a failure outside any result union.
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
          await db
            .insert(auditLog)
            .values({
              organizationId: actor.organizationId,
              apiKeyId: actor.apiKeyId,
              actor: actor.label,
              operation: operation.name?.value ?? 'anonymous',
              fields,
              outcome: errors[0] ?? (failed ? 'error' : 'success'),
            })
            .catch((error: unknown) => logger.error({ err: error }, 'could not write the audit log'));
        },
      };
    },
  };
}
