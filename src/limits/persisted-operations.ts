/**
 * Persisted operations (optional; `PERSISTED_OPERATIONS_FILE`): the operator ships a
 * JSON object of id → query (e.g. the SHA-256 of each query a client build uses), and
 * clients send `extensions: { persistedQuery: { version: 1, sha256Hash: "<id>" } }`
 * instead of a query (Apollo's and yoga's format). With `PERSISTED_OPERATIONS_ONLY`
 * (the default once a file is given) any other operation is refused, so the server runs
 * only what was reviewed. Over HTTP this is @graphql-yoga/plugin-persisted-operations;
 * graphql-ws subscribe messages do not pass yoga's request parsing, so
 * {@link PersistedOperations.resolve} applies the same rule to them.
 */
import { readFile } from 'node:fs/promises';

import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { z } from 'zod';

import { ConfigError } from '../config.js';

const FileModel = z.record(z.string().min(1), z.string().min(1));

const ERRORS = {
  notFound: { message: 'No persisted operation has this id', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
  keyNotFound: { message: 'Send the id of a persisted operation in extensions.persistedQuery.sha256Hash', extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED' } },
  persistedQueryOnly: { message: 'This server runs persisted operations only: send the id of one, not a query', extensions: { code: 'PERSISTED_QUERY_ONLY' } },
} as const;

/** The store of persisted operations and the rule for operations that are not persisted. */
export class PersistedOperations {
  private constructor(
    private readonly operations: ReadonlyMap<string, string>,
    private readonly only: boolean,
  ) {}

  /**
   * Reads `file` (a JSON object of id → query).
   * @throws ConfigError naming PERSISTED_OPERATIONS_FILE when it cannot be read or has another shape
   */
  static async load(file: string, only: boolean): Promise<PersistedOperations> {
    let parsed: z.infer<typeof FileModel>;
    try {
      parsed = FileModel.parse(JSON.parse(await readFile(file, 'utf8')));
    } catch (error) {
      const reason = error instanceof z.ZodError ? 'it must be a JSON object of id → query' : (error as Error).message;
      throw new ConfigError([`PERSISTED_OPERATIONS_FILE: cannot use ${JSON.stringify(file)}: ${reason}`]);
    }
    return new PersistedOperations(new Map(Object.entries(parsed)), only);
  }

  /** The yoga plugin (HTTP and SSE). */
  plugin(): Plugin {
    return usePersistedOperations({
      getPersistedOperation: (id) => this.operations.get(id) ?? null,
      allowArbitraryOperations: !this.only,
      customErrors: ERRORS,
    });
  }

  /**
   * The query a graphql-ws subscribe message stands for: its persisted operation, or
   * its own query when those are allowed.
   * @throws GraphQLError for an unknown id, or a query when only persisted operations run
   */
  resolve(payload: { query?: string; extensions?: Record<string, unknown> | null }): string {
    const persisted = payload.extensions?.persistedQuery;
    const id = persisted && typeof persisted === 'object' && 'sha256Hash' in persisted ? persisted.sha256Hash : undefined;
    if (payload.query) {
      if (this.only) throw error(ERRORS.persistedQueryOnly);
      return payload.query;
    }
    if (typeof id !== 'string') throw error(ERRORS.keyNotFound);
    const query = this.operations.get(id);
    if (query === undefined) throw error(ERRORS.notFound);
    return query;
  }
}

function error(spec: { message: string; extensions: { code: string } }): GraphQLError {
  return createGraphQLError(spec.message, { extensions: spec.extensions });
}
