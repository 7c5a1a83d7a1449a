/**
 * Persisted operations (optional; `PERSISTED_OPERATIONS_FILE`): the operator ships a
 * JSON object of id → query (e.g. the SHA-256 of each query a client build uses: the
 * `persisted-documents.json` GraphQL Codegen's client preset writes has this shape), and
 * clients send an id instead of a query, in any of the forms clients use:
 *
 * - `documentId: "<id>"` in the body or the query string: GraphQL Codegen's client
 *   preset, and the GraphQL-over-HTTP draft's persisted documents (appendix A), whose
 *   ids may carry the algorithm as a prefix, `sha256:<hex>`;
 * - `extensions: { persistedQuery: { version: 1, sha256Hash: "<id>" } }`: Apollo's
 *   automatic persisted queries, as Apollo Client and urql send them.
 *
 * A `sha256:` prefix is optional on both sides: `sha256:ab…` and `ab…` name the same
 * operation, whichever form the file uses. With `PERSISTED_OPERATIONS_ONLY` (the default
 * once a file is given) any other operation is refused, so the server runs only what was
 * reviewed. Over HTTP this is @graphql-yoga/plugin-persisted-operations; graphql-ws
 * subscribe messages do not pass yoga's request parsing, so
 * {@link PersistedOperations.resolve} applies the same rule to them.
 */
import { readFile } from 'node:fs/promises';

import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { z } from 'zod';

import { ConfigError } from '../config.js';

const FileModel = z.record(z.string().min(1), z.string().min(1));

/** The request parameter that carries a persisted document's id (GraphQL Codegen, GraphQL over HTTP). */
export const DOCUMENT_ID_PARAM = 'documentId';

/** The algorithm prefix of a GraphQL-over-HTTP document id (`sha256:<hex>`), which names the same operation as the bare hash. */
const SHA256_PREFIX = 'sha256:';

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
    return new PersistedOperations(new Map(Object.entries(parsed).map(([id, query]) => [withoutPrefix(id), query])), only);
  }

  /** The query stored under `id` (bare or `sha256:`-prefixed), or undefined. */
  private find(id: string): string | undefined {
    return this.operations.get(withoutPrefix(id));
  }

  /** The yoga plugin (HTTP and SSE). */
  plugin(): Plugin {
    return usePersistedOperations({
      extractPersistedOperationId: (params, request) => operationId(params) ?? new URL(request.url).searchParams.get(DOCUMENT_ID_PARAM),
      getPersistedOperation: (id) => this.find(id) ?? null,
      allowArbitraryOperations: !this.only,
      customErrors: ERRORS,
    });
  }

  /**
   * The query a graphql-ws subscribe message stands for: its persisted operation, or
   * its own query when those are allowed.
   * @throws GraphQLError for an unknown id, or a query when only persisted operations run
   */
  resolve(payload: { query?: string; documentId?: unknown; extensions?: Record<string, unknown> | null }): string {
    if (payload.query) {
      if (this.only) throw error(ERRORS.persistedQueryOnly);
      return payload.query;
    }
    const id = operationId(payload);
    if (id === null) throw error(ERRORS.keyNotFound);
    const query = this.find(id);
    if (query === undefined) throw error(ERRORS.notFound);
    return query;
  }
}

/**
 * The persisted operation id a request's parameters carry: `documentId`, else Apollo's
 * `extensions.persistedQuery.sha256Hash`; null when neither is a non-empty string.
 */
function operationId(params: { documentId?: unknown; extensions?: Record<string, unknown> | null }): string | null {
  const documentId = params.documentId;
  if (typeof documentId === 'string' && documentId) return documentId;
  const persisted = params.extensions?.persistedQuery;
  const hash = persisted && typeof persisted === 'object' && 'sha256Hash' in persisted ? persisted.sha256Hash : undefined;
  return typeof hash === 'string' && hash ? hash : null;
}

function withoutPrefix(id: string): string {
  return id.startsWith(SHA256_PREFIX) ? id.slice(SHA256_PREFIX.length) : id;
}

function error(spec: { message: string; extensions: { code: string } }): GraphQLError {
  return createGraphQLError(spec.message, { extensions: spec.extensions });
}
